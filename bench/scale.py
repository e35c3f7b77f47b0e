"""Grading one assignment for a whole class, four ways in one run (make bench-scale):

1. ``grade --jobs 1``: one grading process, one notebook after another;
2. ``grade --jobs 2``: two notebooks at once;
3. plain ``nbgrader autograde`` of the same class (sequential, as nbgrader does; its
   generate_assignment untimed), for the cost of sandboxing and verification;
4. ``grade --scheduler`` against a Dask cluster of two single-threaded local workers that this
   benchmark starts (``dask scheduler`` and ``dask worker`` on 127.0.0.1) and stops.

The four ways take turns for ``--rounds`` rounds (2 by default) and each way's best time counts: the
speed of a shared machine drifts by a tenth or more within minutes, which a single run of each way
would charge to whichever way it fell on.

The class (``--students``, 16 by default) cycles through complete, partly correct and untouched
submissions built from the solutions as examples/build_sample_class.py builds the sample class.
Prints seconds per notebook, throughput and the ratios against the targets.

    python bench/scale.py --students 16 --assignment 01_rnn_forward
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "examples")]

from grader.nbgrader_startup import skip_iri_grammars  # noqa: E402

skip_iri_grammars()  # as `python -m grader grade` does, before anything imports jsonschema
import nbformat  # noqa: E402
from build_sample_class import filled, partly_correct, release_notebook  # noqa: E402
from verification import nbgrader, plain_config  # noqa: E402

from grader.grading import grade_class  # noqa: E402
from grader.paths import ROOT  # noqa: E402
from grader.sandbox import SandboxUnavailable, require_sandbox  # noqa: E402

KINDS = {"complete": filled, "partly correct": partly_correct, "untouched": release_notebook}
TARGETS = """\
targets: --jobs 2 at least 1.8x the throughput of --jobs 1; --jobs 1 at most 1.2x plain nbgrader's
seconds per notebook; the Dask cluster (2 workers) within 10 % of --jobs 2."""


def build_class(dest: Path, assignment_id: str, students: int) -> dict[str, int]:
    """``students`` submissions in nbgrader's submitted layout; how many of each kind."""
    kinds = list(KINDS)
    count = dict.fromkeys(kinds, 0)
    for number in range(students):
        kind = kinds[number % len(kinds)]
        path = dest / f"student{number + 1:03d}" / assignment_id / f"{assignment_id}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(KINDS[kind](assignment_id), str(path))
        count[kind] += 1
    return count


def time_plain(subs: Path, assignment_id: str) -> tuple[float, int]:
    """Seconds and exit code of ``nbgrader autograde`` of the class in a fresh course root."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "nbgrader_config.py").write_text(plain_config(root))
        shutil.copytree(subs, root / "submitted")
        if nbgrader(root, "generate_assignment", assignment_id, "--force") != 0:
            raise RuntimeError(f"nbgrader generate_assignment {assignment_id} failed in {root}")
        start = time.perf_counter()
        code = nbgrader(root, "autograde", assignment_id, "--force")
        return time.perf_counter() - start, code


def time_ours(subs: Path, assignment_id: str, unsafe: bool, **how) -> tuple[float, int]:
    """Seconds of grade_class into a fresh output folder, and how many notebooks it could not grade."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            results = grade_class(subs, Path(out), assignments=[assignment_id], unsafe=unsafe, **how)
        return time.perf_counter() - start, sum(1 for r in results if r.error)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_cluster(workers: int):
    """A Dask scheduler and ``workers`` single-threaded workers on 127.0.0.1; yields its address."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    address = f"tcp://127.0.0.1:{free_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True, "env": env}
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--no-dashboard"], **quiet)]
    processes += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard", "--host",
                                    "127.0.0.1", "--name", f"bench-{n}"], **quiet) for n in range(workers)]
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--assignment", default="01_rnn_forward")
    parser.add_argument("--unsafe", action="store_true", help="grade without a sandbox (passed to grade_class)")
    parser.add_argument("--rounds", type=int, default=2, help="each way is timed this many times, taking turns; "
                                                              "the best time of each counts")
    args = parser.parse_args()
    try:
        require_sandbox(args.unsafe)
    except SandboxUnavailable as exc:
        print(f"Not measuring: grading needs a sandbox. {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "class"
        kinds = build_class(subs, args.assignment, args.students)
        print(f"{args.assignment}, {args.students} submissions ("
              + ", ".join(f"{n} {kind}" for kind, n in kinds.items()) + f"), {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f} at the start\n", flush=True)
        seconds, notes = {}, {}
        ways = [("--jobs 1", lambda: time_ours(subs, args.assignment, args.unsafe, jobs=1)),
                ("--jobs 2", lambda: time_ours(subs, args.assignment, args.unsafe, jobs=2)),
                ("plain nbgrader autograde", lambda: time_plain(subs, args.assignment))]
        with local_cluster(2) as address:
            ways.append(("--scheduler (Dask, 2 workers)",
                         lambda: time_ours(subs, args.assignment, args.unsafe, scheduler=address)))
            for round_ in range(1, args.rounds + 1):  # the ways take turns, so that a slow spell of the
                for name, measure in ways:        # machine does not fall on one of them only
                    took, detail = measure()
                    note = (f"exit code {detail}" if name.startswith("plain") else f"{detail} not fully graded") \
                        + f", load average {os.getloadavg()[0]:.1f} after"
                    print(f"  round {round_}, {name}: {took:.1f} s ({note})", file=sys.stderr, flush=True)
                    if name not in seconds or took < seconds[name]:
                        seconds[name], notes[name] = took, f"best of {args.rounds}; {note}"
        print_table(seconds, notes, args.students)
    return 0


def print_table(seconds: dict, notes: dict, students: int) -> None:
    print(f"{'way':<32}{'seconds':>10}{'s/notebook':>12}{'notebooks/min':>15}  notes")
    for name, value in seconds.items():
        print(f"{name:<32}{value:>10.1f}{value / students:>12.2f}{students / value * 60:>15.1f}  {notes[name]}")
    one, two = seconds["--jobs 1"], seconds["--jobs 2"]
    plain, cluster = seconds["plain nbgrader autograde"], seconds["--scheduler (Dask, 2 workers)"]
    print(f"\n--jobs 2 throughput / --jobs 1:            {one / two:5.2f}x  (target >= 1.8x)")
    print(f"--jobs 1 per notebook / plain nbgrader:    {one / plain:5.2f}x  (target <= 1.2x)")
    print(f"Dask seconds / --jobs 2 seconds:           {cluster / two:5.2f}x  (target <= 1.10x)")
    print("\n" + TARGETS)


if __name__ == "__main__":
    raise SystemExit(main())
