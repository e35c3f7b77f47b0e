"""The bundled sample class, graded end to end through the real `python -m grader grade`.

alice's notebooks are the release with every answer taken from solutions/, so her full marks are
the solutions earning full points; carol's are the untouched release, which must earn 0.
"""

import csv
import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from examples.build_sample_class import build
from grader.paths import SAMPLE_CLASS, assignment_ids
from tests.test_char_rnn_lesson import printed, run_figures

ASSIGNMENTS = assignment_ids()
STUDENTS = ["alice", "bob", "carol", "dave"]


def test_sample_class_is_up_to_date(tmp_path):
    build(tmp_path)
    compared = filecmp.dircmp(tmp_path, SAMPLE_CLASS)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.ipynb"))
    assert files == sorted(str(p.relative_to(SAMPLE_CLASS)) for p in SAMPLE_CLASS.rglob("*.ipynb"))
    for name in files:
        assert (tmp_path / name).read_text() == (SAMPLE_CLASS / name).read_text(), (
            f"{name} is out of date: run `make sample-class`")
    assert compared.left_only == compared.right_only == []


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample-grades")
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    env.pop("RNN_COURSE_SOLUTIONS", None)
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(SAMPLE_CLASS), "--out", str(out)],
                            capture_output=True, text=True, env=env, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out / "grades.csv") as f:
        grades = {(r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"]))
                  for r in csv.DictReader(f)}
    with open(out / "problems.csv") as f:
        problems = list(csv.DictReader(f))
    return result, out, grades, problems


def test_every_student_and_assignment_has_a_row(graded):
    _, _, grades, _ = graded
    assert set(grades) == {(s, a) for s in STUDENTS for a in ASSIGNMENTS}


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_solutions_earn_full_points(graded, assignment_id):
    _, _, grades, problems = graded
    score, max_score = grades[("alice", assignment_id)]
    failed = [(p["problem"], p["message"]) for p in problems
              if p["student_id"] == "alice" and p["assignment"] == assignment_id and p["message"] != "passed"]
    assert score == max_score > 0, failed


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_untouched_release_earns_zero_on_every_problem(graded, assignment_id):
    _, _, _, problems = graded
    rows = [p for p in problems if p["student_id"] == "carol" and p["assignment"] == assignment_id]
    assert rows and all(float(p["score"]) == 0 for p in rows)
    assert all("not implemented" in p["message"] or "is not defined" in p["message"] for p in rows), rows


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_partly_correct_submission_earns_part_of_the_points(graded, assignment_id):
    score, max_score = graded[2][("bob", assignment_id)]
    assert 0 < score < max_score


def test_wrong_answer_gets_the_specific_message(graded):
    rows = [p for p in graded[3] if p["student_id"] == "bob" and p["problem"] == "small_array_experiment"]
    assert float(rows[0]["score"]) == 0 and "the first state is taken instead of the last" in rows[0]["message"]


def test_broken_submissions_get_what_was_verified_and_a_reason(graded):
    """dave's 01 is not JSON; his other notebooks kill their kernel right after the first hidden check."""
    _, _, grades, problems = graded
    for assignment_id in ASSIGNMENTS:
        rows = [p for p in problems if p["student_id"] == "dave" and p["assignment"] == assignment_id]
        if assignment_id == "01_rnn_forward":
            assert grades[("dave", assignment_id)][0] == 0 and "not valid JSON" in rows[0]["message"]
            continue
        assert rows[0]["status"] == "passed" and float(rows[0]["score"]) > 0
        assert all(float(p["score"]) == 0 and "kernel died" in p["message"] for p in rows[1:])


def test_honest_notebooks_are_never_suspected_of_tampering(graded):
    assert [p for p in graded[3] if p["status"] == "suspected tampering"] == []


def test_feedback_and_summary(graded):
    result, out, grades, _ = graded
    for student, assignment_id in grades:
        assert list((out / "feedback" / student / assignment_id).glob("*.html"))
    for student in STUDENTS:
        assert student in result.stdout
    assert "ALL" in result.stdout and "TOTAL" in result.stdout


def test_char_rnn_restores_an_earlier_epoch(graded):
    """alice's 08 is the one full run of the character model: early stopping must have restored an
    epoch before the last."""
    out = graded[1]
    notebooks = list((out / ".nbgrader" / "course" / "autograded" / "alice" / "08_char_rnn").glob("*.ipynb"))
    assert len(notebooks) == 1
    figures = run_figures(nbformat.read(str(notebooks[0]), as_version=4))
    assert figures["best_epoch"] < figures["last_epoch"], figures


def test_numpy_char_lstm_trains_clearly_below_the_unigram_baseline(graded):
    """alice's 10 trains the numpy character model with her own functions inside the grader's limits:
    its validation loss must end clearly below the unigram baseline that the notebook computes."""
    out = graded[1]
    notebooks = list((out / ".nbgrader" / "course" / "autograded" / "alice" / "10_numpy_char_lstm").glob("*.ipynb"))
    assert len(notebooks) == 1
    text = printed(nbformat.read(str(notebooks[0]), as_version=4))
    model = re.search(r"validation loss of your model: ([0-9.]+) nats", text)
    baseline = re.search(r"unigram baseline: +([0-9.]+) nats", text)
    assert model and baseline, text[-3000:]
    assert float(model.group(1)) < float(baseline.group(1)) - 0.5, (model.group(0), baseline.group(0))
