"""The grading pipeline on a tiny fixture course, through the real `python -m grader grade`.

One class holds every kind of submission the pipeline must survive; it is graded once and each
test reads the reports. The real course is graded end to end in test_sample_class.py.
"""

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.release import release as do_release
from tests.fixtures.make_course import ASSIGNMENT, build

NOISY_STEP = '''import sys
import numpy as np

def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    print("W0000 a log line on stderr, like TensorFlow's", file=sys.stderr)
    return np.tanh(x_t @ Wx + h_prev @ Wh + b)'''


def run_grader(solutions: Path, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, RNN_COURSE_SOLUTIONS=str(solutions))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def submit(root: Path, student: str, nb) -> Path:
    path = root / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, (str, bytes)):
        path.write_bytes(nb.encode() if isinstance(nb, str) else nb)
    else:
        nbformat.write(nb, str(path))
    return path


def read_csv(path: Path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    solutions = build(root)
    release = root / "notebooks"
    do_release(dest=release, source=solutions)
    solved = nbformat.read(str(solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    released = nbformat.read(str(release / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    return root, solutions, solved, released


@pytest.fixture(scope="module")
def graded(course):
    root, solutions, solved, released = course
    subs = root / "submissions"
    submit(subs, "alice", solved)
    submit(subs, "carol", released)
    text = nbformat.writes(solved)
    submit(subs, "dave", text[: len(text) // 2])  # truncated: not JSON
    submit(subs, "eve", b"\xff\xfe not utf-8 \x80")
    (subs / "erin" / ASSIGNMENT).mkdir(parents=True)  # folder, no notebook
    (subs / "gina").mkdir()  # no assignment folder at all
    noisy = nbformat.from_dict(json.loads(json.dumps(solved)))
    noisy.cells[2].source = NOISY_STEP
    submit(subs, "noisy", noisy)
    killed = nbformat.from_dict(json.loads(json.dumps(solved)))
    killed.cells.insert(5, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    submit(subs, "frank", killed)
    renamed = submit(subs, "hana", solved)
    renamed.rename(renamed.with_name("my work.ipynb"))
    out = root / "out"
    result = run_grader(solutions, "grade", str(subs), "--out", str(out))
    return result, out


def scores(out: Path) -> dict[str, tuple[float, float]]:
    return {r["student_id"]: (float(r["score"]), float(r["max_score"])) for r in read_csv(out / "grades.csv")}


def messages(out: Path, student: str) -> list[str]:
    return [r["message"] for r in read_csv(out / "problems.csv") if r["student_id"] == student]


def test_grade_exits_0_and_every_student_has_a_row(graded):
    result, out = graded
    assert result.returncode == 0, result.stderr
    assert set(scores(out)) == {"alice", "carol", "dave", "eve", "erin", "gina", "noisy", "frank", "hana"}
    assert all(len(messages(out, s)) == 2 for s in scores(out))


def test_correct_submission_earns_full_points(graded):
    assert scores(graded[1])["alice"] == (3.0, 3.0)
    assert messages(graded[1], "alice") == ["passed", "passed"]


def test_untouched_release_earns_zero_without_crashing(graded):
    assert scores(graded[1])["carol"] == (0.0, 3.0)
    assert all("not implemented yet" in m for m in messages(graded[1], "carol"))


def test_stderr_output_in_a_graded_cell_costs_nothing(graded):
    assert scores(graded[1])["noisy"] == (3.0, 3.0)


def test_broken_and_missing_submissions_get_zero_and_a_reason(graded):
    out = graded[1]
    assert scores(out)["dave"] == (0.0, 3.0) and "not valid JSON" in messages(out, "dave")[0]
    assert scores(out)["eve"] == (0.0, 3.0) and "not UTF-8" in messages(out, "eve")[0]
    assert "no notebook was submitted" in messages(out, "erin")[0]
    assert messages(out, "gina")[0] == "not submitted"


def test_kernel_death_keeps_what_was_verified_before_it(graded):
    assert scores(graded[1])["frank"] == (2.0, 3.0)  # rnn_step_forward was verified before os._exit
    assert "kernel died" in messages(graded[1], "frank")[1]


def test_a_renamed_notebook_is_still_graded(graded):
    assert scores(graded[1])["hana"] == (3.0, 3.0)


def test_feedback_for_every_submission(graded):
    out = graded[1]
    for student in scores(out):
        pages = list((out / "feedback" / student / ASSIGNMENT).glob("*.html"))
        assert pages, student
    assert "not valid JSON" in (out / "feedback" / "dave" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def test_summary_table_and_progress(graded):
    result, _ = graded
    assert "alice" in result.stdout and "TOTAL" in result.stdout
    assert "[1/" in result.stderr  # progress lines


def test_zip_of_the_submitted_tree(course, tmp_path):
    root, solutions, solved, released = course
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"export/alice/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", nbformat.writes(solved))
        zf.writestr(f"export/carol/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", nbformat.writes(released))
    result = run_grader(solutions, "grade", str(archive), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert scores(tmp_path / "out") == {"alice": (3.0, 3.0), "carol": (0.0, 3.0)}


def test_unsafe_zip_is_refused(course, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escaped.txt", "x")
    result = run_grader(course[1], "grade", str(archive), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "unsafe path" in result.stderr
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_missing_submissions_folder_is_a_clear_error(course, tmp_path):
    result = run_grader(course[1], "grade", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_without_bubblewrap_grading_is_refused_unless_unsafe(course, tmp_path):
    root, solutions, solved, _ = course
    subs = tmp_path / "subs"
    submit(subs, "alice", solved)
    env = dict(os.environ, RNN_COURSE_SOLUTIONS=str(solutions), PATH=str(Path(sys.executable).parent))
    command = [sys.executable, "-m", "grader", "grade", str(subs), "--out", str(tmp_path / "out")]
    refused = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert refused.returncode == 2 and "Refusing to grade" in refused.stderr and "--unsafe" in refused.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
    unsafe = subprocess.run([*command, "--unsafe"], capture_output=True, text=True, env=env, timeout=600)
    assert unsafe.returncode == 0, unsafe.stderr
    assert "WITHOUT a sandbox" in unsafe.stderr and scores(tmp_path / "out") == {"alice": (3.0, 3.0)}
