"""The student distribution: the one zip a class receives (``make student`` writes it to ``dist/``).

It holds the release notebooks and their diagrams, the small package they import at run time, the student's
requirements and JupyterLab/nbgrader settings, and a short README. It holds nothing that reveals an
answer: no solution cell (the notebooks are the nbgrader release), no hidden test, and none of the
grader's reference implementations (``grader/checks/``): the package is built from an explicit
list of files, never from a folder of the checkout.

Later sprints hand out earlier sprints' answers as given code (04 and 07 use a stable sigmoid, the
answer to 03's first problem; 06 trains with backpropagation through time, 02's subject; 10 gives the
sigmoid and has students paste their own LSTM from 03 and 04). A class that
works sprint by sprint gets a zip per week with ``--up-to``: the sprints up to that one, and no later.

Usage: ``python -m grader.student_dist [--out DIR] [--up-to SPRINT]``; prints the path of the zip.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

from .paths import NOTEBOOKS, ROOT, assignment_ids

TEMPLATES = ROOT / "student"  # README, requirements, pyproject and Jupyter settings for students
NAME = "rnn-course-student"

# Everything a release notebook imports from the course, and the nbgrader step its Validate uses.
PACKAGE = [
    "grader/__init__.py",
    "grader/visible.py",  # the visible checks' helpers
    "grader/nbgrader_ext.py",  # StderrIsNotFailure, for Validate
    "data/__init__.py",
    "data/keras_datasets.py",
    "data/synthetic.py",
    "data/text.py",
]
SETTINGS = [
    "README.md",
    "requirements.txt",
    "pyproject.toml",
    "jupyter/nbgrader_config.py",
    "jupyter/jupyter_server_config.d/rnn-course-student.json",
    "jupyter/labconfig/page_config.json",
]


def released(notebooks: Path = NOTEBOOKS, up_to: str | None = None) -> list[str]:
    """The sprints a zip holds: all of them, or those up to and including ``up_to``."""
    sprints = assignment_ids(notebooks)
    if up_to is None:
        return sprints
    if up_to not in sprints:
        raise ValueError(f"no sprint {up_to!r}; the sprints are {', '.join(sprints)}")
    return sprints[: sprints.index(up_to) + 1]


def contents(notebooks: Path = NOTEBOOKS, up_to: str | None = None) -> dict[str, Path]:
    """Each file of the distribution: its path inside the zip's top folder -> its source."""
    files = {relative: ROOT / relative for relative in PACKAGE}
    files |= {relative: TEMPLATES / relative for relative in SETTINGS}
    for assignment_id in released(notebooks, up_to):
        for notebook in sorted((notebooks / assignment_id).glob("*.ipynb")):
            files[f"notebooks/{assignment_id}/{notebook.name}"] = notebook
        for diagram in sorted((notebooks / assignment_id / "diagrams").glob("*.svg")):  # shown by the notebook
            files[f"notebooks/{assignment_id}/diagrams/{diagram.name}"] = diagram
    return files


def build(out: Path = ROOT / "dist", notebooks: Path = NOTEBOOKS, up_to: str | None = None) -> Path:
    """Write ``out/rnn-course-student.zip`` (one top folder inside) and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{NAME}.zip"
    partial = target.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative, source in sorted(contents(notebooks, up_to).items()):
            archive.write(source, f"{NAME}/{relative}")
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.student_dist", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the zip (default: dist/)")
    parser.add_argument("--up-to", metavar="SPRINT", default=None,
                        help="only the sprints up to and including SPRINT (a class that works sprint by sprint)")
    args = parser.parse_args(argv)
    try:
        path = build(args.out, up_to=args.up_to)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): give this file to students")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
