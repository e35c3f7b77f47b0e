"""``grader.checks`` as the student's kernel sees it while a notebook is graded.

The grader copies this file into the sandbox as ``grader/checks/__init__.py``, beside the check
framework but without a single reference solution. ``check(name, answer)`` asks the grader's judge
(outside the sandbox) for fresh inputs, runs the student's function on them here, and sends back
what it returned as plain data; the judge compares and answers with the verdict, which this cell
then prints or raises. The judge keeps its own record: whatever happens in this kernel afterwards,
the grade is what the judge saw.
"""

from __future__ import annotations

import socket

from ..sandbox.protocol import recv_frame, send_frame
from ._judge import JUDGE_SOCKET
from .framework import CheckFailed, pack_value, run_cases

REPLY_LIMIT = 1 << 30  # the judge's inputs (trusted)


def _ask(name: str, answer) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(JUDGE_SOCKET)
        send_frame(conn, {"op": "begin", "problem": name})
        header, cases = recv_frame(conn, REPLY_LIMIT)
        if header.get("status") != "cases":
            return header
        reply = pack_value(answer) if header.get("kind") == "value" else run_cases(answer, cases)
        send_frame(conn, {"op": "answer", "problem": name}, reply)
        return recv_frame(conn, REPLY_LIMIT)[0]


def check(name: str, answer, seed=None) -> None:
    """Hidden-test entry point: print the judge's pass line, or raise CheckFailed with its message."""
    verdict = _ask(name, answer)
    if not verdict.get("passed"):
        raise CheckFailed(verdict.get("message", "the grader's judge did not answer")) from None
    print(verdict["message"])


__all__ = ["CheckFailed", "check"]
