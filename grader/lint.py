"""Strict checks of a source notebook before it is released.

An autograded cell holds the problem's visible check, then its hidden tests; nothing may follow
them, since grading splits the visible check off at the hidden tests (grader/visible_split.py).

nbgrader accepts some mistakes silently (a hidden-test region in an ungraded cell is released as
is, a solution marker in a cell not marked as a solution is left in the student's copy). Every such
mistake here is an error with the cell and line it is on.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
REGIONS = {BEGIN_SOLUTION: END_SOLUTION, BEGIN_HIDDEN: END_HIDDEN}
ENDS = {v: k for k, v in REGIONS.items()}
PROBLEM_HEADING = re.compile(r"^## Problem (\d+) — (.+) \((\d+) points?\)\s*$", re.M)
TABLE_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*(.+?)\s*\|\s*(\d+)\s*\|\s*$", re.M)
CHECK_CALL = re.compile(r'check\("([A-Za-z0-9_]+)"')
# Pictures in markdown: ![alt](target) and <img src="target">. Only the course's own files, next to the notebook.
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']([^\"']*)[\"']", re.I)


def marker_errors(source: str, where: str) -> tuple[list[str], set[str]]:
    """Errors in the markers of one cell's source, and which kinds of region it contains."""
    errors, found, open_marker, open_line = [], set(), None, 0
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped in REGIONS:
            if open_marker:
                errors.append(f"{where}, line {number}: {stripped} inside the {open_marker} "
                              f"region opened on line {open_line} (markers cannot nest)")
            open_marker, open_line = stripped, number
            found.add(stripped)
        elif stripped in ENDS:
            if open_marker is None:
                errors.append(f"{where}, line {number}: {stripped} without a matching {ENDS[stripped]}")
            elif REGIONS[open_marker] != stripped:
                errors.append(f"{where}, line {number}: {stripped} closes the {open_marker} "
                              f"region opened on line {open_line}")
            open_marker = None
        elif stripped.startswith("### BEGIN") or stripped.startswith("### END"):
            errors.append(f"{where}, line {number}: unknown marker {stripped!r}")
    if open_marker:
        errors.append(f"{where}, line {open_line}: {open_marker} is never closed")
    return errors, found


def cell_errors(nb) -> list[str]:
    errors, grade_ids = [], {}
    for index, cell in enumerate(nb.cells, 1):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        where = f"cell {index} ({meta.get('grade_id', cell.cell_type)})"
        found_errors, found = marker_errors(cell.source, where)
        errors += found_errors
        if BEGIN_SOLUTION in found and not meta.get("solution"):
            errors.append(f"{where}: has solution markers but is not marked as a solution cell")
        if BEGIN_HIDDEN in found and not (meta.get("grade") and cell.cell_type == "code"):
            errors.append(f"{where}: has hidden-test markers but is not an autograded code cell")
        if meta.get("grade_id"):
            if meta["grade_id"] in grade_ids:
                errors.append(f"{where}: grade id {meta['grade_id']!r} is also used by cell "
                              f"{grade_ids[meta['grade_id']]}")
            grade_ids[meta["grade_id"]] = index
        if meta.get("grade") and cell.cell_type == "code":
            if not meta.get("points"):
                errors.append(f"{where}: an autograded cell needs points")
            if BEGIN_HIDDEN not in found:
                errors.append(f"{where}: an autograded cell must call its check inside hidden-test markers")
            after = cell.source.rpartition(END_HIDDEN)[2] if END_HIDDEN in cell.source else ""
            if any(line.strip() and not line.strip().startswith("#") for line in after.splitlines()):
                errors.append(f"{where}: code after {END_HIDDEN} (the visible check goes before the hidden "
                              "tests: grading runs it in a cell of its own)")
            called = CHECK_CALL.findall(cell.source)
            expected = meta.get("grade_id", "").removeprefix("test_")
            if called != [expected]:
                errors.append(f"{where}: should call check(\"{expected}\", ...) exactly once")
    return errors


def points_errors(nb) -> list[str]:
    """The header's points table and the problem headings must agree with the cell metadata."""
    graded = [c.metadata["nbgrader"] for c in nb.cells
              if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    points = [int(m.get("points", 0)) for m in graded]
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    table = [(int(n), title, int(p)) for n, title, p in TABLE_ROW.findall(markdown)]
    headings = [(int(n), title.strip(), int(p)) for n, title, p in PROBLEM_HEADING.findall(markdown)]
    errors = []
    if [p for _, _, p in table] != points:
        errors.append(f"the points table says {[p for _, _, p in table]} but the graded cells carry {points}")
    if [p for _, _, p in headings] != points:
        errors.append(f"the problem headings say {[p for _, _, p in headings]} but the graded cells "
                      f"carry {points}")
    if [n for n, _, _ in headings] != list(range(1, len(headings) + 1)):
        errors.append(f"problems are not numbered 1..{len(headings)}: {[n for n, _, _ in headings]}")
    if [t for _, t, _ in table] != [t for _, t, _ in headings]:
        errors.append("the titles in the points table differ from the problem headings")
    return errors


def output_errors(nb) -> list[str]:
    return [f"cell {i}: has outputs or an execution count (commit notebooks without outputs)"
            for i, c in enumerate(nb.cells, 1)
            if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]


def image_references(source: str) -> list[tuple[str, str]]:
    """(alt text, target) of every picture a markdown cell shows; alt is None for an HTML <img>."""
    return [(alt, target) for alt, target in MARKDOWN_IMAGE.findall(source)] + \
           [(None, target) for target in HTML_IMAGE.findall(source)]


def image_errors(nb, folder: Path) -> list[str]:
    """Every picture is a file of the sprint's folder (released with the notebook), and says what it shows.

    No remote address (a class may work offline, and the course shows no image from elsewhere), no
    absolute path, nothing outside the folder, no file that does not exist.
    """
    errors = []
    for index, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "markdown":
            continue
        for alt, target in image_references(cell.source):
            where = f"cell {index} (markdown), image {target!r}"
            if alt is not None and len(alt.split()) < 3:
                errors.append(f"{where}: needs an alt text that describes the picture")
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("/", "\\")):
                errors.append(f"{where}: must be a relative path to a file of the sprint's folder")
                continue
            resolved = (folder / target).resolve()
            if not resolved.is_relative_to(folder.resolve()):
                errors.append(f"{where}: points outside the sprint's folder")
            elif not resolved.is_file():
                errors.append(f"{where}: no such file in {folder.name}/ (run `make diagrams`?)")
    return errors


def lint_source(path: Path) -> list[str]:
    """All errors of a source notebook, each prefixed with its file name."""
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:
        return [f"{path}: cannot be read as a notebook: {exc}"]
    errors = cell_errors(nb) + points_errors(nb) + output_errors(nb) + image_errors(nb, path.parent)
    return [f"{path.name}: {e}" for e in errors]
