"""A grading process, seen from the process that sends it work (this machine's pool or a Dask worker).

The process (``python -m grader.nbgrader_backend ROOT``) reads one task per line on its stdin and
answers each with one result line on its stdout; it keeps its nbgrader workspace per assignment
under ROOT between tasks. It dies with the thread that started it (PR_SET_PDEATHSIG), so a grading
run that is killed leaves no grader behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..paths import ROOT
from .task import Task

RESULT_PREFIX = "@@grader-result "  # marks the worker's result lines among other output
STOPPING = threading.Event()  # set when the run is stopped (a signal): no new worker starts
RUNNING: set[subprocess.Popen] = set()  # grading processes of this run, alive now


class WorkerDied(RuntimeError):
    """The grading process stopped while it graded a notebook (the notebook is graded again)."""


class Stopped(RuntimeError):
    """The run was stopped (a signal): no notebook is started any more."""


class GraderFailed(RuntimeError):
    """The grader itself cannot work (an assignment that does not build, another grader version)."""


def worker_env() -> dict:
    """Environment for nbgrader and the kernels it starts: this interpreter first on PATH.

    nbgrader's kernel spec starts ``python`` from PATH and calls ``alembic`` to create gradebooks;
    both must come from the environment the grader runs in.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    env.setdefault("MPLBACKEND", "Agg")
    return env


class WorkerProcess:
    """One grading process, started on first use and again after it died."""

    def __init__(self, root: Path, log_path: Path, name: str):
        self.root, self.log_path, self.name = Path(root), Path(log_path), name
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if STOPPING.is_set():
            raise Stopped("the grading run was stopped")
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "grader.nbgrader_backend", str(self.root)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                                            env=worker_env(), cwd=self.root)
        RUNNING.add(self.process)

    def grade(self, task: Task) -> dict:
        """The result of one notebook, with when and where it was graded (``timing``).

        Raises WorkerDied when the process stops before it answers, GraderFailed when it cannot grade.
        """
        if self.process is None or self.process.poll() is not None:
            self.start()
        started = time.time()
        try:
            self.process.stdin.write(task.to_json() + "\n")
            self.process.stdin.flush()
            for line in self.process.stdout:
                if line.startswith(RESULT_PREFIX):
                    reply = json.loads(line[len(RESULT_PREFIX):])
                    if "fatal" in reply:
                        raise GraderFailed(f"{reply['fatal']} (see {self.where()})")
                    reply["timing"] = {"started": started, "finished": time.time(), "worker": self.name}
                    return reply
        except (BrokenPipeError, ValueError):  # ValueError: its pipe was closed meanwhile
            pass
        code = self.process.wait()
        RUNNING.discard(self.process)
        self.process = None
        if STOPPING.is_set():
            raise Stopped("the grading run was stopped")
        raise WorkerDied(f"the grader's worker stopped (exit code {code}) while grading this notebook; "
                         f"see {self.where()}")

    def where(self) -> str:
        return f"{self.log_path} on {socket.gethostname()}"

    def close(self) -> None:
        if self.process is None:
            return
        try:
            self.process.stdin.close()  # end of input: the worker finishes and exits
            self.process.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        RUNNING.discard(self.process)
        self.process = None


def stop_workers() -> None:
    """Stop this run's grading processes (each removes its sandbox as it goes), and start no new one."""
    STOPPING.set()
    for process in list(RUNNING):
        with contextlib.suppress(OSError):
            process.terminate()
    for process in list(RUNNING):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
