"""``OUT/report.html``: how the class did, on one self-contained page that opens offline.

Read from an already graded output folder only (problems.csv, grades.csv and the stored results),
so that ``grade`` and ``export`` write the same page. Sections: score distribution per assignment,
pass rate per problem, the most frequent diagnosed mistakes per problem, who could not be graded
and why, suspected tampering, the slowest notebooks. Plots are matplotlib PNGs embedded as data:
URLs; the page carries no script and loads nothing (``CSP_META``); all student text is cleaned
(:func:`grader.sanitize.clean_text`) and escaped.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from .sanitize import CSP_META, clean_text
from .titles import assignment_title, problem_title

REPORT = "report.html"
TOP_MISTAKES = 5
SLOWEST = 10
STATUSES = ("passed", "failed", "not run", "suspected tampering")


def esc(text: object) -> str:
    return html.escape(clean_text(text))


# ------------------------------------------------------------------------------ reading OUT


def read_rows(path: Path) -> list[dict]:
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def grading_times(out_dir: Path) -> list[tuple[float, str, str]]:
    """(seconds, student, assignment) of every stored result that recorded its grading time."""
    times = []
    for path in sorted((out_dir / ".nbgrader" / "results").glob("*/*.json")):
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(stored.get("seconds"), (int, float)):
            times.append((float(stored["seconds"]), path.stem, path.parent.name))
    return sorted(times, reverse=True)


# ------------------------------------------------------------------------------ mistakes

_CASE = re.compile(r"\s*\[case \d+ of \d+[^\]]*\]\s*$")
_PAREN = re.compile(r"\s*\((case|got)[^()]*(\([^()]*\)[^()]*)*\)")
_NUMBER = re.compile(r"-?\d+(\.\d+)?(e[-+]?\d+)?")


def mistake_of(problem: str, message: str) -> str:
    """The diagnosed mistake in a failed check's message, in a form shared by every student who made it.

    A check names a typical mistake after ``Hint:``; otherwise the first clause of its message,
    without the problem's name, the case, and the numbers that differ from student to student.
    """
    text = _CASE.sub("", message.strip())
    if "Hint:" in text:
        return text.split("Hint:", 1)[1].strip()
    text = text.removeprefix(f"{problem}:").removeprefix(f"{problem} ").strip()
    text = _PAREN.sub("", text)
    text = re.split(r":\s", text, maxsplit=1)[0]
    return _NUMBER.sub("N", text).strip(" .") or "failed"


def frequent_mistakes(problems: list[dict]) -> dict[tuple[str, str], Counter]:
    """(assignment, problem) -> Counter of mistakes, over the failed rows of problems.csv."""
    mistakes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in problems:
        if r["status"] == "failed":
            mistakes[(r["assignment"], r["problem"])][mistake_of(r["problem"], r["message"])] += 1
    return mistakes


# ------------------------------------------------------------------------------ plots


def new_figure(width: float, height: float):
    """A figure drawn by Agg, without pyplot (no GUI backend, no global state)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def png(figure) -> str:
    """An <img> holding ``figure`` as a data: URL (the page loads nothing from anywhere)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="plot" alt="plot" src="data:image/png;base64,{data}">'


def score_histogram(assignment: str, scores: list[float], maximum: float) -> str:
    figure, axes = new_figure(5, 2.4)
    bins = max(1, min(20, int(maximum) or 1))
    axes.hist(scores, bins=bins, range=(0, maximum or 1), color="#4878a8", edgecolor="white")
    axes.set_xlabel(f"score (of {maximum:g})")
    axes.set_ylabel("students")
    axes.set_title(assignment, fontsize=10)
    axes.yaxis.get_major_locator().set_params(integer=True)
    return png(figure)


def pass_rate_bars(assignment: str, names: list[str], rates: list[float]) -> str:
    figure, axes = new_figure(5, 0.35 * len(names) + 0.8)
    axes.barh(names[::-1], [100 * r for r in rates[::-1]], color="#5a9e6f")
    axes.set_xlim(0, 100)
    axes.set_xlabel("students who passed (%)")
    axes.set_title(assignment, fontsize=10)
    return png(figure)


# ------------------------------------------------------------------------------ sections


def table(header: list[str], rows: list[str], cls: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def distribution_section(grades: list[dict]) -> str:
    by_assignment = defaultdict(list)
    for r in grades:
        by_assignment[r["assignment"]].append(r)
    parts = ["<h2 id='distribution'>Score distribution per assignment</h2>"]
    for a in sorted(by_assignment):
        rows = by_assignment[a]
        scores = sorted(float(r["score"]) for r in rows)
        maximum = float(rows[0]["max_score"])
        mean, median = statistics.mean(scores), statistics.median(scores)
        parts.append(f"<div class='card'><h3>{esc(assignment_title(a))} <small>({esc(a)})</small></h3>"
                     f"<p class='stats' data-assignment='{esc(a)}' data-students='{len(scores)}'>"
                     f"{len(scores)} students, mean {mean:.2f}, median {median:g} of {maximum:g}</p>"
                     + score_histogram(a, scores, maximum) + "</div>")
    return parts[0] + "<div class='cards'>" + "".join(parts[1:]) + "</div>"


def pass_rate_section(problems: list[dict]) -> str:
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    order: dict[str, list[str]] = defaultdict(list)
    for r in problems:
        key = (r["assignment"], r["problem"])
        if r["problem"] not in order[r["assignment"]]:
            order[r["assignment"]].append(r["problem"])
        counts[key][r["status"]] += 1
    parts = ["<h2 id='pass-rate'>Pass rate per problem</h2>"]
    for a in sorted(order):
        rows, names, rates = [], [], []
        for p in order[a]:
            c = counts[(a, p)]
            total = sum(c.values())
            rate = c["passed"] / total if total else 0.0
            names.append(p)
            rates.append(rate)
            cells = "".join(f"<td class='num' data-status='{esc(s)}'>{c[s]}</td>" for s in STATUSES)
            rows.append(f"<tr data-problem='{esc(a)}/{esc(p)}' data-passed='{c['passed']}' data-total='{total}'>"
                        f"<td>{esc(problem_title(a, p))}<br><code>{esc(p)}</code></td>{cells}"
                        f"<td class='num'>{100 * rate:.0f}%</td></tr>")
        parts.append(f"<h3>{esc(assignment_title(a))}</h3><div class='side'>"
                     + table(["Problem", *STATUSES, "pass rate"], rows, "rates")
                     + pass_rate_bars(a, names, rates) + "</div>")
    return "".join(parts)


def mistakes_section(problems: list[dict]) -> str:
    mistakes = frequent_mistakes(problems)
    parts = ["<h2 id='mistakes'>Most frequent mistakes per problem</h2>",
             "<p>From the hidden checks' messages of failed problems: the named mistake after "
             "<q>Hint:</q>, or else the first clause of the message.</p>"]
    if not mistakes:
        return "".join(parts) + "<p>No problem was failed.</p>"
    rows = []
    for (a, p), counter in sorted(mistakes.items()):
        for mistake, count in counter.most_common(TOP_MISTAKES):
            rows.append(f"<tr data-problem='{esc(a)}/{esc(p)}' data-count='{count}'><td>{esc(a)}</td>"
                        f"<td>{esc(problem_title(a, p))}</td><td class='num'>{count}</td>"
                        f"<td class='message'>{esc(mistake)}</td></tr>")
    return "".join(parts) + table(["Assignment", "Problem", "Students", "Mistake"], rows, "mistakes")


def not_graded_section(problems: list[dict]) -> str:
    """Every (student, assignment) with a problem the grader could not run, and the first reason."""
    reasons: dict[tuple[str, str], str] = {}
    counts: Counter = Counter()
    for r in problems:
        if r["status"] == "not run":
            key = (r["student_id"], r["assignment"])
            reasons.setdefault(key, r["message"])
            counts[key] += 1
    parts = ["<h2 id='not-graded'>Could not be graded (in full)</h2>"]
    if not reasons:
        return "".join(parts) + "<p>Every problem of every submission was checked.</p>"
    rows = [f"<tr class='not-graded' data-problems='{counts[k]}'><td>{esc(k[0])}</td><td>{esc(k[1])}</td>"
            f"<td class='num'>{counts[k]}</td><td class='message'>{esc(reason)}</td></tr>"
            for k, reason in sorted(reasons.items())]
    return "".join(parts) + table(["Student", "Assignment", "Problems not checked", "Why"], rows, "errors")


def tampering_section(problems: list[dict]) -> str:
    rows = [f"<tr class='tampering'><td>{esc(r['student_id'])}</td><td>{esc(r['assignment'])}</td>"
            f"<td>{esc(r['problem'])}</td><td class='message'>{esc(r['message'])}</td></tr>"
            for r in problems if r["status"] == "suspected tampering"]
    head = "<h2 id='tampering'>Suspected tampering</h2>"
    if not rows:
        return head + "<p>None: every notebook's own run agreed with the grader's verification.</p>"
    return head + table(["Student", "Assignment", "Problem", "What the grader found"], rows, "tampering")


def slowest_section(out_dir: Path) -> str:
    times = grading_times(out_dir)
    head = "<h2 id='slowest'>Slowest notebooks</h2>"
    if not times:
        return head + ("<p>No grading times were recorded (results of an older grader, or nothing was "
                       "graded).</p>")
    rows = [f"<tr class='slow'><td>{esc(s)}</td><td>{esc(a)}</td><td class='num'>{seconds:.1f}</td></tr>"
            for seconds, s, a in times[:SLOWEST]]
    return (head + "<p>Wall-clock time to grade each notebook (sandbox, kernel, checks, feedback), "
            "as the worker recorded it.</p>" + table(["Student", "Assignment", "Seconds"], rows, "slowest"))


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; }
td.message { max-width: 45em; white-space: pre-wrap; overflow-wrap: anywhere; }
.side { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
img.plot { max-width: 100%; } .cards { display: flex; flex-wrap: wrap; gap: 1em 2em; }
.card { flex: 0 1 30em; } .card h3 { font-size: 1em; } nav a { margin-right: 1em; } small, .stats { color: #555; }
tr.tampering td, tr.not-graded td:first-child { background: #fff4e5; }
"""


