"""Speed of the course: per sprint, executing the solution and grading one submission, and the
whole sample class. Prints a table of medians over --runs runs (target: each solution under 60 s,
90 s for the sprints that train Keras models).

    python bench/bench.py --runs 3        (or: make bench RUNS=3)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.grading import worker_env  # noqa: E402
from grader.paths import SAMPLE_CLASS, assignment_ids, source_notebook  # noqa: E402

# seconds; 60 for the others
TARGET_S = {"07_keras_comparison": 90, "08_char_rnn": 90, "09_training_and_inspecting": 90}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def execute_solution(assignment_id: str) -> None:
    """Run the solution notebook top to bottom in a fresh kernel, as a student would."""
    import nbformat
    from nbclient import NotebookClient

    path = source_notebook(assignment_id)
    nb = nbformat.read(str(path), as_version=4)
    with tempfile.TemporaryDirectory() as cwd:
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": cwd}}).execute(env=worker_env(), stderr=subprocess.DEVNULL)


def grade(submissions: Path) -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "grader", "grade", str(submissions), "--out", out],
                       check=True, capture_output=True, env=worker_env())


def grade_one(assignment_id: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "alice" / assignment_id
        shutil.copytree(SAMPLE_CLASS / "alice" / assignment_id, dest)
        grade(Path(tmp))


def median_time(fn, runs: int) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(worker_env())
    print(f"Median of {args.runs} runs on {os.cpu_count()} cores\n", flush=True)
    rows = []
    for assignment_id in assignment_ids():
        execute = median_time(lambda: execute_solution(assignment_id), args.runs)
        one = median_time(lambda: grade_one(assignment_id), args.runs)
        rows.append((assignment_id, execute, one))
        target = TARGET_S.get(assignment_id, 60)
        flag = "ok" if execute < target else f"OVER {target} s"
        print(f"  measured {assignment_id}: solution {execute:.1f} s ({flag}), one submission {one:.1f} s",
              file=sys.stderr, flush=True)
    whole = median_time(lambda: grade(SAMPLE_CLASS), args.runs)
    students = len([p for p in SAMPLE_CLASS.iterdir() if p.is_dir()])

    print(f"{'sprint':<24}{'execute solution (s)':>22}{'grade one submission (s)':>26}  target")
    for assignment_id, execute, one in rows:
        target = TARGET_S.get(assignment_id, 60)
        status = "ok" if execute < target else "OVER"
        print(f"{assignment_id:<24}{execute:>22.1f}{one:>26.1f}  <{target} s {status}")
    print(f"\nwhole sample class ({students} students x {len(rows)} sprints): {whole:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
