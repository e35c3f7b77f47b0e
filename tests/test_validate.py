"""Validate tells the truth: `nbgrader validate`, with the student's settings, on every sprint.

- an untouched notebook fails exactly its problems (each with NotImplementedError), and no other
  cell but an answer's placeholder fails or writes to stderr: every cell after a problem says what
  to implement first, and TensorFlow prints nothing (``validate_all`` also fails on any stderr);
- a partly solved one (bob of the sample class) fails exactly the problems still unsolved or wrong,
  with the visible check's message and no traceback through the course's helpers;
- output on stderr does not turn a solved problem into a failure.
Solved copies of every sprint are validated in the student's own environment
(tests/test_student_dist.py).
"""

import copy
import sys

import nbformat
import pytest

from examples.build_sample_class import BOB_MISTAKES, filled, release_notebook
from grader.paths import ROOT, assignment_ids, source_notebook
from grader.visible_split import SplitVisibleChecks
from tests.validation import STUDENT_CONFIG, is_grade, problems, unsolved, up_to_problems, validate, write_copies

ASSIGNMENTS = assignment_ids()
# the student's settings, and this checkout's packages for the kernels (whatever is installed)
STUDENT_SETTINGS = {"JUPYTER_CONFIG_PATH": str(STUDENT_CONFIG), "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def untouched(tmp_path_factory):
    paths = write_copies(tmp_path_factory.mktemp("validate"), ASSIGNMENTS, "untouched")
    reports = validate(paths, sys.executable, "--Validator.validate_all=True", env=STUDENT_SETTINGS)
    return dict(zip(ASSIGNMENTS, zip(paths, reports)))


@pytest.fixture(scope="module")
def partly_solved(tmp_path_factory):
    paths = write_copies(tmp_path_factory.mktemp("validate"), ASSIGNMENTS, "partly solved")
    reports = validate(paths, sys.executable, env=STUDENT_SETTINGS)
    return dict(zip(ASSIGNMENTS, zip(paths, reports)))


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_an_untouched_notebook_fails_every_problem_and_nothing_else(untouched, assignment_id):
    path, report = untouched[assignment_id]
    expected = problems(nbformat.read(str(path), as_version=4))
    assert not report["passed"]
    assert report["failed"] == expected, report["text"]
    placeholders = [s for s in report["others"] if s.startswith("# YOUR CODE HERE\n    raise NotImplementedError()")]
    assert report["others"] == placeholders, "only problems and answer cells may fail:\n" + report["text"]
    assert report["text"].count("NotImplementedError") >= len(expected)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_a_partly_solved_notebook_fails_the_problems_left(partly_solved, assignment_id):
    path, report = partly_solved[assignment_id]
    nb = nbformat.read(str(path), as_version=4)
    expected = set(unsolved(nb))
    if assignment_id in BOB_MISTAKES:  # a solved problem with a typical mistake fails as well
        wrong = BOB_MISTAKES[assignment_id][1]
        cells = nb.cells[next(i for i, c in enumerate(nb.cells) if wrong in c.source):]
        expected.add(problems(nbformat.v4.new_notebook(cells=cells))[0])
    assert 0 < len(expected) < len(problems(nb))
    assert not report["passed"]
    assert set(report["failed"]) == expected, report["text"]


def test_a_failing_visible_check_shows_its_message_not_a_traceback(partly_solved):
    report = partly_solved["01_rnn_forward"][1]["text"]
    mistake = report.split("# Hidden tests for `small_array_experiment`")[1].split("The error was:")[1]
    assert "Visible check failed: h_last_small" in mistake
    assert "Hint:" in mistake
    assert "visible.py" not in report and "Traceback" not in mistake


def test_stderr_does_not_fail_a_solved_problem(tmp_path):
    nb = up_to_problems("02_rnn_backward", filled("02_rnn_backward"))
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = "import sys\n" + answer.source.replace(
        "\n    return ", "\n    print('a student debugging on stderr', file=sys.stderr)\n    return ", 1)
    assert "file=sys.stderr" in answer.source and not unsolved(nb)
    path = tmp_path / "02_rnn_backward.ipynb"
    nbformat.write(nb, str(path))
    report = validate([path], sys.executable, env=STUDENT_SETTINGS)[0]
    assert report["passed"], report["text"]


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_the_opening_says_what_run_all_and_validate_do(assignment_id):
    nb = release_notebook(assignment_id)
    first_problem = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Problem 1 "))
    opening = "\n".join(c.source for c in nb.cells[:first_problem] if c.cell_type == "markdown")
    assert "**Run All**" in opening and "stops at the first problem whose visible check fails" in opening
    assert "**Validate**" in opening


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_visible_checks_fit_the_cell(assignment_id):
    nb = release_notebook(assignment_id)
    long = [line for c in nb.cells if is_grade(c) for line in c.source.splitlines() if len(line) > 120]
    assert not long, f"visible-check lines over 120 characters: {long[:2]}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_grading_runs_each_visible_check_apart_from_its_hidden_tests(assignment_id):
    """What nbgrader runs once OverwriteCells has restored the source: each grade cell calls check() only."""
    source = nbformat.read(str(source_notebook(assignment_id)), as_version=4)
    originals = [c.source for c in source.cells if is_grade(c)]
    nb, _ = SplitVisibleChecks().preprocess(copy.deepcopy(source), {})
    graded = [i for i, c in enumerate(nb.cells) if is_grade(c)]
    assert len(nb.cells) == len(source.cells) + len(graded)
    for index, original in zip(graded, originals):
        visible, hidden = nb.cells[index - 1], nb.cells[index]
        assert visible.cell_type == "code" and "nbgrader" not in visible.metadata, "an ungraded cell"
        assert visible.source + "\n" + hidden.source == original
        code = [line for line in hidden.source.splitlines() if not line.startswith("#")]
        assert code[0] == "from grader.checks import check" and code[1].startswith("check(") and len(code) == 2
