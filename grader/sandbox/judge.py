"""The judge: the trusted side of the hidden checks while a notebook runs in the sandbox.

It listens on a Unix socket that only the notebook being graded can reach. For each problem, the
first request draws fresh cases (seeded from the course secret, so that a rerun draws the same
ones), sends their inputs, reads back the outcomes as plain data and judges them against the
reference. That first verdict is the one recorded: asking again returns it unchanged, so a notebook
cannot probe the judge with one answer and then send another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import socket
import threading
import traceback
from pathlib import Path
from typing import Callable

from ..checks.framework import ANSWER_LIMIT, Problem, Session, Verdict, judge_value
from ..sanitize import clean_text
from .protocol import ProtocolError, recv_frame, send_frame

NOT_FINISHED = ("the hidden check of {name} started but never received an answer: the cell was "
                "stopped (too slow), the kernel died, or the notebook's code interfered with the check.")


def seed_for(secret: bytes, *parts: str) -> int:
    """A 32-bit seed that the secret and the names fix, and that nobody without the secret can guess."""
    digest = hmac.new(secret, "/".join(parts).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


class Judge:
    """Serves one submission's checks on ``socket_path``; ``verdicts`` is the record, by problem."""

    def __init__(self, socket_path: Path, problems: dict[str, Problem], seed: Callable[[str], int],
                 answer_timeout: float, give: Callable[[Path], None] = lambda path: None):
        self.socket_path, self.problems, self.seed = Path(socket_path), problems, seed
        self.answer_timeout = answer_timeout
        self.give = give  # lets the sandbox's user reach the socket (Sandbox.give)
        self.verdicts: dict[str, Verdict] = {}
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.server: socket.socket | None = None
        self.stopping = threading.Event()

    def __enter__(self) -> "Judge":
        self.socket_path.unlink(missing_ok=True)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(self.socket_path))
        self.give(self.socket_path)
        self.server.listen(8)
        thread = threading.Thread(target=self._accept, name="judge", daemon=True)
        thread.start()
        self.threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening; wait for the connections in progress (the sandbox is gone by now)."""
        self.stopping.set()
        if self.server is not None:  # wake the listening thread now rather than at its next timeout
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as wake:
                wake.connect(str(self.socket_path))
        for thread in list(self.threads):
            thread.join(timeout=self.answer_timeout + 5)
        if self.server is not None:
            self.server.close()
            self.server = None
        self.socket_path.unlink(missing_ok=True)

    def _accept(self) -> None:
        self.server.settimeout(0.2)  # to notice close()
        while not self.stopping.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.stopping.is_set():  # close() woke it: the notebook is over
                conn.close()
                return
            conn.settimeout(None)
            thread = threading.Thread(target=self._serve, args=(conn,), name="judge-connection", daemon=True)
            thread.start()
            self.threads.append(thread)

    def _claim(self, name: str) -> tuple[str, Verdict | None]:
        """'new' the first time a problem is asked for; otherwise 'done' with its recorded verdict."""
        with self.lock:
            if name in self.verdicts:
                return "done", self.verdicts[name]
            self.verdicts[name] = Verdict(False, NOT_FINISHED.format(name=name))  # until an answer arrives
            return "new", None

    def _record(self, name: str, verdict: Verdict) -> None:
        # the message may quote the student's exception: valid UTF-8, no control characters, capped
        verdict = dataclasses.replace(verdict, message=clean_text(verdict.message))
        with self.lock:
            self.verdicts[name] = verdict

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(self.answer_timeout)
            try:
                header, _ = recv_frame(conn, blob_limit=0)
                name = str(header.get("problem"))
                problem = self.problems.get(name)
                if header.get("op") != "begin" or problem is None:
                    send_frame(conn, {"status": "error", "passed": False,
                                      "message": f"no hidden check of this assignment is named {name!r}"})
                    return
                state, verdict = self._claim(name)
                if state == "done":
                    send_frame(conn, {"status": "done", "passed": verdict.passed, "message": verdict.message})
                    return
                try:
                    verdict = self._verify(conn, problem)
                except (OSError, ProtocolError):
                    raise
                except Exception as exc:  # a fault of the grader's own: say so rather than score 0 silently
                    traceback.print_exc()
                    verdict = Verdict(False, f"the grader failed while judging {name} ({type(exc).__name__}: "
                                             f"{exc}); please tell your instructor.")
                self._record(name, verdict)
                verdict = self.verdicts[name]
                send_frame(conn, {"status": "verdict", "passed": verdict.passed, "message": verdict.message})
            except (OSError, ProtocolError, ValueError):
                return  # the recorded verdict stays "never received an answer" or what was judged

    def _verify(self, conn: socket.socket, problem: Problem) -> Verdict:
        if problem.kind == "value":
            send_frame(conn, {"status": "cases", "kind": "value"})
            _, reply = recv_frame(conn, ANSWER_LIMIT)
            return judge_value(problem, reply)
        session = Session(problem, self.seed(problem.name))
        send_frame(conn, {"status": "cases", "kind": "function"}, session.request())
        _, reply = recv_frame(conn, ANSWER_LIMIT)
        return session.verdict(reply)
