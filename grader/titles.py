"""Human titles of assignments and problems, read from the source notebooks' markdown headings.

An assignment's title is its notebook's first ``#`` heading; a problem's title is the last heading
above its hidden-test cell (``## Problem 1 — One recurrent step (2 points)`` -> ``Problem 1 — One
recurrent step``). Reports, exports and feedback show these instead of grade ids.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nbformat

from .paths import source_notebook

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
_POINTS = re.compile(r"\s*\(\s*\d+(\.\d+)?\s+points?\s*\)\s*$", re.I)


def headings(markdown: str) -> list[tuple[int, str]]:
    """(level, text) of every ATX heading in a markdown cell."""
    return [(len(m.group(1)), _POINTS.sub("", m.group(2))) for m in _HEADING.finditer(markdown)]


def notebook_titles(nb) -> tuple[str, dict[str, str]]:
    """(the notebook's title, grade_id -> the title of the problem that grade cell checks)."""
    title, last, problems = "", "", {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for level, text in headings(cell.source):
                title = title or (text if level == 1 else "")
                if level > 1:
                    last = text
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            problems[meta["grade_id"]] = last or meta["grade_id"].removeprefix("test_")
    return title, problems


@lru_cache(maxsize=None)
def _source_titles(assignment_id: str) -> tuple[str, dict[str, str]]:
    return notebook_titles(nbformat.read(str(source_notebook(assignment_id)), as_version=4))


def assignment_title(assignment_id: str) -> str:
    """The assignment's title, or its id when its source is not available."""
    try:
        return _source_titles(assignment_id)[0] or assignment_id
    except (OSError, FileNotFoundError, ValueError):
        return assignment_id


def problem_title(assignment_id: str, problem: str) -> str:
    """A problem's title (``problem`` is the name without ``test_``), or the name itself."""
    try:
        titles = _source_titles(assignment_id)[1]
    except (OSError, FileNotFoundError, ValueError):
        return problem
    return titles.get(f"test_{problem}", titles.get(problem, problem))
