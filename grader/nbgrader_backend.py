"""Runs real nbgrader steps through its Python API (``NbGraderAPI``), one workspace per assignment.

A workspace is an nbgrader course root holding only instructor data: its gradebook, the submitted,
autograded and feedback trees, and a release built from ``solutions/``. The sources are read from
the checkout and never written.

Run as a worker process (``python -m grader.nbgrader_backend WORKSPACE ASSIGNMENT STUDENT...``) it
builds the assignment, autogrades and writes feedback for each student, and prints one JSON line
per student. Separate processes keep nbgrader's global state apart and let assignments run in
parallel, each with its own gradebook.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from traitlets.config import Config

from .paths import SOLUTIONS

CELL_TIMEOUT_S = 120  # per cell; a cell that runs longer is interrupted and scored as failed
PASSED = "passed"
RESULT_PREFIX = "@@grader-result "  # marks the worker's result lines among log output


def nbgrader_config(root: Path, source: Path = SOLUTIONS, release: Path | None = None) -> Config:
    """nbgrader configuration for a course root ``root`` whose sources are ``source``."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import SaveAutoGrades

    from .nbgrader_ext import StderrIsNotFailure

    c = Config()
    c.CourseDirectory.course_id = "rnn-course"
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = str(source)
    c.CourseDirectory.release_directory = str(release or root / "release")
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    c.Execute.timeout = CELL_TIMEOUT_S
    c.Execute.allow_errors = True
    # Order matters: stderr is relabelled after execution and before the scores are saved.
    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    steps.insert(steps.index(SaveAutoGrades), StderrIsNotFailure)
    c.Autograde.autograde_preprocessors = steps
    return c


def make_api(config: Config):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


KNOWN_FAILURES = {  # text in nbgrader's log -> what it means for the student
    "DeadKernelError": "the kernel died while the notebook ran (os._exit, a crash, or out of memory)",
    "CellTimeoutError": f"a cell ran longer than {CELL_TIMEOUT_S} s and was stopped",
    "NotJSONError": "the notebook is not valid JSON",
}


def short_error(result: dict) -> str:
    """What went wrong in a failed nbgrader step, in one line."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    for marker, meaning in KNOWN_FAILURES.items():
        if marker in text:
            return meaning
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    interesting = [line for line in lines if "Error" in line and "Please see" not in line]
    return (interesting or lines or ["unknown error"])[-1][:500]


def cell_messages(notebook_path: Path) -> dict[str, str]:
    """Per grade cell of an autograded notebook: 'passed' or the error the cell raised."""
    import nbformat

    messages = {}
    nb = nbformat.read(str(notebook_path), as_version=4)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            ename, evalue = errors[-1].get("ename", "Error"), errors[-1].get("evalue", "")
            messages[meta["grade_id"]] = evalue if ename == "CheckFailed" else f"{ename}: {evalue}"
        else:
            messages[meta["grade_id"]] = PASSED
    return messages


def read_scores(api, assignment_id: str, student_id: str, notebook_id: str) -> dict[str, tuple]:
    """grade_id -> (score, max_score) from the gradebook."""
    scores = {}
    with api.gradebook as gb:
        submission = gb.find_submission_notebook(notebook_id, assignment_id, student_id)
        for grade in submission.grades:
            scores[grade.name] = (float(grade.score), float(grade.max_score))
    return scores


def grade_student(api, root: Path, assignment_id: str, student_id: str, notebook_id: str) -> dict:
    """Autograde one submission and write its feedback; returns a JSON-able result."""
    result = {"student_id": student_id, "assignment": assignment_id, "ok": False, "problems": {}}
    autograded = api.autograde(assignment_id, student_id, force=True, create=True)
    if not autograded["success"]:
        result["error"] = "nbgrader could not autograde the notebook: " + short_error(autograded)
        return result
    notebook = root / "autograded" / student_id / assignment_id / f"{notebook_id}.ipynb"
    messages = cell_messages(notebook)
    for grade_id, (score, max_score) in read_scores(api, assignment_id, student_id, notebook_id).items():
        message = messages.get(grade_id, "the graded cell is missing from the notebook")
        result["problems"][grade_id] = {"score": score, "max_score": max_score, "message": message}
    feedback = api.generate_feedback(assignment_id, student_id, force=True)
    if not feedback["success"]:
        result["feedback_error"] = short_error(feedback)
    result["ok"] = True
    return result


def main(argv: list[str]) -> int:
    root, assignment_id, notebook_id, *students = argv
    root = Path(root)
    os.chdir(root)  # nbgrader resolves some paths against the working directory
    api = make_api(nbgrader_config(root))
    built = api.generate_assignment(assignment_id, force=True, create=True)
    if not built["success"]:
        fatal = {"fatal": "could not build the assignment: " + short_error(built)}
        print(RESULT_PREFIX + json.dumps(fatal), flush=True)
        return 1
    for student_id in students:
        try:
            line = grade_student(api, root, assignment_id, student_id, notebook_id)
        except Exception as exc:  # one submission must never stop the others
            line = {"student_id": student_id, "assignment": assignment_id, "ok": False,
                    "problems": {}, "error": f"grading failed: {type(exc).__name__}: {exc}"}
        print(RESULT_PREFIX + json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
