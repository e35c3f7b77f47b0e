"""One nbgrader course gradebook per output folder, for nbgrader's Formgrader and ``nbgrader export``.

Each grading run works in per-assignment workspaces under ``OUT/.nbgrader/<assignment>/`` (their
gradebooks are rebuilt on every run). At the end of a run, :func:`sync_course_gradebook` brings what
was graded into one lasting course, laid out as nbgrader expects it, with ``OUT`` as its root:

- ``OUT/gradebook.db``: the assignments' structure (notebooks, grade, solution and source cells),
  every student, and one submission per graded notebook whose automatic scores are the verified
  ones from ``OUT/.nbgrader/results`` (the same as grades.csv). Manual points and comments an
  instructor enters in Formgrader live in other columns and are never written here, so they survive
  every later run;
- ``OUT/.nbgrader/course/submitted`` and ``autograded``: each graded notebook, for Formgrader's view
  (a notebook whose kernel died has no autograded copy: its submitted one is shown instead);
- ``OUT/feedback``: already nbgrader's layout, written by :mod:`grader.reports`.

``nbgrader_config.py`` at the top of the checkout points nbgrader at this course (``make formgrader``).
"""

from __future__ import annotations

import json
import shutil
import warnings
from datetime import timezone
from pathlib import Path

GRADEBOOK = "gradebook.db"
COURSE = Path(".nbgrader") / "course"  # submitted/ and autograded/ trees of the course, under OUT


def db_url(out_dir: Path) -> str:
    return f"sqlite:///{Path(out_dir).resolve() / GRADEBOOK}"


def copy_structure(source_gb, course_gb, assignment_id: str) -> None:
    """The assignment's notebooks and cells, as ``generate_assignment`` recorded them in a workspace."""
    assignment = source_gb.find_assignment(assignment_id)
    course_gb.update_or_create_assignment(assignment_id, duedate=assignment.duedate)
    for notebook in assignment.notebooks:
        course_gb.update_or_create_notebook(notebook.name, assignment_id)
        for cell in notebook.grade_cells:
            course_gb.update_or_create_grade_cell(cell.name, notebook.name, assignment_id,
                                                  max_score=cell.max_score, cell_type=cell.cell_type)
        for cell in notebook.solution_cells:
            course_gb.update_or_create_solution_cell(cell.name, notebook.name, assignment_id)
        for cell in notebook.source_cells:
            course_gb.update_or_create_source_cell(cell.name, notebook.name, assignment_id,
                                                   cell_type=cell.cell_type, locked=cell.locked,
                                                   source=cell.source, checksum=cell.checksum)


def stored_result(out_dir: Path, result) -> dict | None:
    """The stored worker result behind ``result`` (a SubmissionResult), if its notebook was run in
    this or an earlier run; None when the notebook could not be read (a damaged or missing file, also
    one that replaced a notebook graded before)."""
    path = out_dir / ".nbgrader" / "results" / result.assignment / f"{result.student_id}.json"
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not stored.get("problems") or (result.error and result.error != stored.get("error")):
        return None
    return stored


def copy_notebooks(out_dir: Path, assignment_id: str, student_id: str, submitted_at=None) -> None:
    """The notebook Formgrader shows: the autograded copy, or the submitted one when there is none.

    nbgrader counts a submission as autograded only when the submitted folder's ``timestamp.txt``
    agrees with the gradebook's timestamp: both are written from the same submission time.
    """
    work = out_dir / ".nbgrader" / assignment_id
    for tree in ("submitted", "autograded"):
        source = work / tree / student_id / assignment_id
        if tree == "autograded" and not any(source.glob("*.ipynb")):
            source = work / "submitted" / student_id / assignment_id
        if not any(source.glob("*.ipynb")):
            continue  # graded in an earlier run: the course keeps that run's copies
        dest = out_dir / COURSE / tree / student_id / assignment_id
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(source, dest)
    stamp = out_dir / COURSE / "submitted" / student_id / assignment_id / "timestamp.txt"
    if submitted_at is not None and stamp.parent.is_dir():
        stamp.write_text(submitted_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    elif stamp.exists():
        stamp.unlink()


def save_scores(course_gb, result, submitted_at=None) -> None:
    """The verified automatic scores (those of grades.csv); manual scores and comments are left as the
    instructor set them."""
    extra = {"timestamp": submitted_at} if submitted_at else {}
    submission = course_gb.update_or_create_submission(result.assignment, result.student_id, **extra)
    set_auto_scores(course_gb, submission, {p.problem: p.score for p in result.problems})


def set_auto_scores(course_gb, submission, scores: dict[str, float]) -> None:
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            grade.auto_score = float(scores.get(grade.name.removeprefix("test_"), 0.0))
            grade.needs_manual_grade = False
    course_gb.db.commit()


def sync_course_gradebook(out_dir: Path, results: list) -> Path:
    """Bring the graded class (SubmissionResult rows) into the course gradebook; returns its path."""
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    from .exports import read_submission_times
    from .nbgrader_startup import read_schema_revision_in_process

    read_schema_revision_in_process()  # a new gradebook without an `alembic` process
    out_dir = Path(out_dir).resolve()
    times = read_submission_times(out_dir)
    with Gradebook(db_url(out_dir)) as course_gb, warnings.catch_warnings():
        # nbgrader's add_submission makes SQLAlchemy warn about its own autoflush; harmless
        warnings.simplefilter("ignore", SAWarning)
        for student_id in sorted({r.student_id for r in results}):
            course_gb.update_or_create_student(student_id)
        for assignment_id in sorted({r.assignment for r in results}):
            workspace_db = out_dir / ".nbgrader" / assignment_id / GRADEBOOK
            if workspace_db.exists():
                with Gradebook(f"sqlite:///{workspace_db}") as work_gb:
                    try:
                        copy_structure(work_gb, course_gb, assignment_id)
                    except MissingEntry:
                        pass  # the workspace never built the assignment
        for r in results:
            try:
                course_gb.find_assignment(r.assignment)
            except MissingEntry:
                continue  # no notebook of this assignment was ever run
            if stored_result(out_dir, r) is not None:
                submitted_at = times.get((r.student_id, r.assignment))
                copy_notebooks(out_dir, r.assignment, r.student_id, submitted_at)
                save_scores(course_gb, r, submitted_at)
            else:  # nothing could be run: an earlier submission's automatic scores no longer count
                try:
                    set_auto_scores(course_gb, course_gb.find_submission(r.assignment, r.student_id), {})
                except MissingEntry:
                    pass
    return out_dir / GRADEBOOK
