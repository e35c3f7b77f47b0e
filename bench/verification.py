"""Cost of verification: per sprint, plain ``nbgrader autograde`` of the sample class against this
project's sandboxed, verified grading of the same notebooks, side by side in one run. Prints a table
of medians over --runs runs.

    python bench/verification.py --runs 3 --assignments 04_lstm_backward     (all, once: make bench-verify)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.grading import grade_class, worker_env  # noqa: E402
from grader.paths import SAMPLE_CLASS, SOLUTIONS, assignment_ids, source_notebook  # noqa: E402
from grader.sandbox import SandboxUnavailable, require_sandbox  # noqa: E402

PLAIN, VERIFIED = "plain", "verified"

NOTE = """\
Plain: `nbgrader autograde ID --force` with nbgrader's own Execute (timeout 120 s per cell), the kernel
unsandboxed, the hidden tests run in the student's kernel; generate_assignment is done beforehand, untimed.
Verified: grade_class(jobs=1) does in addition, per assignment, one worker process that runs
generate_assignment, and per notebook a bubblewrap sandbox start-up (and teardown) with a private
library, the judge's socket and one round trip per hidden check (inputs drawn outside the kernel,
answers checked outside it), the comparison with nbgrader's own scores, verified scores written back to
the gradebook, HTML feedback generation, and an atomic result file; then grades.csv, problems.csv and
the feedback tree for the class."""


def plain_config(root: Path) -> str:
    """An nbgrader_config.py that changes only the course paths and the cell timeout."""
    return (f"c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.root = {str(root)!r}\n"
            f"c.CourseDirectory.source_directory = {str(SOLUTIONS)!r}\n"
            f"c.CourseDirectory.db_url = {'sqlite:///' + str(root / 'gradebook.db')!r}\n"
            f"c.Execute.timeout = 120\n")


def copy_sample_class(assignment_id: str, root: Path) -> None:
    """The sample class's notebooks of one assignment, in nbgrader's submitted layout."""
    name = source_notebook(assignment_id).name
    for notebook in sorted(SAMPLE_CLASS.glob(f"*/{assignment_id}/{name}")):
        dest = root / "submitted" / notebook.parent.parent.name / assignment_id / name
        dest.parent.mkdir(parents=True)
        shutil.copyfile(notebook, dest)


def nbgrader(root: Path, *args: str) -> int:
    """Run the nbgrader command line in the course root; its exit code (output discarded)."""
    return subprocess.run(["nbgrader", *args], cwd=root, env=worker_env(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def time_plain(assignment_id: str) -> tuple[float, int]:
    """Seconds and exit code of ``nbgrader autograde`` of the assignment in a fresh course root."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "nbgrader_config.py").write_text(plain_config(root))
        copy_sample_class(assignment_id, root)
        if nbgrader(root, "generate_assignment", assignment_id, "--force") != 0:
            raise RuntimeError(f"nbgrader generate_assignment {assignment_id} failed in {root}")
        start = time.perf_counter()
        code = nbgrader(root, "autograde", assignment_id, "--force")
        return time.perf_counter() - start, code


def time_verified(assignment_id: str, unsafe: bool) -> tuple[float, int]:
    """Seconds of grade_class for the assignment into a fresh output folder, and how many it could not grade."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):  # its warnings about the other assignments' folders
            results = grade_class(SAMPLE_CLASS, Path(out), jobs=1, assignments=[assignment_id], unsafe=unsafe)
        return time.perf_counter() - start, sum(1 for r in results if r.error)


def measure(assignments: list[str], runs: int, unsafe: bool) -> tuple[dict, dict]:
    """Times per (side, assignment) over all runs, and the plain side's non-zero exit codes."""
    times = {(side, a): [] for side in (PLAIN, VERIFIED) for a in assignments}
    exit_codes = {}
    total, done = 2 * runs * len(assignments), 0
    for run in range(runs):
        for i, assignment_id in enumerate(assignments):
            sides = (PLAIN, VERIFIED) if (run + i) % 2 == 0 else (VERIFIED, PLAIN)
            for side in sides:
                if side == PLAIN:
                    seconds, code = time_plain(assignment_id)
                    detail = f"exit code {code}"
                    if code:
                        exit_codes[assignment_id] = code
                else:
                    seconds, ungraded = time_verified(assignment_id, unsafe)
                    detail = f"{ungraded} could not be fully graded"
                times[(side, assignment_id)].append(seconds)
                done += 1
                print(f"[{done}/{total}] {side} {assignment_id}: {seconds:.1f} s ({detail})",
                      file=sys.stderr, flush=True)
    return times, exit_codes


def print_table(assignments: list[str], times: dict) -> None:
    print(f"{'assignment':<24}{'plain nbgrader autograde (s)':>30}{'verified grading (s)':>22}"
          f"{'overhead (s)':>14}{'ratio':>8}")
    rows = [(a, statistics.median(times[(PLAIN, a)]), statistics.median(times[(VERIFIED, a)])) for a in assignments]
    total = ("TOTAL", sum(r[1] for r in rows), sum(r[2] for r in rows))
    for name, plain, verified in [*rows, total]:
        print(f"{name:<24}{plain:>30.1f}{verified:>22.1f}{verified - plain:>14.1f}{verified / plain:>7.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--assignments", nargs="+", choices=assignment_ids(), default=assignment_ids())
    parser.add_argument("--unsafe", action="store_true",
                        help="let the verified side grade without a sandbox (passed to grade_class)")
    args = parser.parse_args()
    try:
        require_sandbox(args.unsafe)
    except SandboxUnavailable as exc:
        print(f"Not measuring: the verified side needs a sandbox. {exc}", file=sys.stderr)
        return 2
    students = len([p for p in SAMPLE_CLASS.iterdir() if p.is_dir()])
    print(f"Median of {args.runs} runs on {os.cpu_count()} cores, {students} students per assignment"
          + (", verified side WITHOUT a sandbox (--unsafe)" if args.unsafe else "") + "\n", flush=True)
    times, exit_codes = measure(args.assignments, args.runs, args.unsafe)
    print_table(args.assignments, times)
    if exit_codes:
        codes = ", ".join(f"{a} ({code})" for a, code in exit_codes.items())
        print(f"\nplain nbgrader exited non-zero (broken submissions, timed all the same): {codes}")
    print("\n" + NOTE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
