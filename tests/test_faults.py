"""Faults: notebooks that break, hang, or flood; a grading run killed half-way.

Each faulty student answers both problems of the fixture course correctly and breaks things after
the first problem's hidden check: the first problem's points (2) are then verified before the
fault, and the batch must finish with a row for everyone. The graded class runs with short time
limits, so that hanging notebooks are stopped quickly, and 3 GiB of memory per notebook.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader.checks import get_problem
from tests.fixtures.make_course import ASSIGNMENT, build
from tests.test_pipeline import read_csv, submit

LIMITS = {"cell_seconds": 10, "notebook_seconds": 60, "notebook_memory_bytes": 3 * 2**30, "feedback_seconds": 10}
CGROUPS = os.geteuid() == 0  # the notebook-wide memory limit needs a grader running as root
FAULTS = {  # the cell inserted after the first hidden check
    "kernel_exit": "import os\nos._exit(1)",
    "segfault": "import ctypes\nctypes.string_at(0)",
    "infinite_loop": "while True:\n    pass",
    "unstoppable_loop": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    "memory_bomb": "blocks = [bytearray(2**30) for _ in range(100)]",
    "fork_bomb": "import os\nwhile True:\n    os.fork()",
    "output_flood": "for _ in range(40):\n    print('x' * 2 * 10**6)",
    "gigabyte_of_output": "for _ in range(1024):\n    print('x' * 2**20)",
    "not_utf8_output": "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\x80 raw bytes\\n')\nprint('\\udcff')",
}
EXPECTED = {  # (rnn_step_forward, softmax): what can be verified
    "kernel_exit": (2, 0), "segfault": (2, 0), "unstoppable_loop": (2, 0),
    # with a control group the kernel is stopped at the notebook's 3 GiB; without, the bomb takes
    # 8 GiB (the per-process limit) before its MemoryError, and the notebook goes on
    "memory_bomb": (2, 0) if CGROUPS else (2, 1),
    "infinite_loop": (2, 1), "output_flood": (2, 1), "not_utf8_output": (2, 1),
    "edited_tests": (0, 0), "deleted_test": (2, 0), "invalid_json": (0, 0), "not_utf8_file": (0, 0),
    "output_walkarounds": (2, 1), "surrogate_message": (0, 1), "deep_json": (0, 0), "too_many_cells": (0, 0),
    "too_large": (0, 0), "pathological_markdown": (2, 1),
}
# Output that walked around the output cap: errors with 20 MB messages, one update by display id
# rewriting 100 outputs, and widget state (stored in the notebook's metadata).
WALKAROUNDS = [
    *['raise ValueError("e" * 5_000_000)'] * 2,
    '''from IPython.display import display, update_display
for _ in range(100):
    display("small", display_id="same")
update_display({"text/plain": "u" * 1_100_000}, raw=True, display_id="same")''',
    '''from comm import create_comm
widgets = [create_comm(target_name="jupyter.widget", data={"state": {"value": "w" * 1_000_000}, "buffer_paths": []})
           for _ in range(20)]''',
]


def grade(solutions: Path, subs: Path, out: Path, **popen) -> subprocess.Popen:
    code = ("import sys; from grader.grading import grade_class; "
            f"grade_class(sys.argv[1], sys.argv[2], limits={LIMITS!r})")
    env = dict(os.environ, RNN_COURSE_SOLUTIONS=str(solutions))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return subprocess.Popen([sys.executable, "-c", code, str(subs), str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def copy(nb):
    return nbformat.from_dict(json.loads(json.dumps(nb)))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    solutions = build(root)
    return root, solutions, nbformat.read(str(solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)


@pytest.fixture(scope="module")
def graded(course):
    root, solutions, solved = course
    subs, out = root / "submissions", root / "out"
    for name, code in FAULTS.items():
        nb = copy(solved)
        nb.cells.insert(5, nbformat.v4.new_code_cell(code))
        submit(subs, name, nb)
    edited = copy(solved)
    edited.cells[2].source = "import numpy as np\ndef rnn_step_forward(*args):\n    return 0"
    edited.cells[4].source = "print('rnn_step_forward: all hidden cases passed.')"  # the hidden test, rewritten
    edited.cells[6].source = "def softmax(z):\n    return z"
    edited.cells[7].source = ""
    submit(subs, "edited_tests", edited)
    deleted = copy(solved)
    del deleted.cells[7]  # the hidden test of softmax
    submit(subs, "deleted_test", deleted)
    text = nbformat.writes(solved)
    submit(subs, "invalid_json", text[: len(text) // 3])
    submit(subs, "not_utf8_file", b"\xff\xfe{ \x80 }")
    walkarounds = copy(solved)
    walkarounds.cells[5:5] = [nbformat.v4.new_code_cell(code) for code in WALKAROUNDS]
    submit(subs, "output_walkarounds", walkarounds)
    surrogate = copy(solved)  # the check's message quotes a lone surrogate from the student's exception
    surrogate.cells[2].source = ("import numpy as np\n"
                                 "def rnn_step_forward(*args):\n    raise ValueError('bad \\ud800 text')")
    submit(subs, "surrogate_message", surrogate)
    submit(subs, "deep_json", '{"cells": ' + "[" * 100_000 + "]" * 100_000 + ', "metadata": {}, "nbformat": 4}')
    many = copy(solved)
    many.cells += [nbformat.v4.new_markdown_cell("") for _ in range(5000)]
    submit(subs, "too_many_cells", many)
    large = copy(solved)
    large.cells.append(nbformat.v4.new_markdown_cell("x" * 33 * 2**20))
    submit(subs, "too_large", large)
    pathological = copy(solved)  # about 0.5 GB and 8 s per MB to render, before the limits
    pathological.cells.append(nbformat.v4.new_markdown_cell("**a" * (8 * 2**20 // 3)))
    submit(subs, "pathological_markdown", pathological)
    started = time.monotonic()
    process = grade(solutions, subs, out)
    stdout, stderr = process.communicate(timeout=900)
    return process.returncode, stderr, out, time.monotonic() - started


def scores(out: Path) -> dict[str, tuple]:
    table = {}
    for row in read_csv(out / "problems.csv"):
        table.setdefault(row["student_id"], []).append(float(row["score"]))
    return {student: tuple(values) for student, values in table.items()}


def test_the_batch_completes_with_a_row_for_everyone(graded):
    returncode, stderr, out, seconds = graded
    assert returncode == 0, stderr
    assert set(scores(out)) == set(EXPECTED) | {"fork_bomb", "gigabyte_of_output"}
    assert all(len(values) == 2 for values in scores(out).values())
    assert {r["student_id"] for r in read_csv(out / "grades.csv")} == set(scores(out))


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_what_can_be_verified_is_scored(graded, student):
    assert scores(graded[2])[student] == EXPECTED[student]


def test_a_fork_bomb_costs_only_what_follows_it(graded):
    assert scores(graded[2])["fork_bomb"][0] == 2


def test_each_fault_has_a_clear_message(graded):
    out = graded[2]
    by_student = messages(out)
    assert "kernel died" in by_student["kernel_exit"][1] and "kernel died" in by_student["segfault"][1]
    assert "not valid JSON" in by_student["invalid_json"][0] and "not UTF-8" in by_student["not_utf8_file"][0]
    assert "never ran" in by_student["deleted_test"][1]
    if CGROUPS:
        assert "used more than 3 GiB of memory" in by_student["memory_bomb"][1]


def messages(out: Path) -> dict[str, list[str]]:
    by_student = {}
    for row in read_csv(out / "problems.csv"):
        by_student.setdefault(row["student_id"], []).append(row["message"])
    return by_student


def autograded(out: Path, student: str) -> Path:
    return out / ".nbgrader" / ASSIGNMENT / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def test_output_is_capped(graded):
    notebook = autograded(graded[2], "output_flood")
    assert notebook.stat().st_size < 40 * 2**20
    assert "dropped the rest of this notebook's output" in notebook.read_text()


def test_a_gigabyte_of_output_costs_at_most_what_follows_it(graded):
    """IPython sends what a loop prints in large batches; one over the message limit is dropped,
    with a note. The kernel holds what it has not sent yet: when that goes over the notebook's
    memory (as it can under load), the kernel is stopped and the message says so."""
    out = graded[2]
    first, second = scores(out)["gigabyte_of_output"]
    assert first == 2
    if second == 0:  # stopped before softmax's check: the message must say why
        expected = "used more than 3 GiB of memory" if CGROUPS else "never ran"
        assert expected in messages(out)["gigabyte_of_output"][1]
        return
    notebook = autograded(out, "gigabyte_of_output")
    assert notebook.stat().st_size < 40 * 2**20
    flood = nbformat.read(str(notebook), as_version=4).cells[5]
    notes = [o.text for o in flood.outputs if o.get("name") == "stdout" and o.text.startswith("[The grader dropped")]
    assert notes, [o.get("text", "")[:200] for o in flood.outputs]


# ------------------------------------------------------------------------------ one notebook never costs the class


def test_unreadable_or_oversized_notebooks_are_refused_for_that_student(graded):
    """Before: a notebook nested deeper than Python's recursion limit raised RecursionError out of
    collect and nobody was graded (exit 2); no limit on size or cells existed."""
    by_student = messages(graded[2])
    assert "nested deeper than the grader reads" in by_student["deep_json"][0]
    assert "cells, more than the 2,000 the grader accepts" in by_student["too_many_cells"][0]
    assert "more than the 32 MiB a submission may be" in by_student["too_large"][0]


def test_a_lone_surrogate_in_a_message_is_cleaned(graded):
    """Before: the student's exception text carried '\\ud800' into the verdict; writing problems.csv
    failed with UnicodeEncodeError, no feedback page was written for anyone, and the bad result was
    cached for every rerun."""
    returncode, stderr, out, _ = graded
    assert returncode == 0, stderr
    step = messages(out)["surrogate_message"][0]
    assert "bad \N{REPLACEMENT CHARACTER} text" in step, step
    assert (out / "feedback" / "surrogate_message" / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()


def test_every_kind_of_output_counts_against_the_cap(graded):
    """Before: errors (2 × 5 MB messages, each also in its traceback), an update by display id
    rewriting 100 outputs (110 MB) and widget state in the metadata (20 MB) were not counted: the
    autograded notebook held about 150 MB. Errors still decide scores: over the cap each is kept,
    cut short."""
    notebook = autograded(graded[2], "output_walkarounds")
    assert notebook.stat().st_size < 40 * 2**20
    nb = nbformat.read(str(notebook), as_version=4)
    assert "dropped the rest of this notebook's output" in nbformat.writes(nb)
    errors = [o for cell in nb.cells[5:7] for o in cell.outputs if o.output_type == "error"]
    assert [o.ename for o in errors] == ["ValueError"] * 2
    assert sum(map(len, errors[-1].traceback)) < 10_000  # over the cap: cut short
    assert len(json.dumps(nb.metadata.get("widgets", {}))) < 16 * 2**20


def test_feedback_rendering_is_bounded(graded):
    """An 8 MB markdown cell of a pathological pattern took 200 s and 4 GB of the grader's own
    memory to render. Now the page is rendered in a child with a time and memory limit; over them,
    the student gets the plain page with the verified scores."""
    out = graded[2]
    stored = json.loads((out / ".nbgrader" / "results" / ASSIGNMENT / "pathological_markdown.json").read_text())
    assert "rendering the feedback page" in stored["feedback_error"], stored.get("feedback_error")
    page = (out / "feedback" / "pathological_markdown" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Content-Security-Policy" in page and "**a**a" not in page


def test_a_zip_with_unsafe_members_skips_only_those(course, tmp_path):
    """Before: one unsafe member name refused the whole class (SubmissionsError)."""
    import stat
    import zipfile

    from grader.submissions import collect

    root, solutions, solved = course
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"ann/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", nbformat.writes(solved))
        zf.writestr(f"../ben/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", nbformat.writes(solved))
        zf.writestr(f"/abs/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", nbformat.writes(solved))
        link = zipfile.ZipInfo(f"cid/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, str(solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
    submissions, warnings = collect(archive, [ASSIGNMENT], tmp_path / "scratch")
    by_student = {s.student_id: s for s in submissions}
    assert by_student["ann"].notebook is not None and by_student["ann"].error == ""
    assert "ben" not in by_student and "abs" not in by_student
    assert "cid" not in by_student or by_student["cid"].notebook is None
    said = "\n".join(warnings)
    assert f"'../ben/{ASSIGNMENT}/{ASSIGNMENT}.ipynb': an unsafe path" in said
    assert f"'/abs/{ASSIGNMENT}/{ASSIGNMENT}.ipynb': an unsafe path" in said
    assert f"'cid/{ASSIGNMENT}/{ASSIGNMENT}.ipynb': a symbolic link" in said


# ------------------------------------------------------------------------------ killed and resumed


@pytest.fixture(scope="module")
def small_class(course):
    root, solutions, solved = course
    subs = root / "small"
    wrong = copy(solved)
    wrong.cells[6].source = "def softmax(z):\n    return z"
    for student in ("ann", "ben", "cid"):
        submit(subs, student, solved)
    submit(subs, "dan", wrong)
    return solutions, subs


def test_killed_half_way_then_resumed_gives_the_same_grades(small_class, tmp_path):
    solutions, subs = small_class
    out = tmp_path / "out"
    process = grade(solutions, subs, out)
    results = out / ".nbgrader" / "results" / ASSIGNMENT
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 1:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)  # the grading run only: its workers must follow it
    process.wait()
    done_before = len(list(results.glob("*.json")))
    assert 1 <= done_before < 4
    # the workers get SIGTERM when the run dies, remove their sandboxes, then exit
    workers = lambda: subprocess.run(["pgrep", "-f", f"grader.nbgrader_backend {out}"], capture_output=True).stdout
    deadline = time.monotonic() + 60
    while workers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert workers() == b""

    graded_before = {p.stem for p in results.glob("*.json")}
    resumed = grade(solutions, subs, out)
    _, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr
    assert f"({done_before} already graded in an earlier run)" in stderr
    assert sorted(graded_in_last_run(out)) == sorted({"ann", "ben", "cid", "dan"} - graded_before)  # each once

    fresh = grade(solutions, subs, tmp_path / "fresh")
    fresh.communicate(timeout=600)
    assert read_csv(out / "grades.csv") == read_csv(tmp_path / "fresh" / "grades.csv")
    assert {r["student_id"]: r["score"] for r in read_csv(out / "grades.csv")} == \
        {"ann": "3", "ben": "3", "cid": "3", "dan": "2"}

    before = (out / "problems.csv").read_bytes()
    again = grade(solutions, subs, out)  # idempotent: nothing to do, the same reports
    _, stderr = again.communicate(timeout=600)
    assert "(4 already graded in an earlier run)" in stderr
    assert (out / "problems.csv").read_bytes() == before


def graded_in_last_run(out: Path) -> list[str]:
    """The students the last grading run graded, from its grading log."""
    runs = []
    for line in (out / ".nbgrader" / "grading.log").read_text().splitlines():
        if line.startswith("# ") and line.endswith(" notebooks"):  # "# TIME grading N notebooks"
            runs.append([])
        elif "\t" in line:
            runs[-1].append(line.rsplit("\t", 1)[1].split(" / ", 1)[1].split(":")[0])
    return runs[-1]


def test_the_course_secret_fixes_the_inputs(small_class, tmp_path):
    """Same secret, same student and problem: the same cases; so a rerun judges the same inputs."""
    from grader.checks.framework import Session
    from grader.sandbox.judge import seed_for

    problem = get_problem("softmax")
    one = Session(problem, seed_for(b"secret", "ann", ASSIGNMENT, "softmax")).request()
    two = Session(problem, seed_for(b"secret", "ann", ASSIGNMENT, "softmax")).request()
    other = Session(problem, seed_for(b"secret", "ben", ASSIGNMENT, "softmax")).request()
    assert one == two and one != other


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def test_a_stopped_run_removes_its_sandboxes(small_class, tmp_path):
    """Before: SIGTERM killed the grading run at once; its workers got SIGKILL and left their
    sandbox folders in /tmp (and their control groups) behind."""
    import tempfile

    solutions, subs = small_class
    env = dict(os.environ, RNN_COURSE_SOLUTIONS=str(solutions))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(tmp_path / "out")],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline, sandboxes, workers = time.monotonic() + 300, [], set()
    while time.monotonic() < deadline and not sandboxes:
        workers = children(process.pid)
        sandboxes = [p for w in workers for p in Path(tempfile.gettempdir()).glob(f"rnn-grade-{w}-*")]
        time.sleep(0.1)
    assert sandboxes, "no sandbox was made"
    time.sleep(2)  # the kernel runs
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "run the same command again" in stderr
    time.sleep(0.5)
    left = [p for w in workers for p in Path(tempfile.gettempdir()).glob(f"rnn-grade-{w}-*")]
    assert left == [], left
    if CGROUPS:
        from grader.sandbox.cgroup import hierarchies

        groups = [g for h in hierarchies() for w in workers for g in h.base.glob(f"rnn-grade-{w}-*")]
        assert groups == [], groups


def test_a_bad_cached_result_is_graded_again(graded, course):
    """A stored result whose text cannot be written (a lone surrogate, as an older grader stored
    them) is not trusted: the notebook is graded again. Before: it was used, and every rerun on the
    same folder failed writing the reports. (Runs last: it rewrites the graded class's reports.)"""
    root, solutions, _ = course
    out = graded[2]
    path = out / ".nbgrader" / "results" / ASSIGNMENT / "not_utf8_output.json"
    stored = json.loads(path.read_text())
    stored["problems"]["test_rnn_step_forward"].update(status="failed", message="poisoned \ud800", score=0.0)
    path.write_text(json.dumps(stored))
    rerun = grade(solutions, root / "submissions", out)
    _, stderr = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, stderr
    assert "(13 already graded in an earlier run)" in stderr, stderr
    assert scores(out)["not_utf8_output"] == EXPECTED["not_utf8_output"]
