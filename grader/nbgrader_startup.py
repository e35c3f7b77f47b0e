"""Start-up costs of nbgrader that grading does without.

The gradebook schema's revision, read in this process instead of by a new one:

nbgrader stamps every gradebook it creates with the newest revision of its alembic scripts, which it
finds by running the ``alembic heads`` command: a new Python process that imports alembic and
SQLAlchemy, a few seconds each time (ten on a busy machine), paid by the workers for each assignment
and once more for the course gradebook. The revision depends only on the installed nbgrader; it is
read here, once, from the same scripts.
"""

from __future__ import annotations

import sys
from functools import cache


@cache
def alembic_head() -> str:
    """The newest revision of nbgrader's gradebook schema, as ``alembic heads`` prints it."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def read_schema_revision_in_process() -> None:
    """Make nbgrader's Gradebook read the revision with :func:`alembic_head` in this process."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head


def skip_iri_grammars() -> None:
    """Import jsonschema without its IRI format checker, in a process that grades.

    When the optional ``rfc3987_syntax`` is installed (jupyter_server's dependencies install it),
    importing jsonschema, and so nbformat and nbgrader, compiles its 38 grammars: one to three seconds
    for each grading process. Only a schema with ``"format": "iri"`` would use them, and none that
    grading validates (nbformat's) has one. Call it before anything imports jsonschema.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # its import then fails, which jsonschema allows
