"""Build the sample class in examples/submissions from solutions/ and notebooks/.

Four students, one submission per assignment each, in nbgrader's submitted layout:
- alice: complete and correct (the release with every answer cell filled in from the solution);
- bob:   partly correct (the first half of the answers filled in, the rest left as released,
         and in sprint 01 one answer with a typical mistake);
- carol: the untouched release;
- dave:  broken: sprint 01 is truncated, invalid JSON; the other sprints are complete but kill
         their kernel (os._exit) right after the first problem.

Run with ``make sample-class`` whenever the solutions change; a test fails while this folder is
out of date. ``build(dest)`` is also what that test calls.
"""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.lint import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION  # noqa: E402
from grader.paths import NOTEBOOKS, SAMPLE_CLASS, assignment_ids, source_notebook  # noqa: E402

# A typical mistake for bob in sprint 01: the first hidden state taken instead of the last.
BOB_MISTAKES = {"01_rnn_forward": ("h_small[:, -1]", "h_small[:, 0]")}


def strip_markers(source: str) -> str:
    """The answer as a student would write it: solution markers removed, hidden tests dropped."""
    lines, hidden = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN_HIDDEN:
            hidden = True
        elif stripped == END_HIDDEN:
            hidden = False
        elif not hidden and stripped not in (BEGIN_SOLUTION, END_SOLUTION):
            lines.append(line)
    return "\n".join(lines)


def answers(assignment_id: str) -> dict[str, str]:
    """grade_id -> solved source of every answer cell."""
    nb = nbformat.read(str(source_notebook(assignment_id)), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: strip_markers(c.source)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def release_notebook(assignment_id: str):
    return nbformat.read(str(NOTEBOOKS / assignment_id / f"{assignment_id}.ipynb"), as_version=4)


def filled(assignment_id: str, fraction: float = 1.0):
    """The release with the first ``fraction`` of its answer cells solved."""
    nb = release_notebook(assignment_id)
    solved = answers(assignment_id)
    answer_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    for cell in answer_cells[: round(len(answer_cells) * fraction)]:
        cell.source = solved[cell.metadata["nbgrader"]["grade_id"]]
    return nb


def partly_correct(assignment_id: str):
    nb = filled(assignment_id, 0.5)
    if assignment_id in BOB_MISTAKES:
        right, wrong = BOB_MISTAKES[assignment_id]
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and right in c.source)
        cell.source = cell.source.replace(right, wrong, 1)
    return nb


def kernel_killer(assignment_id: str):
    nb = filled(assignment_id)
    first_grade = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
    nb.cells.insert(first_grade + 1, nbformat.v4.new_code_cell(
        "import os\nos._exit(1)  # leaves the kernel: everything after this is never run",
        id="dave-exit"))
    return nb


def write(nb, dest: Path, student: str, assignment_id: str) -> None:
    path = dest / student / assignment_id / f"{assignment_id}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def build(dest: Path = SAMPLE_CLASS, assignments: list[str] | None = None) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for assignment_id in assignments or assignment_ids():
        write(filled(assignment_id), dest, "alice", assignment_id)
        write(partly_correct(assignment_id), dest, "bob", assignment_id)
        write(copy.deepcopy(release_notebook(assignment_id)), dest, "carol", assignment_id)
        if assignment_id == "01_rnn_forward":
            path = dest / "dave" / assignment_id / f"{assignment_id}.ipynb"
            write(filled(assignment_id), dest, "dave", assignment_id)
            text = path.read_text()
            path.write_text(text[: len(text) // 2])  # cut off mid-file: not valid JSON
        else:
            write(kernel_killer(assignment_id), dest, "dave", assignment_id)


if __name__ == "__main__":
    build()
    print(f"wrote the sample class to {SAMPLE_CLASS}")
