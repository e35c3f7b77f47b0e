"""Grading a whole class: collect, autograde with nbgrader, score, write the reports.

Pipeline (each step feeds the next; later steps never re-run earlier ones):
1. ``collect``      find every (student, assignment) pair and check that its notebook is readable;
2. ``autograde``    one nbgrader worker process per assignment, in parallel, each with its own
                    workspace and gradebook under ``OUT/.nbgrader``;
3. ``score``        one row per (student, assignment, problem), a broken submission scored 0 with
                    the reason, so that every student always has a row;
4. ``write``        grades.csv, problems.csv, and HTML feedback per student and assignment.
"""

from __future__ import annotations

import csv
import html
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from .nbgrader_backend import PASSED, RESULT_PREFIX
from .paths import ROOT, assignment_ids, source_notebook
from .submissions import Submission, collect


@dataclass
class ProblemResult:
    problem: str
    score: float
    max_score: float
    message: str


@dataclass
class SubmissionResult:
    student_id: str
    assignment: str
    problems: list[ProblemResult] = field(default_factory=list)
    error: str = ""  # why the submission could not be (fully) graded

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
    result.error = submission.error or outcome.get("error", "")
    graded = outcome.get("problems", {})
    for grade_id, points in graded_problems(submission.assignment_id):
        row = graded.get(grade_id)
        if row is None:
            message = result.error or "the graded cell is missing from the notebook"
            result.problems.append(ProblemResult(problem_name(grade_id), 0.0, points, message))
        else:
            message = PASSED if row["score"] >= row["max_score"] else row["message"]
            result.problems.append(ProblemResult(problem_name(grade_id), row["score"], points, message))
    return result


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


def run_worker(workspace: Path, assignment_id: str, students: list[str], on_result: Callable) -> dict:
    """Autograde ``students`` for one assignment in a worker process; results keyed by student."""
    results: dict[str, dict] = {}
    if not students:
        return results
    command = [sys.executable, "-m", "grader.nbgrader_backend", str(workspace), assignment_id,
               source_notebook(assignment_id).stem, *students]
    log_path = workspace / "nbgrader.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True,
                                env=worker_env(), cwd=workspace)
        for line in proc.stdout:
            if not line.startswith(RESULT_PREFIX):
                continue
            payload = json.loads(line[len(RESULT_PREFIX):])
            if "fatal" in payload:
                raise RuntimeError(f"{assignment_id}: {payload['fatal']} (see {log_path})")
            results[payload["student_id"]] = payload
            on_result(payload)
        proc.wait()
    if proc.returncode != 0 or len(results) != len(students):
        raise RuntimeError(f"{assignment_id}: the nbgrader worker stopped with exit code {proc.returncode} "
                           f"after {len(results)} of {len(students)} submissions (see {log_path})")
    return results


def prepare_workspace(workspace: Path, submissions: list[Submission]) -> list[str]:
    """Copy the readable notebooks into nbgrader's submitted layout; returns their students."""
    if workspace.exists():
        shutil.rmtree(workspace)  # grading is idempotent: every run starts from the submissions
    students = []
    for sub in submissions:
        if sub.notebook is None:
            continue
        dest = workspace / "submitted" / sub.student_id / sub.assignment_id
        dest.mkdir(parents=True)
        shutil.copyfile(sub.notebook, dest / f"{source_notebook(sub.assignment_id).stem}.ipynb")
        students.append(sub.student_id)
    workspace.mkdir(parents=True, exist_ok=True)
    return students


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
                assignments: list[str] | None = None) -> list[SubmissionResult]:
    """Grade every submission under ``submissions_path`` and write the reports into ``out_dir``."""
    out_dir = Path(out_dir).resolve()
    work = out_dir / ".nbgrader"
    out_dir.mkdir(parents=True, exist_ok=True)
    assignments = assignments or assignment_ids()
    if (work / "unzipped").exists():
        shutil.rmtree(work / "unzipped")
    work.mkdir(exist_ok=True)
    submissions, warnings = collect(Path(submissions_path), assignments, work)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    by_assignment = {a: [s for s in submissions if s.assignment_id == a] for a in assignments}
    readable = sum(s.notebook is not None for s in submissions)
    print(f"Grading {readable} notebooks of {len({s.student_id for s in submissions})} students "
          f"in {len(assignments)} assignments...", file=sys.stderr, flush=True)
    progress = Progress(readable)

    def grade_assignment(assignment_id: str) -> dict:
        workspace = work / assignment_id
        students = prepare_workspace(workspace, by_assignment[assignment_id])
        return run_worker(workspace, assignment_id, students, progress)

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        worker_results = dict(zip(assignments, pool.map(grade_assignment, assignments)))

    results = [score_submission(s, worker_results[s.assignment_id].get(s.student_id)) for s in submissions]
    write_reports(results, out_dir, work)
    return results


