"""Grading a whole class: collect, autograde in sandboxes with verification, score, write the reports.

Pipeline (each step feeds the next; later steps never re-run earlier ones):
1. ``collect``      find every (student, assignment) pair and check that its notebook is readable;
2. ``autograde``    one notebook is one task: a pool of worker processes on this machine
                    (``jobs`` of them) or the workers of a Dask cluster (``scheduler``) grade the
                    tasks, whatever their assignment; every notebook runs in a sandbox and its
                    hidden checks are judged outside it (see ``nbgrader_backend`` and
                    ``grader.scheduling``); each result is written here as soon as it arrives;
3. ``score``        one row per (student, assignment, problem), a broken submission scored for what
                    could be verified, with the reason, so that every student always has a row;
4. ``write``        grades.csv, problems.csv, and HTML feedback per student and assignment
                    (:mod:`grader.reports`).

Grading is resumable and idempotent: each graded submission's result is kept in
``OUT/.nbgrader/results`` with a fingerprint of the notebook and of the assignment's source, and a
rerun grades only what has no result yet (or has changed). The hidden checks draw their inputs from
a course secret kept in ``OUT/.nbgrader/secret.key``, so a rerun draws the same inputs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .nbgrader_backend import FAILED, NOT_RUN, TAMPERING, VERIFIED
from .paths import SOLUTIONS, assignment_ids, source_notebook
from .reports import write_reports
from .sandbox import Limits, remove_stale_folders, require_sandbox
from .sanitize import clean_text
from .scheduling.cluster import grade_on_cluster
from .scheduling.local import grade_locally
from .scheduling.progress import Progress
from .scheduling.task import Task, grader_version
from .scheduling.worker import STOPPING, worker_env  # noqa: F401  (worker_env: for bench and selfcheck)
from .submissions import Submission, collect

RESULT_FORMAT = "3"  # part of every fingerprint: results of an older grader are graded again
STATUSES = {VERIFIED, FAILED, NOT_RUN, TAMPERING}


@dataclass
class ProblemResult:
    problem: str
    score: float
    max_score: float
    message: str
    status: str = NOT_RUN  # passed, failed, not run, suspected tampering


@dataclass
class SubmissionResult:
    student_id: str
    assignment: str
    problems: list[ProblemResult] = field(default_factory=list)
    error: str = ""  # why the submission could not be (fully) graded
    feedback: dict = field(default_factory=dict)  # file name -> HTML, from nbgrader

    @property
    def score(self) -> float:
        return sum(p.score for p in self.problems)

    @property
    def max_score(self) -> float:
        return sum(p.max_score for p in self.problems)


def graded_problems(assignment_id: str, source: Path = SOLUTIONS) -> list[tuple[str, float]]:
    """(grade_id, points) of every autograded cell of an assignment's source notebook, in order."""
    nb = nbformat.read(str(source_notebook(assignment_id, source)), as_version=4)
    cells = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    return [(m["grade_id"], float(m.get("points", 0))) for m in cells if m.get("grade")]


def problem_name(grade_id: str) -> str:
    return grade_id.removeprefix("test_")


def score_submission(submission: Submission, worker_result: dict | None) -> SubmissionResult:
    """Turn one worker result (or the reason there is none) into rows for every problem."""
    result = SubmissionResult(submission.student_id, submission.assignment_id)
    outcome = worker_result or {}  # empty when the notebook never reached nbgrader
    result.error = clean_text(submission.error or outcome.get("error", ""))
    graded = outcome.get("problems", {})
    for grade_id, points in graded_problems(submission.assignment_id):
        row = graded.get(grade_id)
        if row is None:
            message = result.error or "the graded cell is missing from the notebook"
            result.problems.append(ProblemResult(problem_name(grade_id), 0.0, points, message, NOT_RUN))
        else:
            message = VERIFIED if row["status"] == VERIFIED else clean_text(row["message"])
            result.problems.append(ProblemResult(problem_name(grade_id), row["score"], points, message,
                                                 row["status"]))
    result.feedback = outcome.get("feedback", {})
    return result


def fingerprint(submission: Submission) -> str:
    """Changes when the notebook, the assignment's source or the grader's result format changes.

    ``submission.notebook`` is the grader's own copy of what ``collect`` read and verified, never the
    file (or link) in the class folder."""
    digest = hashlib.sha256(RESULT_FORMAT.encode())
    digest.update(source_notebook(submission.assignment_id).read_bytes())
    digest.update(Path(submission.notebook).read_bytes())
    return digest.hexdigest()


def course_secret(work: Path) -> Path:
    """The key the hidden checks draw their inputs from; made once per output folder, never shown."""
    path = work / "secret.key"
    if not path.exists():
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path


def load_result(results: Path, student_id: str, expected: str, graded_only: bool = False) -> dict | None:
    """A stored result whose fingerprint is ``expected``; with ``graded_only``, not one whose grading
    itself failed (a rerun tries those again)."""
    path = results / f"{student_id}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not sound_result(stored) or stored.get("fingerprint") != expected or (graded_only and not stored.get("ok")):
        return None
    return stored