def render(out_dir: Path) -> str:
    grades, problems = read_rows(out_dir / "grades.csv"), read_rows(out_dir / "problems.csv")
    students = len({r["student_id"] for r in grades})
    assignments = len({r["assignment"] for r in grades})
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f"<a href='#{anchor}'>{label}</a>" for anchor, label in [
        ("distribution", "Scores"), ("pass-rate", "Pass rates"), ("mistakes", "Mistakes"),
        ("not-graded", "Not graded"), ("tampering", "Tampering"), ("slowest", "Slowest")])
    body = (distribution_section(grades) + pass_rate_section(problems) + mistakes_section(problems)
            + not_graded_section(problems) + tampering_section(problems) + slowest_section(out_dir))
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>" + CSP_META
            + "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            + f"<title>Class report</title><style>{STYLE}</style></head><body>"
            + f"<h1>Class report</h1><p class='stats'>{students} students, {assignments} assignments, "
            + f"{len(problems)} graded problems; written {stamp} from {esc(out_dir.name)}/grades.csv "
            + f"and problems.csv.</p><nav>{nav}</nav>{body}</body></html>")


def write_class_report(out_dir: Path) -> Path:
    """Write ``OUT/report.html`` from the graded folder; returns its path."""
    path = Path(out_dir) / REPORT
    path.write_text(render(Path(out_dir)), encoding="utf-8")
    return path
