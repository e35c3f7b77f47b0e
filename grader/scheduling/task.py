"""One notebook to grade: everything a worker needs, on this machine or on another one."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path

GRADER = Path(__file__).resolve().parent.parent
BYTES = ("notebook", "source", "secret")  # base64 in JSON


@dataclass(frozen=True)
class Task:
    """The unit of work. Built without the notebook's bytes (``path``); :meth:`loaded` reads them
    when the task is sent, so that a class of thousands is never all in memory at once."""

    assignment: str
    notebook_name: str  # the assignment's notebook file name without .ipynb
    student_id: str
    fingerprint: str  # of the notebook and the assignment's source (grading.fingerprint)
    source: bytes  # the assignment's source notebook: the worker builds its release from it
    secret: bytes  # the course secret the hidden checks draw their inputs from
    limits: dict | None = None  # grader.sandbox.Limits fields
    unsafe: bool = False
    grader: str = ""  # grader_version() of the machine that made the task
    path: str = ""  # the submitted notebook on the machine that made the task
    notebook: bytes = b""

    @property
    def name(self) -> str:
        return f"{self.assignment} / {self.student_id}"

    def loaded(self) -> Task:
        return replace(self, notebook=Path(self.path).read_bytes())

    def to_json(self) -> str:
        fields = asdict(self)
        for key in BYTES:
            fields[key] = base64.b64encode(fields[key]).decode()
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str) -> Task:
        fields = json.loads(text)
        for key in BYTES:
            fields[key] = base64.b64decode(fields[key])
        return cls(**fields)


@cache
def grader_version() -> str:
    """A digest of the grader's code: a worker whose course differs from the coordinator's refuses."""
    digest = hashlib.sha256()
    for path in sorted(GRADER.rglob("*.py")):
        digest.update(str(path.relative_to(GRADER)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def failed_result(task: Task, why: str) -> dict:
    """The result of a notebook the grader could not grade (a rerun tries it again)."""
    return {"student_id": task.student_id, "assignment": task.assignment, "ok": False, "problems": {},
            "error": why}
