"""The local pool: N grading processes on this machine, each grading one notebook at a time.

Whatever assignment a notebook belongs to, the next free process takes it, so ``--jobs N`` keeps N
notebooks grading at once. A process that dies costs no notebook: the one it was grading goes back
in the queue once, and after a second death it gets a result that says why.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Callable

from .task import Task, failed_result
from .worker import STOPPING, GraderFailed, Stopped, WorkerDied, WorkerProcess

ATTEMPTS = 2  # a notebook whose worker dies is graded once more, then reported


def grade_locally(tasks: list[Task], jobs: int, root: Path, logs: Path,
                  on_result: Callable[[Task, dict], None]) -> None:
    """Grade ``tasks`` in ``jobs`` processes whose workspaces live under ``root``; ``on_result``
    is called (from several threads, one at a time) once per task."""
    todo: queue.Queue = queue.Queue()
    for task in tasks:
        todo.put((task, 1))
    report = threading.Lock()
    failures: list[BaseException] = []

    def work(number: int) -> None:
        worker = WorkerProcess(root, logs / f"worker-{number}.log", f"worker-{number}")
        try:
            while not failures and not STOPPING.is_set():
                try:
                    task, attempt = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    reply = worker.grade(task.loaded())
                except Stopped:  # what is left is graded by the next run
                    return
                except WorkerDied as exc:
                    if attempt < ATTEMPTS:
                        todo.put((task, attempt + 1))  # this thread goes on, so the task is not lost
                        continue
                    reply = failed_result(task, str(exc))
                with report:
                    on_result(task, reply)
        except BaseException as exc:  # GraderFailed, or a bug: stop the run, say why
            failures.append(exc)
        finally:
            worker.close()

    threads = [threading.Thread(target=work, args=(n,), name=f"grader-{n}", daemon=True)
               for n in range(1, max(1, min(jobs, len(tasks))) + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        failure = failures[0]
        raise failure if isinstance(failure, GraderFailed) else RuntimeError(f"grading failed: {failure!r}")
