"""Grades an LMS can import: ``grades_wide.csv``, ``canvas.csv`` and ``moodle.csv`` beside grades.csv.

Everything is computed from an already graded output folder (``grades.csv`` and the submission
times the grading run recorded), so ``python -m grader export OUT`` re-exports without grading.

- ``grades_wide.csv``: one row per student, a column per assignment, total, maximum, percentage;
- ``canvas.csv``: Canvas's gradebook import format: ``Student, ID, SIS User ID, SIS Login ID,
  Section``, then one column per assignment named ``Title (id)``, and a ``Points Possible`` row;
- ``moodle.csv``: Moodle's CSV grade import: identifier columns (``ID number``, ``Username``,
  ``Email address``) to map users by, and one column per grade item.

A roster (CSV: ``student_id`` and any of ``name, email, login, lms_id, sis_id, section``) maps the
course's student ids to the LMS's. A student who is not in it keeps a row, marked so, and a warning.
An optional late-submission policy (nbgrader's ``LateSubmissionPlugin`` methods ``none`` and
``zero``, and ``subtract:P``, P points per started hour late) applies to the exported scores only;
grades.csv always holds the verified scores.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .titles import assignment_title

SETTINGS = Path(".nbgrader") / "export.json"  # the last export's options, reused by every grade run
TIMES = "submission_times.csv"  # student_id, assignment, submitted_at (from nbgrader's timestamp.txt)
NOT_IN_ROSTER = "not in the roster"
ROSTER_FIELDS = ("name", "email", "login", "lms_id", "sis_id", "section")


class ExportError(Exception):
    """The export's input is unusable (no grades.csv, a roster without student ids, a bad policy)."""


@dataclass
class Student:
    student_id: str
    name: str = ""
    email: str = ""
    login: str = ""
    lms_id: str = ""
    sis_id: str = ""
    section: str = ""
    in_roster: bool = True


@dataclass
class ExportSettings:
    roster: str | None = None
    late_policy: str = "none"
    due: dict[str, str] = field(default_factory=dict)  # assignment -> due date (ISO 8601, UTC if no zone)

    @classmethod
    def load(cls, out_dir: Path) -> ExportSettings:
        try:
            return cls(**json.loads((out_dir / SETTINGS).read_text()))
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self, out_dir: Path) -> None:
        (out_dir / SETTINGS).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / SETTINGS).write_text(json.dumps(asdict(self), indent=1))


# ------------------------------------------------------------------------------ late submissions


