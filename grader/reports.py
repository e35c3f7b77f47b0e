"""The reports of a graded class: grades.csv, problems.csv, feedback pages and the summary table.

Everything here reads :class:`grader.grading.SubmissionResult` rows and writes files; nothing grades.
"""

from __future__ import annotations

import csv
import html
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .sanitize import CSP_META, clean_text

if TYPE_CHECKING:  # only for annotations: grading imports this module
    from .grading import SubmissionResult

def write_reports(results: list[SubmissionResult], out_dir: Path) -> None:
    with open(out_dir / "grades.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "score", "max_score"])
        for r in results:
            writer.writerow([r.student_id, r.assignment, f"{r.score:g}", f"{r.max_score:g}"])
    with open(out_dir / "problems.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "problem", "score", "max_score", "status", "message"])
        for r in results:
            for p in r.problems:
                writer.writerow([r.student_id, r.assignment, p.problem, f"{p.score:g}",
                                 f"{p.max_score:g}", p.status, p.message])
    feedback_root = out_dir / "feedback"
    if feedback_root.exists():
        shutil.rmtree(feedback_root)
    for r in results:
        dest = feedback_root / r.student_id / r.assignment
        dest.mkdir(parents=True)
        if r.feedback and not r.error:
            for name, page in r.feedback.items():
                (dest / Path(name).name).write_text(page, encoding="utf-8")
        else:
            (dest / f"{r.assignment}.html").write_text(fallback_feedback(r))


def _text(value: object) -> str:
    """Student-derived text for a page: cleaned (valid UTF-8, capped) and HTML-escaped."""
    return html.escape(clean_text(value))


def fallback_feedback(r: SubmissionResult) -> str:
    """A plain feedback page for a submission nbgrader could not turn into one."""
    rows = "".join(
        f"<tr><td>{_text(p.problem)}</td><td>{p.score:g} / {p.max_score:g}</td>"
        f"<td>{_text(p.status)}</td><td>{_text(p.message)}</td></tr>" for p in r.problems
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{CSP_META}"
        f"<title>{_text(r.assignment)}: feedback</title></head><body>"
        f"<h1>{_text(r.assignment)}</h1><p>Student: {_text(r.student_id)}</p>"
        f"<p><strong>Your submission could not be graded in full:</strong> {_text(r.error)}</p>"
        f"<p>Score: {r.score:g} / {r.max_score:g}</p>"
        f"<table border='1'><tr><th>Problem</th><th>Score</th><th>Status</th><th>Message</th></tr>{rows}</table>"
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
