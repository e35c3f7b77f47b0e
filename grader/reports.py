"""The reports of a graded class: grades.csv, problems.csv, feedback pages and the summary table.

Everything here reads :class:`grader.grading.SubmissionResult` rows and writes files; nothing grades.
"""

from __future__ import annotations

import csv
import html
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .sanitize import CSP_META, clean_text

if TYPE_CHECKING:  # only for annotations: grading imports this module
    from .grading import SubmissionResult

def write_reports(results: list[SubmissionResult], out_dir: Path, submissions=None) -> None:
    """Everything a graded class gets: grades.csv, problems.csv, feedback pages, then the files read
    from them: LMS exports, the class report and nbgrader's course gradebook."""
    from .exports import record_submission_times
    from .gradebook import sync_course_gradebook

    write_csvs(results, out_dir)
    write_feedback(results, out_dir)
    if submissions is not None:
        record_submission_times(submissions, out_dir)
    sync_course_gradebook(out_dir, results)
    write_class_outputs(out_dir)


def write_class_outputs(out_dir: Path) -> None:
    """The outputs computed from an already graded folder (also by ``python -m grader export``)."""
    from .class_report import write_class_report
    from .exports import ExportError, write_exports

    try:
        warnings = write_exports(out_dir)
    except ExportError as exc:  # e.g. the roster of an earlier export was moved: grading still counts
        warnings = [f"no LMS exports: {exc}"]
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    write_class_report(out_dir)


def write_csvs(results: list[SubmissionResult], out_dir: Path) -> None:
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


def write_feedback(results: list[SubmissionResult], out_dir: Path) -> None:
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


FEEDBACK_CSS = Path(__file__).parent / "templates" / "feedback" / "feedback.css"
DOWNLOAD_AGAIN = ("Download it again from JupyterLab (right-click the notebook in the file browser, then "
                  "Download) and submit that file.")
RUN_ALL = ("Open your notebook in JupyterLab, choose Kernel, then Restart Kernel and Run All Cells, and "
           "see where it stops; fix that cell and resubmit.")
# (what the grader wrote, what it means for the student, what the student can do)
STUDENT_MESSAGES = [
    ("not valid JSON", "Your notebook file is damaged: it is not a complete notebook, so it could not be run.",
     DOWNLOAD_AGAIN),
    ("not UTF-8", "Your notebook file is damaged: it is not a text file, so it could not be run.",
     DOWNLOAD_AGAIN),
    ("not a valid Jupyter notebook", "Your file is not a Jupyter notebook that can be run.", DOWNLOAD_AGAIN),
    ("cannot be read", "Your notebook file could not be read.", DOWNLOAD_AGAIN),
    ("several notebooks were submitted", "Your submission holds several notebooks, and the grader cannot "
     "tell which one to grade.", "Submit only the assignment's notebook."),
    ("no notebook was submitted", "Your submission holds no notebook.",
     "Submit the assignment's notebook (the .ipynb file)."),
    ("not submitted", "Nothing was submitted for this assignment.", "Submit the assignment's notebook."),
    ("kernel died", "Your notebook stopped while it ran: its Python process ended (for example "
     "os._exit() or sys.exit(), a crash, or too much memory).", RUN_ALL),
    ("GiB of memory", "Your notebook used more memory than the grader allows, and it was stopped.", RUN_ALL),
    ("longer than the grader allows", "A cell of your notebook ran longer than the grader allows (an endless "
     "loop, or a very slow computation), and it was stopped.", RUN_ALL),
]


def student_message(error: str) -> tuple[str, str]:
    """(what happened, what to do) for a submission that could not be graded in full, for the student."""
    if not error:  # graded, but nbgrader could not write its page
        return "Your notebook was graded: here is what the grader found for each problem.", ""
    for marker, happened, todo in STUDENT_MESSAGES:
        if marker in error:
            return happened, todo
    return "The grader could not run your whole notebook.", RUN_ALL


def verdict_for_student(p, error: str) -> str:
    """A problem's message, without repeating the submission's error in every row."""
    if p.status == "not run" and (p.message == error or error and error in p.message):
        return "not checked: the grader could not run this part of your notebook (see above)"
    return p.message


def fallback_feedback(r: SubmissionResult) -> str:
    """The feedback page of a submission nbgrader could not turn into one: the same style as the
    complete pages, a message written for the student, and every problem with its title and verdict."""
    from .titles import assignment_title, problem_title
    from .verdicts import verdict_html

    def esc(text):
        return html.escape(clean_text(text))

    title = assignment_title(r.assignment)
    happened, todo = student_message(r.error)
    cell = r.error.partition("; it stopped in cell ")[2]
    where = ""
    if cell:
        number, _, start = cell.partition(" of the notebook, which starts: ")
        where = (f"<p>It stopped in cell {esc(number)} of your notebook, which starts:</p>"
                 f"<code class='running-cell'>{esc(start)}</code>")
    contents = "".join(
        f"<li><a href='#{esc(p.problem)}'>{esc(problem_title(r.assignment, p.problem))}</a>: "
        f"{p.score:g} / {p.max_score:g} ({esc(p.status)})</li>" for p in r.problems)
    verdicts = "".join(
        f"<a name='{esc(p.problem)}'></a>" + verdict_html(problem_title(r.assignment, p.problem), p.status,
                                                         verdict_for_student(p, r.error), p.score, p.max_score)
        for p in r.problems)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>" + CSP_META
        + "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        + f"<title>{esc(title)}: feedback</title><style>{FEEDBACK_CSS.read_text()}</style></head>"
        + "<body class='rnn-feedback'><main class='page'>"
        + f"<h1 class='title'>{esc(title)}</h1>"
        + f"<p class='total'>Your score: <strong>{r.score:g} / {r.max_score:g}</strong></p>"
        + f"<div class='notice{' broken' if r.error else ''}'><p><strong>{esc(happened)}</strong></p>{where}"
        + (f"<p>{esc(todo)}</p><p><small>What the grader found: {esc(r.error)}</small></p>" if r.error else "")
        + "</div>"
        + f"<nav class='contents'><strong>Problems</strong><ol>{contents}</ol></nav>{verdicts}"
        + "</main></body></html>"
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
