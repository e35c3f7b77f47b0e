"""What an instructor gets from a graded class: LMS exports, the class report, nbgrader's course
gradebook (Formgrader, ``nbgrader export``) and feedback a student can read.

The tiny fixture course is graded once, through the real ``python -m grader grade``, with a class
that has every kind of row: full marks, a diagnosed mistake submitted late, an untouched release,
a damaged file and a kernel that dies. Tests that change the output folder work on a copy.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from grader.paths import ROOT
from tests.chromium import dump_dom, require_chromium, screenshot
from tests.fixtures.make_course import ASSIGNMENT
from tests.test_pipeline import course, read_csv, run_grader, submit  # noqa: F401 (course is a fixture)

WRONG_STEP = '''import numpy as np

def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    return np.tanh(x_t @ Wx + h_prev @ Wh.T + b)'''
HINT = "your result matches what you get when Wh is used transposed"
MATHS = "The step is $h_t = \\tanh(x_t W_x + h_{t-1} W_h + b)$, and over a sequence\n\n$$\\sum_{t=1}^{T} h_t$$"
DUE = "2026-11-21T00:00:00+00:00"


def copy_of(nb):
    return nbformat.from_dict(json.loads(json.dumps(nb)))


@pytest.fixture(scope="module")
def graded(course):  # noqa: F811
    root, solutions, solved, released = course
    subs = root / "instructor-class"
    alice = copy_of(solved)
    alice.cells.insert(1, nbformat.v4.new_markdown_cell(MATHS))
    submit(subs, "alice", alice).with_name("timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    bob = copy_of(solved)
    bob.cells[2].source = WRONG_STEP
    submit(subs, "bob", bob).with_name("timestamp.txt").write_text("2026-11-22 10:30:00.000000 UTC")
    submit(subs, "carol", released)
    text = nbformat.writes(solved)
    submit(subs, "dave", text[: len(text) // 2])
    frank = copy_of(solved)
    frank.cells.insert(5, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    submit(subs, "frank", frank)
    out = root / "instructor-out"
    result = run_grader(solutions, "grade", str(subs), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return result, out, subs, solutions


def totals(out: Path) -> dict[str, float]:
    sums = Counter()
    for row in read_csv(out / "grades.csv"):
        sums[row["student_id"]] += float(row["score"])
    return dict(sums)


def csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


# ------------------------------------------------------------------------------ LMS exports


def test_grade_writes_the_exports_and_prints_the_report_path(graded):
    result, out, _, _ = graded
    for name in ("grades_wide.csv", "canvas.csv", "moodle.csv", "report.html"):
        assert (out / name).is_file(), name
    assert f"Class report: {out / 'report.html'}" in result.stdout


def test_wide_export_has_one_row_per_student_with_the_totals_of_grades_csv(graded):
    out = graded[1]
    rows = read_csv(out / "grades_wide.csv")
    assert list(rows[0])[:5] == ["student_id", "name", "email", "section", ASSIGNMENT]
    assert {"total", "max_score", "percentage", "note"} <= set(rows[0])
    expected = totals(out)
    assert {r["student_id"]: float(r["total"]) for r in rows} == expected
    for r in rows:
        assert float(r["max_score"]) == 3.0
        assert float(r["percentage"]) == pytest.approx(100 * expected[r["student_id"]] / 3, abs=0.05)


def test_canvas_export_follows_the_gradebook_import_format(graded):
    out = graded[1]
    header, points, *rows = csv_rows(out / "canvas.csv")
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5] == f"Tiny course ({ASSIGNMENT})"  # the title, then the assignment's id in parentheses
    assert points[0] == "Points Possible" and points[5] == "3"
    assert {r[2]: float(r[5]) for r in rows} == totals(out)


def test_moodle_export_has_identifier_columns_and_one_column_per_grade_item(graded):
    out = graded[1]
    header, *rows = csv_rows(out / "moodle.csv")
    assert header[:3] == ["ID number", "Username", "Email address"]
    assert "Tiny course" in header
    column = header.index("Tiny course")
    assert {r[0]: float(r[column]) for r in rows} == totals(out)


@pytest.fixture
def regraded_copy(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded[1], out)
    return out


def write_roster(path: Path, students: list[str]) -> Path:
    lines = ["student_id,name,email,login,lms_id,sis_id,section"]
    lines += [f"{s},{s.title()} Doe,{s}@uni.example,{s}1,10{i},S{i},A" for i, s in enumerate(students)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_export_command_maps_the_roster_and_reports_a_missing_student(graded, regraded_copy, tmp_path):
    solutions, out = graded[3], regraded_copy
    roster = write_roster(tmp_path / "roster.csv", ["alice", "bob", "dave", "frank", "zoe"])  # no carol
    result = run_grader(solutions, "export", str(out), "--roster", str(roster))
    assert result.returncode == 0, result.stderr
    assert "carol is graded but not in the roster" in result.stderr
    wide = {r["student_id"]: r for r in read_csv(out / "grades_wide.csv")}
    assert wide["carol"]["note"] == "not in the roster" and wide["carol"]["total"] == "0"
    assert wide["alice"]["email"] == "alice@uni.example" and wide["alice"]["total"] == "3"
    assert "nothing was submitted" in wide["zoe"]["note"]
    canvas = {r[0]: r for r in csv_rows(out / "canvas.csv")[2:]}
    assert canvas["Alice Doe"][1:5] == ["100", "S0", "alice1", "A"]
    assert canvas["carol (not in the roster)"][5] == "0"
    moodle = {r[0]: r for r in csv_rows(out / "moodle.csv")[1:]}
    assert moodle["S1"][1:3] == ["bob1", "bob@uni.example"] and moodle["carol"][-1] == "not in the roster"


def test_late_policy_from_submission_times(graded, regraded_copy):
    solutions, out = graded[3], regraded_copy
    assert {(r["student_id"], r["submitted_at"][:10]) for r in read_csv(out / "submission_times.csv")} == {
        ("alice", "2026-11-20"), ("bob", "2026-11-22")}
    result = run_grader(solutions, "export", str(out), "--late-policy", "zero", "--due", f"{ASSIGNMENT}={DUE}")
    assert result.returncode == 0, result.stderr
    wide = {r["student_id"]: r for r in read_csv(out / "grades_wide.csv")}
    assert wide["bob"]["total"] == "0" and wide["bob"]["late_penalty"] == "1"  # 1 point, 34.5 h late
    assert "34.5 h late" in wide["bob"]["note"]
    assert wide["alice"]["total"] == "3" and wide["alice"]["late_penalty"] == "0"  # on time
    assert totals(out)["bob"] == 1.0  # grades.csv keeps the verified score


def test_export_of_a_folder_that_was_never_graded_is_a_clear_error(course, tmp_path):  # noqa: F811
    result = run_grader(course[1], "export", str(tmp_path))
    assert result.returncode == 2 and "grade the class" in result.stderr


# ------------------------------------------------------------------------------ the class report

URL_IN_RESOURCE = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def test_report_is_self_contained_with_its_plots(graded):
    page = (graded[1] / "report.html").read_text()
    assert '<meta http-equiv="Content-Security-Policy"' in page and "default-src 'none'" in page
    assert "<script" not in page.lower()
    assert not URL_IN_RESOURCE.search(page), URL_IN_RESOURCE.search(page)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)  # nor from a style sheet
    plots = re.findall(r'<img class="plot" alt="plot" src="data:image/png;base64,', page)
    assert len(plots) == 2  # the score distribution and the pass rates of the one assignment


def test_report_counts_match_problems_csv(graded):
    out = graded[1]
    page = (out / "report.html").read_text()
    problems = read_csv(out / "problems.csv")
    for problem in ("rnn_step_forward", "softmax"):
        rows = [r for r in problems if r["problem"] == problem]
        passed = sum(r["status"] == "passed" for r in rows)
        assert f"data-problem='{ASSIGNMENT}/{problem}' data-passed='{passed}' data-total='{len(rows)}'" in page
    failed = sum(r["status"] == "failed" for r in problems)
    mistakes = [int(n) for n in re.findall(r"<tr data-problem='[^']+' data-count='(\d+)'", page)]
    assert sum(mistakes) == failed
    assert HINT in page  # bob's diagnosed mistake, grouped under its hint
    not_run = {(r["student_id"], r["assignment"]) for r in problems if r["status"] == "not run"}
    assert page.count("<tr class='not-graded'") == len(not_run) == 2  # dave (damaged), frank (kernel died)
    assert "not valid JSON" in page and "kernel died" in page
    assert "<tr class='slow'>" in page  # grading times recorded per notebook


def test_report_renders_offline_in_chromium(graded, tmp_path):
    require_chromium()
    dom = dump_dom(graded[1] / "report.html")
    assert "Pass rate per problem" in dom and "Problem 1 — One step" in dom


# ------------------------------------------------------------------------------ nbgrader's course gradebook


def nbgrader_env(out: Path, solutions: Path) -> dict:
    env = dict(os.environ, RNN_COURSE_OUT=str(out), RNN_COURSE_SOLUTIONS=str(solutions))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return env


def course_api(out: Path, solutions: Path, monkeypatch):
    """nbgrader's own API, configured by the course's nbgrader_config.py, as Formgrader is."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("RNN_COURSE_OUT", str(out))
    monkeypatch.setenv("RNN_COURSE_SOLUTIONS", str(solutions))
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def test_formgrader_sees_every_graded_submission_with_the_verified_scores(graded, monkeypatch):
    _, out, _, solutions = graded
    api = course_api(out, solutions, monkeypatch)
    submissions = {s["student"]: s for s in api.get_submissions(ASSIGNMENT)}
    assert set(submissions) == {"alice", "bob", "carol", "frank"}  # dave's file could not be read
    expected = totals(out)
    for student, s in submissions.items():
        assert s["autograded"] and s["score"] == expected[student], student
        notebook = out / ".nbgrader" / "course" / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert notebook.is_file()
        assert (out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert submissions["bob"]["timestamp"].startswith("2026-11-22T10:30")
    assert {s["id"] for s in api.get_students()} == set(expected)


def test_nbgrader_export_gives_the_totals_of_grades_csv(graded, tmp_path):
    _, out, _, solutions = graded
    target = tmp_path / "nbgrader-grades.csv"
    result = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", str(target)], cwd=ROOT,
                            env=nbgrader_env(out, solutions), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert {r["student_id"]: float(r["score"]) for r in read_csv(target)} == totals(out)


def test_the_next_grade_run_keeps_manual_grades_comments_and_export_settings(graded, regraded_copy,
                                                                             monkeypatch, tmp_path):
    from nbgrader.api import Gradebook

    _, _, subs, solutions = graded
    out = regraded_copy
    exported = run_grader(solutions, "export", str(out), "--late-policy", "zero", "--due", f"{ASSIGNMENT}={DUE}")
    assert exported.returncode == 0, exported.stderr
    url = f"sqlite:///{out / 'gradebook.db'}"
    with Gradebook(url) as gb:
        bob = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "bob")
        comment = next(c for c in bob.comments if c.name == "answer_step")
        comment.manual_comment = "Look at the shapes of Wh."
        grade = next(g for g in bob.grades if g.name == "test_rnn_step_forward")
        grade.manual_score = 1.0  # partial credit for the idea
        gb.db.commit()
    (out / ".nbgrader" / "results" / ASSIGNMENT / "bob.json").unlink()  # bob is graded again
    resubmitted = tmp_path / "resubmitted"
    shutil.copytree(subs, resubmitted)
    alice = resubmitted / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    alice.write_text(alice.read_text()[:100])  # damaged: her earlier 3 points no longer count
    result = run_grader(solutions, "grade", str(resubmitted), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"[1/1] {ASSIGNMENT} / bob" in result.stderr
    with Gradebook(url) as gb:
        bob = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "bob")
        assert next(c for c in bob.comments if c.name == "answer_step").manual_comment == "Look at the shapes of Wh."
        grade = next(g for g in bob.grades if g.name == "test_rnn_step_forward")
        assert (grade.manual_score, grade.auto_score) == (1.0, 0.0)
    api = course_api(out, solutions, monkeypatch)
    scores = {s["student"]: s["score"] for s in api.get_submissions(ASSIGNMENT)}
    assert scores["bob"] == 2.0  # 1 + 1 manual
    assert scores["alice"] == 0.0 == totals(out)["alice"]
    wide = {r["student_id"]: r for r in read_csv(out / "grades_wide.csv")}  # exported as last time
    assert (wide["bob"]["total"], wide["bob"]["late_penalty"]) == ("0", "1")


