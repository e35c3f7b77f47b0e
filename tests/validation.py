"""Copies of the release notebooks for Validate tests, and `nbgrader validate` run on them.

Shared by tests/test_validate.py (the course's environment) and tests/test_student_dist.py (the
student's). Sprints 07, 08 and 09 train Keras models after their problems, and 10 a numpy model; their
copies stop after the last problem, which is everything Validate scores.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import nbformat

from examples.build_sample_class import filled, partly_correct, release_notebook
from grader.paths import ROOT

STUDENT_CONFIG = ROOT / "student" / "jupyter"  # what a student's environment installs into etc/jupyter
TRAINS_AFTER_PROBLEMS = {"07_keras_comparison", "08_char_rnn", "09_training_and_inspecting", "10_numpy_char_lstm"}
HIDDEN_COMMENT = re.compile(r"# Hidden tests for `(\w+)`")
VERDICT = re.compile(r"^(Success! Your notebook passes all the tests\.|VALIDATION FAILED ON (\d+) CELL)", re.M)


def is_grade(cell) -> bool:
    return cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade", False)


def problems(nb) -> list[str]:
    """The problems of a notebook, in order, named as in their hidden-test comment."""
    return [HIDDEN_COMMENT.search(c.source).group(1) for c in nb.cells if is_grade(c)]


def up_to_problems(assignment_id: str, nb):
    """The notebook up to its last problem, for the sprints that train models after them."""
    if assignment_id in TRAINS_AFTER_PROBLEMS:
        last = max(i for i, c in enumerate(nb.cells) if is_grade(c))
        nb.cells = nb.cells[: last + 1]
    return nb


def unsolved(nb) -> list[str]:
    """Problems with an answer cell still holding the release's placeholder."""
    names, pending = [], False
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            pending = pending or "raise NotImplementedError()" in cell.source
        elif is_grade(cell):
            if pending:
                names.append(HIDDEN_COMMENT.search(cell.source).group(1))
            pending = False
    return names


def write_copies(folder: Path, assignments: list[str], kind: str) -> list[Path]:
    """``untouched``, ``partly solved`` (bob of the sample class) or ``solved`` copies, one per sprint."""
    make = {"untouched": release_notebook, "partly solved": partly_correct, "solved": filled}[kind]
    paths = []
    for assignment_id in assignments:
        path = folder / kind.replace(" ", "_") / assignment_id / f"{assignment_id}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(up_to_problems(assignment_id, make(assignment_id)), str(path))
        paths.append(path)
    return paths


def validate(paths: list[Path], python: str = "python", *args: str, env: dict | None = None,
             timeout: int = 900) -> list[dict]:
    """Run ``nbgrader validate`` on ``paths`` (one process) and split its report per notebook.

    Returns, per notebook: ``passed`` (bool), ``failed`` (the problems whose cells failed),
    ``others`` (the sources of the other failing cells) and ``text`` (its report).
    """
    env = {**os.environ, **(env or {})}
    result = subprocess.run([python, "-m", "nbgrader", "validate", *args, *map(str, paths)],
                            capture_output=True, text=True, timeout=timeout, env=env, cwd=paths[0].parent)
    verdicts = list(VERDICT.finditer(result.stdout))
    assert len(verdicts) == len(paths), f"one verdict per notebook expected:\n{result.stdout}\n{result.stderr}"
    reports = []
    for match, end in zip(verdicts, [*verdicts[1:], None]):
        text = result.stdout[match.start(): end.start() if end else None]
        cells = text.split("The following cell failed:")[1:]
        sources = [c.split("The error was:")[0] for c in cells]
        failed = [HIDDEN_COMMENT.search(s).group(1) for s in sources if HIDDEN_COMMENT.search(s)]
        others = [s.strip() for s in sources if not HIDDEN_COMMENT.search(s)]
        reports.append({"passed": match.group(1).startswith("Success"), "failed": failed, "others": others,
                        "text": text})
    return reports
