"""Finding a class's submissions in a folder or a .zip, in nbgrader's submitted layout.

Layout: ``<student_id>/<assignment_id>/<notebook>.ipynb``. A .zip of such a tree is accepted, also
when everything sits inside one top-level folder. Nothing here raises on a bad submission: each
problem becomes a message on that student's row.

Submissions are read only as regular files inside the class folder. A symbolic link anywhere on the
way (student folder, assignment folder, notebook) is refused for that student: followed, it would
let a submission be graded as a file it points at (the solutions, another student's work, a system
file read with the grader's rights). Files are opened relative to their folder without following
links (``O_NOFOLLOW``), and what was read is copied into the grader's own folder: later steps read
only that copy (:attr:`Submission.notebook`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat

from .sandbox import Limits

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*$")
TIMESTAMP_BYTES = 256  # a timestamp.txt holds one line
NOT_A_LINK = "the grader reads submissions only as regular files inside the class folder"


@dataclass
class Submission:
    student_id: str
    assignment_id: str
    notebook: Path | None = None  # the grader's own copy of a readable notebook, ready to autograde
    error: str = ""  # why it cannot be autograded (missing, not JSON, ...)
    submitted: Path | None = None  # where the notebook was found in the class folder
    submitted_at: str = ""  # nbgrader's timestamp.txt beside the notebook, when there is one


class SubmissionsError(Exception):
    """The submissions folder itself is unusable (missing, not a folder or zip, unsafe zip)."""


class Refused(Exception):
    """One submission cannot be read; the message is for the student's row."""


# ------------------------------------------------------------------------------ archives


def unsafe_member(member: zipfile.ZipInfo) -> str:
    """Why an archive member must not be unpacked ('' when it may)."""
    name = member.filename
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # 0: no type recorded
        return "not a regular file"
    path = PurePosixPath(name.replace("\\", "/"))
    if not name or path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name) or "\0" in name:
        return "an unsafe path"
    return ""


def extract_zip(archive: Path, dest: Path, limits: Limits | None = None,
                warnings: list[str] | None = None) -> Path:
    """Unpack ``archive`` into ``dest``, member by member; an unsafe member is skipped with a warning.

    Skipped: symbolic links, paths that would land outside ``dest`` (absolute, ``..``), and members
    larger than a submission may be.
    """
    limits = limits or Limits()
    warnings = warnings if warnings is not None else []
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                why = unsafe_member(member)
                if not why and member.file_size > limits.submission_bytes:
                    why = f"larger than {limits.submission_bytes / 2**20:g} MiB"
                if why:
                    warnings.append(f"{archive.name}: skipped member {member.filename!r}: {why}")
                    continue
                why = _extract_member(zf, member, dest, limits.submission_bytes)
                if why:
                    warnings.append(f"{archive.name}: skipped member {member.filename!r}: {why}")
    except zipfile.BadZipFile as exc:
        raise SubmissionsError(f"{archive} is not a valid zip archive: {exc}") from None
    return dest


def _extract_member(zf: zipfile.ZipFile, member: zipfile.ZipInfo, dest: Path, limit: int) -> str:
    parts = PurePosixPath(member.filename.replace("\\", "/")).parts
    target = dest.joinpath(*parts)
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return ""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(member) as source:
            data = source.read(limit + 1)
        if len(data) > limit:
            return f"larger than {limit / 2**20:g} MiB"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except FileExistsError:
        return "a second member of the same name"
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as exc:
        return f"cannot be unpacked ({type(exc).__name__}: {exc})"
    return ""


# ------------------------------------------------------------------------------ reading safely


def real_folders(path: Path) -> list[Path]:
    """Sub-folders of ``path`` that are folders themselves, not links to one."""
    return sorted(Path(e.path) for e in os.scandir(path) if e.is_dir(follow_symlinks=False))


def class_root(path: Path, assignments: list[str]) -> Path:
    """The folder whose subfolders are students (descending through single wrapper folders)."""
    for _ in range(3):
        children = [p for p in real_folders(path) if not p.name.startswith((".", "__"))]
        if any((child / a).is_dir() and not (child / a).is_symlink() for child in children for a in assignments):
            return path
        if len(children) != 1:
            return path
        path = children[0]
    return path


