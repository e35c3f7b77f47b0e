"""Finding a class's submissions in a folder or a .zip, in nbgrader's submitted layout.

Layout: ``<student_id>/<assignment_id>/<notebook>.ipynb``. A .zip of such a tree is accepted, also
when everything sits inside one top-level folder. Nothing here raises on a bad submission: each
problem becomes a message on that student's row.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*$")


@dataclass
class Submission:
    student_id: str
    assignment_id: str
    notebook: Path | None = None  # a readable notebook, ready to autograde
    error: str = ""  # why it cannot be autograded (missing, not JSON, ...)


class SubmissionsError(Exception):
    """The submissions folder itself is unusable (missing, not a folder or zip, unsafe zip)."""


def extract_zip(archive: Path, dest: Path) -> Path:
    """Unpack ``archive`` into ``dest``, refusing members that would land outside it."""
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                target = (dest / member.filename).resolve()
                if not target.is_relative_to(dest.resolve()):
                    raise SubmissionsError(f"{archive.name}: unsafe path in archive: {member.filename}")
            zf.extractall(dest)
    except zipfile.BadZipFile as exc:
        raise SubmissionsError(f"{archive} is not a valid zip archive: {exc}") from None
    return dest


def class_root(path: Path, assignments: list[str]) -> Path:
    """The folder whose subfolders are students (descending through single wrapper folders)."""
    for _ in range(3):
        children = [p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
        if any((child / a).is_dir() for child in children for a in assignments):
            return path
        if len(children) != 1:
            return path
        path = children[0]
    return path


def read_notebook_error(path: Path) -> str:
    """'' when ``path`` is a readable notebook, else what is wrong with it, for the student."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the notebook file is not UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        return f"the notebook file cannot be read: {exc.strerror}"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"the notebook is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    try:
        nbformat.reads(text, as_version=4)
    except Exception as exc:
        return f"the file is not a valid Jupyter notebook: {str(exc).splitlines()[0][:200]}"
    return ""


def find_notebook(folder: Path, expected_name: str) -> tuple[Path | None, str]:
    """The submitted notebook in ``folder``: the expected name, or the only notebook there."""
    expected = folder / expected_name
    if expected.is_file():
        return expected, ""
    notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(notebooks) == 1:
        return notebooks[0], ""
    if not notebooks:
        return None, f"no notebook was submitted (expected {expected_name})"
    names = ", ".join(p.name for p in notebooks)
    return None, f"several notebooks were submitted ({names}); expected {expected_name}"


def collect(path: Path, assignments: list[str], scratch: Path) -> tuple[list[Submission], list[str]]:
    """Every (student, assignment) pair of the class, with the notebook or the reason it has none.

    Returns the submissions and a list of warnings about the folder itself (unknown entries).
    """
    path = Path(path)
    if not path.exists():
        raise SubmissionsError(f"{path} does not exist")
    if path.is_file():
        if path.suffix.lower() != ".zip":
            raise SubmissionsError(f"{path} is neither a folder nor a .zip archive")
        path = extract_zip(path, scratch / "unzipped")
    root = class_root(path, assignments)
    warnings, submissions = [], []
    for student_dir in sorted(p for p in root.iterdir() if not p.name.startswith((".", "__"))):
        if not student_dir.is_dir():
            warnings.append(f"ignored {student_dir.name}: not a student folder")
            continue
        if not STUDENT_ID.match(student_dir.name):
            warnings.append(f"ignored {student_dir.name!r}: not a usable student id")
            continue
        for extra in sorted(p.name for p in student_dir.iterdir() if p.name not in assignments):
            if not extra.startswith("."):
                warnings.append(f"{student_dir.name}: ignored {extra} (not an assignment of this course)")
        for assignment_id in assignments:
            submission = Submission(student_dir.name, assignment_id)
            folder = student_dir / assignment_id
            if not folder.is_dir():
                submission.error = "not submitted"
            else:
                submission.notebook, submission.error = find_notebook(folder, f"{assignment_id}.ipynb")
                if submission.notebook is not None:
                    submission.error = read_notebook_error(submission.notebook)
                    if submission.error:
                        submission.notebook = None
            submissions.append(submission)
    return submissions, warnings