def sound_result(stored: object) -> bool:
    """Whether a stored result has the shape the reports need, and only text that can be written.

    A result file is the grader's own, but its text came from student code: one that cannot be
    written as UTF-8 (a lone surrogate), or of the wrong type, would fail the reports of the whole
    class on every rerun. Such a result is not used; the notebook is graded again.
    """
    if not isinstance(stored, dict) or not isinstance(stored.get("problems"), dict):
        return False
    if not all(isinstance(stored.get(k, ""), str) for k in ("student_id", "assignment", "error", "fingerprint")):
        return False
    for row in stored["problems"].values():
        if not isinstance(row, dict) or row.get("status") not in STATUSES or not isinstance(row.get("message"), str):
            return False
        score, maximum = row.get("score"), row.get("max_score")
        if not all(type(v) in (int, float) and math.isfinite(v) for v in (score, maximum)) or not 0 <= score <= maximum:
            return False
    feedback = stored.get("feedback", {})
    if not isinstance(feedback, dict) or not all(isinstance(v, str) for v in feedback.values()):
        return False
    try:
        json.dumps(stored, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True


def write_result(results: Path, result: dict, fingerprint: str) -> None:
    """Atomically: a result file is either complete or absent."""
    result = {k: v for k, v in result.items() if k not in ("timing", "setup_seconds")} | {"fingerprint": fingerprint}
    target = results / f"{result['student_id']}.json"
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(result))
    os.replace(partial, target)


def prepare_workspace(workspace: Path) -> None:
    """An empty nbgrader workspace for one assignment; the local workers fill it (release, gradebook,
    the notebooks they grade). Results are kept elsewhere."""
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)


def make_tasks(submissions: list[Submission], marks: dict, secret: bytes, limits: dict | None,
               unsafe: bool) -> list[Task]:
    """One task per notebook to grade, assignment by assignment (a worker then mostly keeps its
    workspace); the notebooks' bytes are read only when a task is sent."""
    sources = {a: source_notebook(a).read_bytes() for a in {s.assignment_id for s in submissions}}
    order = sorted(submissions, key=lambda s: (s.assignment_id, s.student_id))
    return [Task(s.assignment_id, source_notebook(s.assignment_id).stem, s.student_id,
                 marks[(s.student_id, s.assignment_id)], sources[s.assignment_id], secret, limits, unsafe,
                 grader_version(), str(s.notebook)) for s in order]


def grade_tasks(tasks: list[Task], work: Path, jobs: int | None, scheduler: str | None) -> None:
    """Grade the tasks here (``jobs`` worker processes) or on a Dask cluster, writing each result
    into ``work/results`` as it arrives, with progress on stderr and in ``work/grading.log``."""
    progress = Progress(len(tasks), work / "grading.log")

    def on_result(task: Task, payload: dict) -> None:
        write_result(work / "results" / task.assignment, payload, task.fingerprint)
        progress(task, payload)

    with progress:
        if scheduler:
            grade_on_cluster(scheduler, tasks, on_result)
        else:
            for assignment_id in sorted({t.assignment for t in tasks}):
                prepare_workspace(work / assignment_id)
            grade_locally(tasks, jobs or os.cpu_count() or 1, work, work / "logs", on_result)
    progress.finish()


def grade_class(submissions_path: Path, out_dir: Path, jobs: int | None = None,
                assignments: list[str] | None = None, unsafe: bool = False,
                limits: dict | None = None, scheduler: str | None = None) -> list[SubmissionResult]:
    """Grade every submission under ``submissions_path`` and write the reports into ``out_dir``:
    ``jobs`` notebooks at a time on this machine, or on the Dask cluster at ``scheduler``."""
    require_sandbox(unsafe)
    remove_stale_folders()  # left by a run that was killed
    out_dir = Path(out_dir).resolve()
    work = out_dir / ".nbgrader"
    out_dir.mkdir(parents=True, exist_ok=True)
    assignments = assignments or assignment_ids()
    if (work / "unzipped").exists():
        shutil.rmtree(work / "unzipped")
    work.mkdir(exist_ok=True)
    secret_file = course_secret(work)
    submissions, warnings = collect(Path(submissions_path), assignments, work, Limits(**(limits or {})))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if unsafe:
        print("warning: grading WITHOUT a sandbox (--unsafe): student code runs with your rights.",
              file=sys.stderr)

    todo: list[Submission] = []
    marks: dict[tuple, str] = {}
    for sub in submissions:
        if sub.notebook is None:
            continue
        mark = marks[(sub.student_id, sub.assignment_id)] = fingerprint(sub)
        if load_result(work / "results" / sub.assignment_id, sub.student_id, mark, graded_only=True) is None:
            todo.append(sub)
    readable = len(marks)
    where = f"on the Dask cluster at {scheduler}" if scheduler else f"{jobs or os.cpu_count() or 1} at a time"
    print(f"Grading {readable} notebooks of {len({s.student_id for s in submissions})} students "
          f"in {len(assignments)} assignments, {where}"
          + (f" ({readable - len(todo)} already graded in an earlier run)" if len(todo) < readable else "")
          + "...", file=sys.stderr, flush=True)
    for assignment_id in assignments:
        (work / "results" / assignment_id).mkdir(parents=True, exist_ok=True)
    tasks = make_tasks(todo, marks, secret_file.read_bytes(), limits, unsafe)
    if todo:
        grade_tasks(tasks, work, jobs, scheduler)

    results = []
    for sub in submissions:
        stored = None
        if sub.notebook is not None:
            stored = load_result(work / "results" / sub.assignment_id, sub.student_id,
                                 marks[(sub.student_id, sub.assignment_id)])
            if stored is None:
                if STOPPING.is_set():
                    raise KeyboardInterrupt
                stored = {"problems": {}, "error": "the grader kept no sound result for this notebook; "
                                                   "grade the class again"}
        try:
            results.append(score_submission(sub, stored))
        except Exception as exc:  # noqa: BLE001 - one submission must never stop the reports
            sub.error = f"the grader could not score this notebook ({type(exc).__name__})"
            results.append(score_submission(sub, None))
    write_reports(results, out_dir, submissions)
    return results