# ------------------------------------------------------------------------------------ reports


def write_reports(results: list[SubmissionResult], out_dir: Path, work: Path) -> None:
    with open(out_dir / "grades.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "score", "max_score"])
        for r in results:
            writer.writerow([r.student_id, r.assignment, f"{r.score:g}", f"{r.max_score:g}"])
    with open(out_dir / "problems.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "problem", "score", "max_score", "message"])
        for r in results:
            for p in r.problems:
                writer.writerow([r.student_id, r.assignment, p.problem, f"{p.score:g}",
                                 f"{p.max_score:g}", p.message])
    feedback_root = out_dir / "feedback"
    if feedback_root.exists():
        shutil.rmtree(feedback_root)
    for r in results:
        dest = feedback_root / r.student_id / r.assignment
        dest.mkdir(parents=True)
        produced = sorted((work / r.assignment / "feedback" / r.student_id / r.assignment).glob("*.html"))
        if produced and not r.error:
            for page in produced:
                shutil.copyfile(page, dest / page.name)
        else:
            (dest / f"{r.assignment}.html").write_text(fallback_feedback(r))


def fallback_feedback(r: SubmissionResult) -> str:
    """A plain feedback page for a submission nbgrader could not turn into one."""
    rows = "".join(
        f"<tr><td>{html.escape(p.problem)}</td><td>{p.score:g} / {p.max_score:g}</td>"
        f"<td>{html.escape(p.message)}</td></tr>" for p in r.problems
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(r.assignment)}: feedback</title></head><body>"
        f"<h1>{html.escape(r.assignment)}</h1><p>Student: {html.escape(r.student_id)}</p>"
        f"<p><strong>Your submission could not be graded in full:</strong> {html.escape(r.error)}</p>"
        f"<p>Score: {r.score:g} / {r.max_score:g}</p>"
        f"<table border='1'><tr><th>Problem</th><th>Score</th><th>Message</th></tr>{rows}</table>"
        "</body></html>"
    )


def summary_table(results: list[SubmissionResult]) -> str:
    """Scores per problem (rows) and student (columns), with totals per assignment and overall."""
    students = sorted({r.student_id for r in results})
    by_key = {(r.student_id, r.assignment): r for r in results}
    assignments = sorted({r.assignment for r in results})
    rows = []
    for a in assignments:
        first = next(r for r in results if r.assignment == a)
        for i, p in enumerate(first.problems):
            cells = []
            for s in students:
                q = by_key[(s, a)].problems[i]
                cells.append(f"{q.score:g}/{q.max_score:g}")
            rows.append([a, p.problem, *cells])
        rows.append([a, "TOTAL", *[f"{by_key[(s, a)].score:g}/{by_key[(s, a)].max_score:g}" for s in students]])
    totals = [sum(by_key[(s, a)].score for a in assignments) for s in students]
    maxima = [sum(by_key[(s, a)].max_score for a in assignments) for s in students]
    rows.append(["ALL", "TOTAL", *[f"{t:g}/{m:g}" for t, m in zip(totals, maxima)]])
    header = ["assignment", "problem", *students]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    fmt = lambda row: "  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip()
    lines = [fmt(header), fmt(["-" * w for w in widths])]
    for row in rows:
        lines.append(fmt(row))
    problems = [f"  {r.student_id} / {r.assignment}: {r.error}" for r in results if r.error]
    if problems:
        lines += ["", "Submissions that could not be graded in full:", *problems]
    return "\n".join(lines)