def read_regular_file(root: Path, parts: list[str], limit: int) -> bytes:
    """The bytes of ``root/parts...``, opened without following any link below ``root``.

    Raises :class:`Refused` with a message for the student when a part is a link, the file is not a
    regular file, or it is larger than ``limit`` bytes.
    """
    fds = [os.open(root, os.O_RDONLY | os.O_DIRECTORY)]
    try:
        for part in parts[:-1]:
            try:
                fds.append(os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fds[-1]))
            except OSError as exc:
                raise Refused(f"{part} is a symbolic link or not a folder ({exc.strerror}); {NOT_A_LINK}") from None
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fds[-1])
        except OSError as exc:
            if os.path.islink(root.joinpath(*parts)):
                raise Refused(f"the notebook {parts[-1]} is a symbolic link; {NOT_A_LINK}") from None
            raise Refused(f"the notebook file cannot be read: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise Refused(f"the notebook {parts[-1]} is not a regular file; {NOT_A_LINK}")
            if info.st_size > limit:
                raise Refused(f"the notebook is {info.st_size / 2**20:.1f} MiB, more than the "
                              f"{limit / 2**20:g} MiB a submission may be")
            data = f.read(limit + 1)
        if len(data) > limit:
            raise Refused(f"the notebook is more than the {limit / 2**20:g} MiB a submission may be")
        return data
    finally:
        for fd in fds:
            os.close(fd)


def notebook_error(raw: bytes, limits: Limits | None = None) -> str:
    """'' when ``raw`` is a readable notebook within the limits, else what is wrong with it, for the student."""
    limits = limits or Limits()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the notebook file is not UTF-8 text ({exc.reason} at byte {exc.start})"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"the notebook is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    except RecursionError:
        return "the notebook's JSON is nested deeper than the grader reads"
    try:
        nb = nbformat.reads(text, as_version=4)
    except RecursionError:
        return "the notebook's JSON is nested deeper than the grader reads"
    except Exception as exc:
        return f"the file is not a valid Jupyter notebook: {(str(exc).splitlines() or [''])[0][:200]}"
    cells = nb.get("cells", [])
    if len(cells) > limits.cells:
        return f"the notebook has {len(cells):,} cells, more than the {limits.cells:,} the grader accepts"
    return ""


def read_notebook_error(path: Path) -> str:
    """'' when the file at ``path`` (not a link) is a readable notebook, else what is wrong with it."""
    path = Path(path)
    try:
        return notebook_error(read_regular_file(path.parent, [path.name], Limits().submission_bytes))
    except Refused as exc:
        return str(exc)


def notebook_names(folder_entries: list[os.DirEntry], expected_name: str) -> tuple[str | None, str]:
    """The submitted notebook among a folder's entries: the expected name, or the only notebook there."""
    by_name = {e.name: e for e in folder_entries}
    if expected_name in by_name:
        return expected_name, ""
    notebooks = sorted(e.name for e in folder_entries if e.name.endswith(".ipynb"))
    if len(notebooks) == 1:
        return notebooks[0], ""
    if not notebooks:
        return None, f"no notebook was submitted (expected {expected_name})"
    return None, f"several notebooks were submitted ({', '.join(notebooks)}); expected {expected_name}"


def find_notebook(folder: Path, expected_name: str) -> tuple[Path | None, str]:
    """The submitted notebook in ``folder``: the expected name, or the only notebook there."""
    name, error = notebook_names(list(os.scandir(folder)), expected_name)
    return (folder / name if name else None), error


def read_submission(root: Path, student: str, assignment_id: str, limits: Limits) -> tuple[str, bytes]:
    """(file name, bytes) of one student's notebook for one assignment; raises :class:`Refused`."""
    folder = root / student / assignment_id
    if folder.is_symlink():
        raise Refused(f"the assignment folder {assignment_id} is a symbolic link; {NOT_A_LINK}")
    if not folder.is_dir():
        raise Refused("not submitted")
    name, error = notebook_names(list(os.scandir(folder)), f"{assignment_id}.ipynb")
    if name is None:
        raise Refused(error)
    return name, read_regular_file(root, [student, assignment_id, name], limits.submission_bytes)


def verified_copy(scratch: Path, student: str, assignment_id: str, data: bytes) -> Path:
    """Write what was read into the grader's own folder: the only copy later steps read."""
    path = scratch / "verified" / student / f"{assignment_id}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def collect(path: Path, assignments: list[str], scratch: Path,
            limits: Limits | None = None) -> tuple[list[Submission], list[str]]:
    """Every (student, assignment) pair of the class, with the notebook or the reason it has none.

    Returns the submissions and a list of warnings about the folder itself (unknown entries,
    skipped archive members).
    """
    limits = limits or Limits()
    path = Path(path)
    if not path.exists():
        raise SubmissionsError(f"{path} does not exist")
    warnings, submissions = [], []
    if path.is_file():
        if path.suffix.lower() != ".zip":
            raise SubmissionsError(f"{path} is neither a folder nor a .zip archive")
        path = extract_zip(path, scratch / "unzipped", limits, warnings)
    shutil.rmtree(scratch / "verified", ignore_errors=True)
    root = class_root(path, assignments)
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith((".", "__")):
            continue
        student = entry.name
        if not STUDENT_ID.match(student):
            warnings.append(f"ignored {student!r}: not a usable student id")
            continue
        if entry.is_symlink():
            if not entry.is_dir():
                warnings.append(f"ignored {student}: not a student folder")
                continue
            why = f"the student folder {student} is a symbolic link; {NOT_A_LINK}"
            warnings.append(f"{student}: {why}")
            submissions += [Submission(student, a, error=why) for a in assignments]
            continue
        if not entry.is_dir(follow_symlinks=False):
            warnings.append(f"ignored {student}: not a student folder")
            continue
        for extra in sorted(p.name for p in Path(entry.path).iterdir() if p.name not in assignments):
            if not extra.startswith("."):
                warnings.append(f"{student}: ignored {extra} (not an assignment of this course)")
        for assignment_id in assignments:
            submissions.append(collect_one(root, student, assignment_id, scratch, limits))
    return submissions, warnings


def collect_one(root: Path, student: str, assignment_id: str, scratch: Path, limits: Limits) -> Submission:
    """One (student, assignment) pair; whatever goes wrong becomes its message, never the class's."""
    submission = Submission(student, assignment_id)
    try:
        name, data = read_submission(root, student, assignment_id, limits)
        submission.submitted = root / student / assignment_id / name
        submission.error = notebook_error(data, limits)
        if not submission.error:
            submission.notebook = verified_copy(scratch, student, assignment_id, data)
        submission.submitted_at = read_timestamp(root, student, assignment_id)
    except Refused as exc:
        submission.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - one submission must never stop the class
        submission.error = f"the submission could not be read ({type(exc).__name__})"
    return submission


def read_timestamp(root: Path, student: str, assignment_id: str) -> str:
    """The text of nbgrader's ``timestamp.txt`` in a submission folder ('' when there is none or it
    is not a small regular file): read like the notebook, without following links."""
    try:
        data = read_regular_file(root, [student, assignment_id, "timestamp.txt"], TIMESTAMP_BYTES)
    except Refused:
        return ""
    return data.decode("utf-8", "replace").strip()
