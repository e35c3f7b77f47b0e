"""The self-check, `python -m grader check NOTEBOOK`, on a real notebook in a real kernel."""

import json
import os
import subprocess
import sys
from pathlib import Path

from grader.paths import NOTEBOOKS, SOLUTIONS

NOTEBOOK = "01_rnn_forward/01_rnn_forward.ipynb"


def check(path, *args):
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return subprocess.run([sys.executable, "-m", "grader", "check", str(path), *args],
                          capture_output=True, text=True, env=env, timeout=600)


def test_solution_passes_every_problem():
    result = check(SOLUTIONS / NOTEBOOK, "--json")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["problems"] and all(p["passed"] for p in report["problems"])


def test_untouched_release_fails_every_problem_with_a_reason():
    result = check(NOTEBOOKS / NOTEBOOK)
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "PASS" not in result.stdout
    assert "not implemented yet" in result.stdout


def test_missing_notebook_is_a_clear_error(tmp_path):
    result = check(tmp_path / "nope.ipynb")
    assert result.returncode == 2 and "is not a file" in result.stderr
