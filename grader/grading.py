"""Grading a whole class: collect, autograde in sandboxes with verification, score, write the reports.

Pipeline (each step feeds the next; later steps never re-run earlier ones):
1. ``collect``      find every (student, assignment) pair and check that its notebook is readable;
2. ``autograde``    one worker process per assignment, in parallel, each with its own workspace and
                    gradebook under ``OUT/.nbgrader``; every notebook runs in a sandbox and its
                    hidden checks are judged outside it (see ``nbgrader_backend``);
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

import contextlib
import hashlib
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from .nbgrader_backend import FAILED, NOT_RUN, RESULT_PREFIX, TAMPERING, VERIFIED, Job
from .paths import ROOT, assignment_ids, source_notebook
from .reports import write_reports
from .sandbox import Limits, remove_stale_folders, require_sandbox
from .sanitize import clean_text
from .submissions import Submission, collect

RESULT_FORMAT = "3"  # part of every fingerprint: results of an older grader are graded again
STATUSES = {VERIFIED, FAILED, NOT_RUN, TAMPERING}
STOPPING = threading.Event()  # set when the run is stopped (a signal): no new worker starts


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


def graded_problems(assignment_id: str) -> list[tuple[str, float]]:
    """(grade_id, points) of every autograded cell of an assignment's source notebook, in order."""
    nb = nbformat.read(str(source_notebook(assignment_id)), as_version=4)
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


def worker_env() -> dict:
    """Environment for nbgrader and the kernels it starts: this interpreter first on PATH.

    nbgrader's kernel spec starts ``python`` from PATH and calls ``alembic`` to create gradebooks;
    both must come from the environment the grader runs in.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    env.setdefault("MPLBACKEND", "Agg")
    return env


def run_worker(job: Job, on_result: Callable) -> None:
    """Grade the job's students in worker processes, until each has a stored result.

    A worker that dies (it should not: every fault of a notebook is caught inside it) costs only the
    submission it was grading, which gets a result saying so; a new worker takes the rest.
    """
    workspace, results = Path(job.workspace), Path(job.results)
    pending = list(job.students)
    attempt = 0
    while pending and not STOPPING.is_set():
        attempt += 1
        job_file = workspace / f"job-{attempt}.json"
        job_file.write_text(json.dumps({**job.__dict__, "students": pending}))
        log_path = workspace / f"worker-{attempt}.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "grader.nbgrader_backend", str(job_file)],
                                    stdout=subprocess.PIPE, stderr=log, text=True, env=worker_env(), cwd=workspace)
            WORKERS.add(proc)
            if STOPPING.is_set():  # stopped while it started
                proc.terminate()
            for line in proc.stdout:
                if not line.startswith(RESULT_PREFIX):
                    continue
                payload = json.loads(line[len(RESULT_PREFIX):])
                if "fatal" in payload:
                    proc.wait()
                    raise RuntimeError(f"{job.assignment}: {payload['fatal']} (see {log_path})")
                on_result(payload)
            proc.wait()
            WORKERS.discard(proc)
        done = {student for student, mark in pending if load_result(results, student, mark) is not None}
        left = [(student, mark) for student, mark in pending if student not in done]
        if STOPPING.is_set():  # stopped by a signal: what is left is graded by the next run
            return
        if left and proc.returncode == 0:
            raise RuntimeError(f"{job.assignment}: the worker finished without grading {left[0][0]} "
                               f"(see {log_path})")
        if left:  # the worker died while grading left[0]
            student, mark = left[0]
            crashed = {"student_id": student, "assignment": job.assignment, "ok": False, "problems": {},
                       "error": f"the grader's worker stopped (exit code {proc.returncode}) while grading "
                                f"this notebook; see {log_path}"}
            results.joinpath(f"{student}.json").write_text(json.dumps({**crashed, "fingerprint": mark}))
            on_result(crashed)
            left = left[1:]
        pending = left


WORKERS: set = set()  # worker processes running now


def stop_workers() -> None:
    """Stop the run's workers (each removes its sandbox as it goes), and start no new one."""
    STOPPING.set()
    for proc in list(WORKERS):
        with contextlib.suppress(OSError):
            proc.terminate()
    for proc in list(WORKERS):
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)


def prepare_workspace(workspace: Path, submissions: list[Submission]) -> None:
    """Copy the notebooks to grade into nbgrader's submitted layout (and nothing else beside them).

    ``sub.notebook`` is the grader's own verified copy (see :func:`grader.submissions.collect`)."""
    if workspace.exists():
        shutil.rmtree(workspace)  # nbgrader's own state is rebuilt; results are kept elsewhere
    for sub in submissions:
        dest = workspace / "submitted" / sub.student_id / sub.assignment_id
        dest.mkdir(parents=True)
        shutil.copyfile(sub.notebook, dest / f"{source_notebook(sub.assignment_id).stem}.ipynb")
    workspace.mkdir(parents=True, exist_ok=True)


class Progress:
    """One line per graded submission on stderr: [k/n] student / assignment: score."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream, self.start = total, 0, stream, time.monotonic()

    def __call__(self, payload: dict) -> None:
        self.done += 1
        problems = payload.get("problems", {}).values()
        score = f"{sum(p['score'] for p in problems):g}/{sum(p['max_score'] for p in problems):g}"
        status = score if payload.get("ok") else "could not be graded"
        elapsed = time.monotonic() - self.start
        print(f"[{self.done}/{self.total}] {payload['student_id']} / {payload['assignment']}: "
              f"{status} ({elapsed:.0f} s)", file=self.stream, flush=True)


def grade_class(submissions_path: Path, out_dir: Path, jobs: int | None = None,
                assignments: list[str] | None = None, unsafe: bool = False,
                limits: dict | None = None) -> list[SubmissionResult]:
    """Grade every submission under ``submissions_path`` and write the reports into ``out_dir``."""
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

    todo: dict[str, list[Submission]] = {a: [] for a in assignments}
    marks: dict[tuple, str] = {}
    for sub in submissions:
        if sub.notebook is None:
            continue
        mark = marks[(sub.student_id, sub.assignment_id)] = fingerprint(sub)
        if load_result(work / "results" / sub.assignment_id, sub.student_id, mark, graded_only=True) is None:
            todo[sub.assignment_id].append(sub)
    readable = len(marks)
    waiting = sum(len(v) for v in todo.values())
    print(f"Grading {readable} notebooks of {len({s.student_id for s in submissions})} students "
          f"in {len(assignments)} assignments"
          + (f" ({readable - waiting} already graded in an earlier run)" if waiting < readable else "")
          + "...", file=sys.stderr, flush=True)
    progress = Progress(waiting)

    def grade_assignment(assignment_id: str) -> None:
        results = work / "results" / assignment_id
        results.mkdir(parents=True, exist_ok=True)
        if not todo[assignment_id]:
            return
        workspace = work / assignment_id
        prepare_workspace(workspace, todo[assignment_id])
        students = [(s.student_id, marks[(s.student_id, assignment_id)]) for s in todo[assignment_id]]
        job = Job(str(workspace), assignment_id, source_notebook(assignment_id).stem, str(results),
                  str(secret_file), students, unsafe, limits)
        run_worker(job, progress)

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        list(pool.map(grade_assignment, assignments))

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