def parse_time(text: str) -> datetime:
    """A timestamp as nbgrader writes it (``2026-11-20 10:00:00.000000 UTC``) or ISO 8601; UTC if no zone."""
    from dateutil import parser, tz

    try:
        moment = parser.parse(text.strip(), tzinfos={"UTC": tz.UTC})
    except (ValueError, OverflowError) as exc:
        raise ExportError(f"not a date and time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class LatePolicy:
    method: str = "none"  # none, zero, subtract
    per_hour: float = 0.0

    @classmethod
    def parse(cls, text: str) -> LatePolicy:
        text = (text or "none").strip()
        if text in ("none", "zero"):
            return cls(text)
        if text.startswith("subtract:"):
            try:
                return cls("subtract", float(text.split(":", 1)[1]))
            except ValueError:
                pass
        raise ExportError(f"unknown late policy {text!r}: use none, zero or subtract:POINTS_PER_HOUR")

    def penalty(self, score: float, seconds_late: float) -> float:
        """Points taken from ``score`` for a submission ``seconds_late`` after the due date."""
        if seconds_late <= 0 or self.method == "none":
            return 0.0
        if self.method == "zero":
            return score
        return min(score, self.per_hour * math.ceil(seconds_late / 3600))


def record_submission_times(submissions, out_dir: Path) -> None:
    """Keep every submission's ``timestamp.txt`` (nbgrader's submitted layout) in OUT, for re-exports."""
    rows = []
    for sub in submissions:
        text = sub.submitted_at
        if text:
            try:
                rows.append([sub.student_id, sub.assignment_id, parse_time(text).isoformat()])
            except ExportError:
                rows.append([sub.student_id, sub.assignment_id, ""])
    with open(out_dir / TIMES, "w", newline="") as f:
        csv.writer(f).writerows([["student_id", "assignment", "submitted_at"], *rows])


def read_submission_times(out_dir: Path) -> dict[tuple[str, str], datetime]:
    try:
        with open(out_dir / TIMES) as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return {}
    return {(r["student_id"], r["assignment"]): parse_time(r["submitted_at"]) for r in rows if r["submitted_at"]}


# ------------------------------------------------------------------------------ inputs


def read_roster(path: Path) -> dict[str, Student]:
    """student_id -> Student, from a CSV with a ``student_id`` column (other columns optional)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise ExportError(f"cannot read the roster {path}: {exc.strerror}") from None
    roster = {}
    for number, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not row.get("student_id"):
            raise ExportError(f"{path}, line {number}: no student_id (the roster's columns are student_id, "
                              + ", ".join(ROSTER_FIELDS) + ")")
        roster[row["student_id"]] = Student(row["student_id"], **{k: row.get(k, "") for k in ROSTER_FIELDS})
    return roster


@dataclass
class Gradebook:
    """What grades.csv says: the verified score and maximum per (student, assignment)."""

    students: list[str]
    assignments: list[str]
    scores: dict[tuple[str, str], float]
    maxima: dict[str, float]


def read_grades(out_dir: Path) -> Gradebook:
    path = out_dir / "grades.csv"
    try:
        with open(path) as f:
            rows = list(csv.DictReader(f))
    except OSError:
        raise ExportError(f"{path} does not exist: grade the class into {out_dir} first") from None
    students = sorted({r["student_id"] for r in rows})
    assignments = sorted({r["assignment"] for r in rows})
    scores = {(r["student_id"], r["assignment"]): float(r["score"]) for r in rows}
    maxima = {r["assignment"]: float(r["max_score"]) for r in rows}
    return Gradebook(students, assignments, scores, maxima)


# ------------------------------------------------------------------------------ the class table


@dataclass
class Row:
    """One student's exported line: scores after any late penalty."""

    student: Student
    scores: dict[str, float]  # assignment -> exported score
    penalties: dict[str, float]  # assignment -> points taken for lateness
    notes: list[str]

    @property
    def total(self) -> float:
        return sum(self.scores.values())


def class_rows(out_dir: Path, settings: ExportSettings) -> tuple[Gradebook, list[Row], list[str]]:
    """Every student's row, and warnings (students missing from the roster, unknown due dates)."""
    book = read_grades(out_dir)
    roster = read_roster(Path(settings.roster)) if settings.roster else None
    policy = LatePolicy.parse(settings.late_policy)
    due = {a: parse_time(t) for a, t in settings.due.items()}
    times = read_submission_times(out_dir) if policy.method != "none" else {}
    warnings = [f"a due date was given for {a}, which is not an assignment of this class"
                for a in due if a not in book.assignments]
    if policy.method != "none" and not due:
        warnings.append(f"the late policy {settings.late_policy!r} has no due dates (--due ASSIGNMENT=DATE): "
                        "no penalty applied")
    ids = list(book.students)
    if roster is not None:
        ids += sorted(set(roster) - set(book.students))
    rows = []
    for student_id in ids:
        notes = []
        student = (roster or {}).get(student_id)
        if student is None:
            student = Student(student_id, in_roster=roster is None)
            if roster is not None:
                notes.append(NOT_IN_ROSTER)
                warnings.append(f"{student_id} is graded but {NOT_IN_ROSTER} {settings.roster}: "
                                "the exports keep the row without LMS ids")
        elif student_id not in book.students:
            notes.append("in the roster, but nothing was submitted")
        scores, penalties = {}, {}
        for a in book.assignments:
            score = book.scores.get((student_id, a), 0.0)
            submitted = times.get((student_id, a))
            late = (submitted - due[a]).total_seconds() if submitted and a in due else 0.0
            penalties[a] = policy.penalty(score, late)
            scores[a] = score - penalties[a]
            if penalties[a]:
                notes.append(f"{a} submitted {late / 3600:.1f} h late: -{penalties[a]:g}")
        rows.append(Row(student, scores, penalties, notes))
    return book, rows, warnings


# ------------------------------------------------------------------------------ the files


def number(value: float) -> str:
    return f"{value:g}"


def write_wide(path: Path, book: Gradebook, rows: list[Row]) -> None:
    maximum = sum(book.maxima.values())
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "name", "email", "section", *book.assignments, "total", "max_score",
                         "percentage", "late_penalty", "note"])
        for r in rows:
            s = r.student
            percentage = 100 * r.total / maximum if maximum else 0.0
            writer.writerow([s.student_id, s.name, s.email, s.section,
                             *[number(r.scores[a]) for a in book.assignments], number(r.total),
                             number(maximum), f"{percentage:.1f}", number(sum(r.penalties.values())),
                             "; ".join(r.notes)])


def canvas_column(assignment_id: str) -> str:
    """Canvas matches an import column to an assignment by the id in parentheses after its title."""
    return f"{assignment_title(assignment_id)} ({assignment_id})"


def write_canvas(path: Path, book: Gradebook, rows: list[Row]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         *[canvas_column(a) for a in book.assignments]])
        writer.writerow(["Points Possible", "", "", "", "", *[number(book.maxima[a]) for a in book.assignments]])
        for r in rows:
            s = r.student
            name = s.name or s.student_id
            if not s.in_roster:
                name = f"{name} ({NOT_IN_ROSTER})"
            writer.writerow([name, s.lms_id, s.sis_id or s.student_id, s.login, s.section,
                             *[number(r.scores[a]) for a in book.assignments]])


def write_moodle(path: Path, book: Gradebook, rows: list[Row]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ID number", "Username", "Email address", "Full name", "Section",
                         *[assignment_title(a) for a in book.assignments], "Note"])
        for r in rows:
            s = r.student
            writer.writerow([s.sis_id or s.student_id, s.login, s.email, s.name, s.section,
                             *[number(r.scores[a]) for a in book.assignments], "; ".join(r.notes)])


EXPORTS = {"grades_wide.csv": write_wide, "canvas.csv": write_canvas, "moodle.csv": write_moodle}


def write_exports(out_dir: Path, settings: ExportSettings | None = None) -> list[str]:
    """Write the three exports into ``out_dir`` (with the settings of the last export if none are
    given); returns the warnings, which the caller prints."""
    out_dir = Path(out_dir)
    settings = settings or ExportSettings.load(out_dir)
    book, rows, warnings = class_rows(out_dir, settings)
    for name, write in EXPORTS.items():
        write(out_dir / name, book, rows)
    return warnings
