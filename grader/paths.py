"""Where the course's folders live. Everything is relative to the checkout's top level."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The single source: nbgrader markers and hidden tests. Tests point it at small fixture courses.
SOLUTIONS = Path(os.environ.get("RNN_COURSE_SOLUTIONS", ROOT / "solutions")).resolve()
NOTEBOOKS = ROOT / "notebooks"  # the generated student release
WORKSPACE = ROOT / "workspace"  # git-ignored instructor data: gradebooks, autograded, feedback
EXAMPLES = ROOT / "examples"
SAMPLE_CLASS = EXAMPLES / "submissions"


def assignment_ids(source: Path = SOLUTIONS) -> list[str]:
    """Assignments that have a source notebook, in course order."""
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def source_notebook(assignment_id: str, source: Path = SOLUTIONS) -> Path:
    notebooks = sorted((source / assignment_id).glob("*.ipynb"))
    if len(notebooks) != 1:
        raise FileNotFoundError(f"{source / assignment_id} should hold exactly one notebook")
    return notebooks[0]
