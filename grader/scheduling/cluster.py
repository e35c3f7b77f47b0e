"""Grading on a Dask cluster: ``grade ... --scheduler tcp://HOST:8786``.

Each notebook is one Dask task. It carries the notebook's bytes, the assignment's source, the course
secret and the limits (:class:`~.task.Task`); on the worker it is graded by a grading process of the
same kind as the local pool's (:class:`~.worker.WorkerProcess`, one per worker thread, kept between
tasks with its nbgrader workspace per assignment), in the same sandbox with the same judge. Results
come back as they finish (``as_completed``) and the caller writes them to ``OUT/``.

A worker lost mid-notebook: the scheduler gives the task to another worker (Dask's own
rescheduling, up to ``distributed.scheduler.allowed-failures`` times); a grading process that dies
under a live worker raises, and the task is retried once. Each task has its own key and its result
is taken once, so a notebook is never counted twice. At most a few tasks per worker thread are
submitted at a time: the scheduler never holds a whole class's notebooks.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import uuid
from itertools import islice
from pathlib import Path
from typing import Callable

from .task import Task, failed_result
from .worker import GraderFailed, WorkerProcess

TASKS_PER_THREAD = 2  # in flight per worker thread: one grading, one waiting on the worker
_local = threading.local()  # on a Dask worker: this thread's grading process


def grade_on_worker(task: Task) -> dict:
    """Runs on a Dask worker: grade one notebook in this thread's grading process."""
    worker = getattr(_local, "worker", None)
    if worker is None:
        root = Path(tempfile.mkdtemp(prefix="rnn-grade-worker-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        name = f"{dask_worker_name()}/{threading.current_thread().name}"
        worker = _local.worker = WorkerProcess(root / "workspace", root / "worker.log", name)
    return worker.grade(task)  # WorkerDied and GraderFailed travel back to the client


def dask_worker_name() -> str:
    from distributed import get_worker

    try:
        return str(get_worker().name)
    except ValueError:
        return "dask"


def grade_on_cluster(address: str, tasks: list[Task], on_result: Callable[[Task, dict], None]) -> None:
    """Grade ``tasks`` on the cluster whose scheduler is at ``address``; ``on_result`` once per task."""
    from distributed import Client, as_completed

    run = uuid.uuid4().hex[:8]
    with Client(address, timeout="60s") as client:
        threads = sum(client.nthreads().values())
        if threads == 0:
            client.wait_for_workers(1, timeout=300)
            threads = sum(client.nthreads().values())
        pending = iter(tasks)
        submitted: dict = {}

        def submit(task: Task):
            future = client.submit(grade_on_worker, task.loaded(), key=f"grade-{run}-{task.assignment}-"
                                   f"{task.student_id}", pure=False, retries=1)
            submitted[future] = task
            return future

        running = as_completed([submit(t) for t in islice(pending, max(1, threads) * TASKS_PER_THREAD)])
        for future in running:
            task = submitted.pop(future)
            try:
                reply = future.result()
            except GraderFailed:
                raise
            except Exception as exc:  # KilledWorker (lost workers), WorkerDied twice, ...
                reply = failed_result(task, f"the cluster could not grade this notebook: {type(exc).__name__}: {exc}")
            future.release()
            on_result(task, reply)
            following = next(pending, None)
            if following is not None:
                running.add(submit(following))
