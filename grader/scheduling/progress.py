"""Progress of a long grading run: a bar with counts, rate and time left; one line per notebook on
stderr and in the grading log (``OUT/.nbgrader/grading.log``); the slowest notebooks and the time
per assignment at the end."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as Bar

SLOWEST = 5


def stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="milliseconds")


def log_line(task, payload: dict) -> str:
    """STARTED FINISHED SECONDS WORKER ASSIGNMENT / STUDENT: SCORE (tab-separated, ISO times). The
    notebook's grading started after the worker's set-up for the assignment, which the line adds when
    it came first."""
    timing = payload.get("timing") or {}
    setup = payload.get("setup_seconds") or 0
    finished = timing.get("finished", time.time())
    started = min(finished, timing.get("started", finished) + setup)
    note = f" (after {setup:.1f} s setting up the worker)" if setup else ""
    return "\t".join([stamp(started), stamp(finished), f"{notebook_seconds(payload):.1f}",
                      timing.get("worker", "-"), f"{task.name}: {outcome(payload)}{note}"])


def notebook_seconds(payload: dict) -> float:
    """How long grading the notebook took in its worker, without the worker's set-up."""
    timing = payload.get("timing") or {}
    total = timing.get("finished", 0) - timing.get("started", 0)
    return max(0.0, total - (payload.get("setup_seconds") or 0))


def outcome(payload: dict) -> str:
    problems = payload.get("problems", {}).values()
    if not payload.get("ok"):
        return "could not be graded: " + (payload.get("error") or "unknown error")[:200]
    return f"{sum(p['score'] for p in problems):g}/{sum(p['max_score'] for p in problems):g}"


class Progress:
    """Call it with each (task, result) as it arrives; use it as a context manager around the run."""

    def __init__(self, total: int, log_path: Path, stream=None):
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.console = Console(file=stream or sys.stderr, highlight=False, soft_wrap=True)
        self.log_path = Path(log_path)
        self.seconds: dict[str, float] = {}  # "assignment / student" -> seconds of grading
        self.by_assignment: dict[str, list[float]] = defaultdict(list)
        self.bar = Bar(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                       TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=self.console,
                       transient=True, disable=not self.console.is_terminal)
        self.bar_task = self.bar.add_task("grading", total=total, rate="")

    def __enter__(self) -> Progress:
        self.log = open(self.log_path, "a", encoding="utf-8")
        self.log.write(f"# {stamp(time.time())} grading {self.total} notebooks\n")
        self.log.flush()
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()
        self.log.close()

    def __call__(self, task, payload: dict) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.start
        seconds = notebook_seconds(payload)
        self.seconds[task.name] = seconds
        self.by_assignment[task.assignment].append(seconds)
        self.log.write(log_line(task, payload) + "\n")
        self.log.flush()
        rate = self.done / elapsed * 60 if elapsed > 0 else 0
        self.bar.update(self.bar_task, completed=self.done, rate=f"{rate:.1f}/min")
        self.console.print(f"[{self.done}/{self.total}] {task.name}: {outcome(payload)} ({elapsed:.0f} s)",
                           markup=False)

    def summary(self) -> str:
        """The slowest notebooks and the grading time per assignment, for the end of the run."""
        if not self.seconds:
            return ""
        wall = time.monotonic() - self.start
        lines = [f"Graded {self.done} notebooks in {wall:.0f} s ({wall / self.done:.1f} s per notebook, "
                 f"{sum(self.seconds.values()) / self.done:.1f} s each in its worker, set-up aside).",
                 "Slowest notebooks:"]
        for name, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1])[:SLOWEST]:
            lines.append(f"  {seconds:7.1f} s  {name}")
        lines.append("Time per assignment (sum over its notebooks, mean, slowest):")
        for assignment, values in sorted(self.by_assignment.items()):
            lines.append(f"  {assignment:<24} {sum(values):8.1f} s  {len(values):4d} notebooks  "
                         f"mean {sum(values) / len(values):6.1f} s  max {max(values):6.1f} s")
        return "\n".join(lines)

    def finish(self) -> None:
        text = self.summary()
        if text:
            self.console.print(text, markup=False)
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write("".join(f"# {line}\n" for line in text.splitlines()))
