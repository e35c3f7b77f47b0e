"""Building the student release in ``notebooks/`` from ``solutions/`` with nbgrader."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .lint import lint_source
from .nbgrader_backend import make_api, nbgrader_config, short_error
from .paths import NOTEBOOKS, SOLUTIONS, assignment_ids, source_notebook


class ReleaseError(Exception):
    pass


def release(assignments: list[str] | None = None, dest: Path = NOTEBOOKS, source: Path = SOLUTIONS) -> list[Path]:
    """Lint each source notebook, then run nbgrader generate_assignment into ``dest``.

    The gradebook nbgrader needs while generating lives in a temporary folder, so a release leaves
    nothing behind but the student notebooks.
    """
    assignments = assignments or assignment_ids(source)
    errors = [e for a in assignments for e in lint_source(source_notebook(a, source))]
    if errors:
        raise ReleaseError("the source notebooks have errors:\n  " + "\n  ".join(errors))
    # nbgrader calls alembic (a console script) to create its gradebook: use this environment's.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    written = []
    with tempfile.TemporaryDirectory(prefix="rnn-release-") as root:
        api = make_api(nbgrader_config(Path(root), source=source, release=Path(dest)))
        for assignment_id in assignments:
            result = api.generate_assignment(assignment_id, force=True, create=True)
            if not result["success"]:
                raise ReleaseError(f"{assignment_id}: {short_error(result)}")
            written += sorted((Path(dest) / assignment_id).glob("*.ipynb"))
    return written