# ------------------------------------------------------------------------------ feedback a student can read


CSP = re.compile(r"""<meta(?=[^>]*http-equiv=["']Content-Security-Policy)(?=[^>]*default-src 'none')[^>]*>""")


def feedback(out: Path, student: str) -> str:
    return (out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def test_feedback_names_the_problems_and_shows_the_hint(graded):
    page = feedback(graded[1], "bob")
    assert "Test cell" not in page
    assert page.count("Problem 1 — One step") >= 3  # contents, the problem's heading, its verdict
    assert "Problem 2 — Softmax" in page
    assert f'<p class="hint"><strong>Hint:</strong> {HINT}.</p>' in page
    assert CSP.search(page)
    assert "<script" not in page.lower() and "mathjax" not in page.lower()
    assert "check(" not in page  # the hidden tests' code is never shown


def test_feedback_maths_is_mathml(graded):
    page = feedback(graded[1], "alice")
    assert "<math" in page and "<msub><mi>h</mi><mi>t</mi></msub>" in page
    assert 'display="block"' in page
    assert "$h_t" not in page and "\\tanh" not in page


def test_a_damaged_notebook_gets_a_message_for_the_student(graded):
    page = feedback(graded[1], "dave")
    assert "Your notebook file is damaged" in page and "Download it again from JupyterLab" in page
    assert "class='rnn-feedback'" in page and CSP.search(page)
    assert page.count("not valid JSON") == 1  # once, in the details, not in every row
    assert "Problem 1 — One step" in page and "Problem 2 — Softmax" in page


def test_a_dead_kernel_names_the_cell_that_was_running(graded):
    out = graded[1]
    page = feedback(out, "frank")
    assert "Your notebook stopped while it ran" in page
    assert "It stopped in cell 6 of your notebook" in page and "import os" in page
    assert "2 / 3" in page and "PASSED" in page  # what was verified before the kernel died
    assert "it stopped in cell 6" in [r for r in read_csv(out / "problems.csv") if r["student_id"] == "frank"][1][
        "message"]


def hint_box_rows(png: Path) -> list[int]:
    """Rows of the screenshot where the hint's background (#eef6ff) spans at least 200 pixels."""
    from PIL import Image

    image = Image.open(io.BytesIO(png.read_bytes())).convert("RGB")
    width, height = image.size
    pixels = image.load()
    return [y for y in range(height)
            if sum(pixels[x, y] == (0xEE, 0xF6, 0xFF) for x in range(0, width, 2)) >= 100]


def test_feedback_screenshot_shows_the_hint(graded, tmp_path):
    """A narrow window: the verdict wraps, so the hint is on screen, inside the window, not cut off."""
    require_chromium()
    page = graded[1] / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    png = screenshot(page, tmp_path / "feedback.png", width=700, height=1400)
    assert hint_box_rows(png), "no hint box on the screenshot"
    dom = dump_dom(page)
    hint = re.search(r'<p class="hint">(.*?)</p>', dom, re.S)
    assert hint and HINT in hint.group(1)
    shutil.copyfile(png, graded[1] / "feedback-screenshot.png")  # for a person to look at
