"""The instructor's outputs piece by piece, on synthetic rows: no grading, no kernel (fast).

The same outputs of a really graded class are tested in test_instructor.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from grader.class_report import frequent_mistakes, mistake_of, render
from grader.exports import ExportError, ExportSettings, LatePolicy, read_roster, write_exports
from grader.grading import ProblemResult, SubmissionResult
from grader.nbgrader_ext import markdown_maths_to_mathml
from grader.reports import fallback_feedback, student_message, write_csvs
from grader.titles import headings
from grader.verdicts import split_hint, verdict_html

HOSTILE = "<script>alert('x')</script><img src=https://evil.example/x.png>"


def result(student, score_a, score_b, error="", status_b="passed", message_b="passed"):
    return SubmissionResult(student, "01_rnn_forward", [
        ProblemResult("rnn_step_forward", score_a, 2.0, *(("passed", "passed") if score_a else ("wrong", "failed"))),
        ProblemResult("softmax", score_b, 1.0, message_b, status_b)], error=error)


@pytest.fixture
def out(tmp_path) -> Path:
    write_csvs([result("ann", 2, 1), result("ben", 0, 1), result("cat", 2, 0, "the notebook is not valid JSON",
                                                                   "not run", "the notebook is not valid JSON")],
               tmp_path)
    return tmp_path


def test_late_policies_in_the_style_of_nbgrader():
    assert LatePolicy.parse("none").penalty(3, 10_000) == 0
    assert LatePolicy.parse("zero").penalty(3, 1) == 3 and LatePolicy.parse("zero").penalty(3, 0) == 0
    subtract = LatePolicy.parse("subtract:0.5")
    assert subtract.penalty(3, 1) == 0.5 and subtract.penalty(3, 3601) == 1.0  # per started hour
    assert subtract.penalty(1, 10 * 3600) == 1  # never below zero
    with pytest.raises(ExportError, match="unknown late policy"):
        LatePolicy.parse("half")


def test_a_roster_without_student_ids_is_refused_with_its_line(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("student_id,email\nann,ann@x.example\n,nobody@x.example\n")
    with pytest.raises(ExportError, match="line 3: no student_id"):
        read_roster(path)


def test_exports_of_synthetic_grades(out, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student_ID,Name,Email\nann,Ann,ann@x.example\nben,Ben,ben@x.example\n")
    warnings = write_exports(out, ExportSettings(roster=str(roster)))
    assert warnings == [f"cat is graded but not in the roster {roster}: the exports keep the row without LMS ids"]
    with open(out / "grades_wide.csv") as f:
        wide = {r["student_id"]: r for r in csv.DictReader(f)}
    assert [wide[s]["total"] for s in ("ann", "ben", "cat")] == ["3", "1", "2"]
    assert wide["ben"]["percentage"] == "33.3" and wide["cat"]["note"] == "not in the roster"


def test_a_late_policy_without_due_dates_warns(out):
    assert any("no due dates" in w for w in write_exports(out, ExportSettings(late_policy="zero")))


def test_mistakes_are_grouped_by_hint_or_by_first_clause():
    step = "rnn_step_forward"
    hinted = (f"{step}: h_next has the right shape but wrong values: the largest difference is 0.08 at index (0, 0) "
              "(got -0.17, expected -0.09). (case: N=1, D=3, H=2, float64) Hint: your result matches what you get "
              "when Wh is used transposed. [case 1 of 7, seed 2026286523]")
    plain = f"{step}: h_next has shape (3, 2); expected (2, 3). [case 2 of 7, seed 11]"
    other = f"{step}: h_next has shape (4, 5); expected (5, 4). [case 1 of 7, seed 99]"
    assert mistake_of(step, hinted) == "your result matches what you get when Wh is used transposed."
    assert mistake_of(step, plain) == mistake_of(step, other) == "h_next has shape (N, N); expected (N, N)"
    assert mistake_of(step, f"{step} is not implemented yet (it raised NotImplementedError). [case 1 of 7, seed 3]") \
        == "is not implemented yet (it raised NotImplementedError)"
    rows = [{"assignment": "a", "problem": step, "status": "failed", "message": m} for m in (hinted, plain, other)]
    rows.append({"assignment": "a", "problem": step, "status": "passed", "message": "passed"})
    assert frequent_mistakes(rows)[("a", step)].most_common(1)[0][1] == 2


def test_the_class_report_escapes_student_text(tmp_path):
    write_csvs([result("ann", 0, 0, HOSTILE, "failed", f"softmax: {HOSTILE}")], tmp_path)
    page = render(tmp_path)
    assert "<script>" not in page and "https://evil" not in page.replace("&lt;img src=https://evil", "")
    assert "&lt;script&gt;" in page


def test_split_hint_keeps_the_case_with_the_message():
    assert split_hint("wrong values. Hint: Wh transposed. [case 1 of 7, seed 2]") == (
        "wrong values. [case 1 of 7, seed 2]", "Wh transposed.")
    assert split_hint("all 8 hidden cases passed.") == ("all 8 hidden cases passed.", "")


def test_verdicts_are_escaped():
    box = verdict_html("Problem 1", "failed", f"bad {HOSTILE} Hint: {HOSTILE}")
    assert "<script" not in box and "<img" not in box and box.count("&lt;script&gt;") == 2


def test_maths_becomes_mathml_but_code_and_prices_stay():
    text = markdown_maths_to_mathml("$h_t$ costs $5 and $6; `$HOME` stays\n\n```\n$x$\n```\n\n$$\\sum_t a_t$$")
    assert text.startswith("<math") and "<msub><mi>h</mi><mi>t</mi></msub>" in text
    assert "$5 and $6" in text and "`$HOME`" in text and "```\n$x$\n```" in text
    assert '<div class="math-display"><math display="block">' in text
    assert "http" not in text  # no namespace URL, no link


def test_maths_that_cannot_be_converted_is_left_as_written():
    assert markdown_maths_to_mathml("$\\frac{1}{$") == "$\\frac{1}{$"


@pytest.mark.parametrize("error, expected", [
    ("the notebook is not valid JSON (line 5, column 3: Expecting value)", "Your notebook file is damaged"),
    ("the notebook file is not UTF-8 text (invalid start byte at byte 0)", "Your notebook file is damaged"),
    ("not submitted", "Nothing was submitted"),
    ("nbgrader could not run the notebook to the end: the kernel died while the notebook ran (os._exit, a crash, "
     "out of memory, or the notebook ran longer than the grader allows and was stopped)", "stopped while it ran"),
    ("nbgrader could not run the notebook to the end: the notebook's processes used more than 4 GiB of memory "
     "together, and the kernel was stopped", "more memory than the grader allows"),
    ("nbgrader could not run the notebook to the end: a cell ran longer than the grader allows and was stopped",
     "ran longer than the grader allows"),
])
def test_messages_are_written_for_the_student(error, expected):
    happened, todo = student_message(error)
    assert expected in happened and todo


def test_the_fallback_page_is_escaped_styled_and_does_not_repeat_the_error():
    error = f"the notebook is not valid JSON {HOSTILE}"
    page = fallback_feedback(result("ann", 0, 0, error, "not run", error))
    assert "<script>" not in page and "<img" not in page
    assert "Content-Security-Policy" in page and "class='rnn-feedback'" in page and ".verdict" in page
    assert page.count("not valid JSON") == 1
    assert "Download it again from JupyterLab" in page


def test_headings_drop_the_points():
    assert headings("## Problem 1 — One recurrent step (2 points)\ntext\n# Title") == [
        (2, "Problem 1 — One recurrent step"), (1, "Title")]
