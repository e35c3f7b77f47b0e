"""Grading at class scale: several notebooks of one assignment at once, a real Dask cluster on
127.0.0.1, and workers killed mid-notebook (locally and on the cluster).

The class is the small fixture course (tests/fixtures/make_course.py): six students, graded once
locally with --jobs 2; the cluster (a `dask scheduler` and two `dask worker` processes, started and
stopped here) must give the same reports.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.paths import ROOT
from grader.release import release as do_release
from tests.fixtures.make_course import ASSIGNMENT, build
from tests.test_pipeline import read_csv, run_grader, submit

WRONG_SOFTMAX = "def softmax(z):\n    return z"
EXPECTED = {"s1": "3", "s2": "3", "s3": "2", "s4": "0", "s5": "3", "s6": "2"}
SMALL = ("s1", "s3", "s4")


def grader_env(solutions: Path) -> dict:
    env = dict(os.environ, RNN_COURSE_SOLUTIONS=str(solutions), PYTHONPATH=str(ROOT))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return env


def start_grader(solutions: Path, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", *args], env=grader_env(solutions),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    solutions = build(root)
    do_release(dest=root / "notebooks", source=solutions)
    solved = nbformat.read(str(solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    released = nbformat.read(str(root / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    wrong = nbformat.from_dict(nbformat.from_dict(solved))
    wrong.cells[6].source = WRONG_SOFTMAX
    subs = root / "submissions"
    for student, score in EXPECTED.items():
        submit(subs, student, {"3": solved, "2": wrong, "0": released}[score])
    small = root / "small"  # for the runs in which a worker is killed
    for student in SMALL:
        shutil.copytree(subs / student, small / student)
    return root, solutions, subs, small


@pytest.fixture(scope="module")
def local(course):
    root, solutions, subs, _ = course
    out = root / "local"
    result = run_grader(solutions, "grade", str(subs), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    return out, result


def graded_lines(out: Path) -> list[tuple[datetime, datetime, str, str]]:
    """(started, finished, worker, 'assignment / student: score') of each line of the grading log."""
    lines = []
    for line in (out / ".nbgrader" / "grading.log").read_text().splitlines():
        if not line.startswith("#"):
            started, finished, _, worker, what = line.split("\t")
            lines.append((datetime.fromisoformat(started), datetime.fromisoformat(finished), worker, what))
    return lines


def scores(out: Path) -> dict[str, str]:
    return {r["student_id"]: r["score"] for r in read_csv(out / "grades.csv")}


def test_one_assignment_is_graded_several_notebooks_at_once(local):
    out, result = local
    assert scores(out) == EXPECTED
    lines = graded_lines(out)
    assert len(lines) == len(EXPECTED) and {w for _, _, w, _ in lines} == {"worker-1", "worker-2"}
    # each line's interval is the notebook's grading, its worker's set-up aside: one notebook after
    # another, no two would overlap
    overlapping = [(a[3], b[3]) for i, a in enumerate(lines) for b in lines[i + 1:] if a[0] < b[1] and b[0] < a[1]]
    assert overlapping, lines


def test_the_run_ends_with_a_summary(local):
    out, result = local
    assert "[6/6]" in result.stderr and "Slowest notebooks:" in result.stderr
    assert f"{ASSIGNMENT}" in result.stderr.split("Time per assignment", 1)[1]


# ------------------------------------------------------------------------------ a real Dask cluster


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask(*args, cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # a worker machine with the course installed
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return subprocess.Popen([str(Path(sys.executable).parent / "dask"), *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers (no nanny: a killed worker stays dead)."""
    from distributed import Client

    cwd = tmp_path_factory.mktemp("cluster")
    address = f"tcp://127.0.0.1:{free_port()}"
    processes = [dask("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard",
                      cwd=cwd)]
    workers = [dask("worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                    "--name", f"w{n}", cwd=cwd) for n in (1, 2)]
    processes += workers
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address, workers
    finally:
        for process in processes:
            with_suppressed_lookup(os.killpg, process.pid, signal.SIGKILL)
            process.wait()


def with_suppressed_lookup(function, *args):
    try:
        function(*args)
    except ProcessLookupError:
        pass


def test_a_dask_cluster_gives_the_same_reports_as_a_local_run(course, local, cluster, tmp_path):
    root, solutions, subs, _ = course
    address, _ = cluster
    out = tmp_path / "out"
    (out / ".nbgrader").mkdir(parents=True)
    shutil.copy(local[0] / ".nbgrader" / "secret.key", out / ".nbgrader" / "secret.key")  # the course's
    result = run_grader(solutions, "grade", str(subs), "--out", str(out), "--scheduler", address)
    assert result.returncode == 0, result.stderr
    assert read_csv(out / "grades.csv") == read_csv(local[0] / "grades.csv")
    assert read_csv(out / "problems.csv") == read_csv(local[0] / "problems.csv")
    assert {w.split("/")[0] for _, _, w, _ in graded_lines(out)} == {"w1", "w2"}


def grading_sandbox(process: psutil.Process) -> bool:
    """Whether a notebook's sandbox is running below ``process`` (it is grading one)."""
    try:
        return any(p.name() == "bwrap" for p in process.children(recursive=True))
    except psutil.NoSuchProcess:
        return False


def wait_for(condition, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def assert_graded_once_each(out: Path) -> None:
    assert scores(out) == {s: EXPECTED[s] for s in SMALL}
    graded = [what.split(":")[0] for _, _, _, what in graded_lines(out)]
    assert sorted(graded) == [f"{ASSIGNMENT} / {s}" for s in SMALL]  # no notebook twice, none lost
    assert len(list((out / ".nbgrader" / "results" / ASSIGNMENT).glob("*.json"))) == len(SMALL)


def test_a_dask_worker_killed_mid_notebook_costs_nothing(course, cluster, tmp_path):
    """Runs last on the cluster: one of its two workers is gone afterwards."""
    root, solutions, _, small = course
    address, workers = cluster
    out = tmp_path / "out"
    run = start_grader(solutions, str(small), "--out", str(out), "--scheduler", address)
    victim = wait_for(lambda: next((w for w in workers if grading_sandbox(psutil.Process(w.pid))), None))
    victim.send_signal(signal.SIGKILL)  # the worker process, with the notebook it was grading
    _, stderr = run.communicate(timeout=600)
    assert run.returncode == 0, stderr
    assert_graded_once_each(out)
    survivor = next(w for w in workers if w is not victim)
    assert {w.split("/")[0] for _, _, w, _ in graded_lines(out)} >= {f"w{workers.index(survivor) + 1}"}


def test_a_local_worker_killed_mid_notebook_costs_nothing(course, tmp_path):
    root, solutions, _, small = course
    out = tmp_path / "out"
    run = start_grader(solutions, str(small), "--out", str(out), "--jobs", "1")

    def grading_worker():
        found = [psutil.Process(int(pid)) for pid in subprocess.run(
            ["pgrep", "-f", f"grader.nbgrader_backend {out}"], capture_output=True, text=True).stdout.split()]
        return next((p for p in found if grading_sandbox(p)), None)

    wait_for(grading_worker).kill()
    _, stderr = run.communicate(timeout=600)
    assert run.returncode == 0, stderr
    assert_graded_once_each(out)
    logs = "".join(p.read_text() for p in (out / ".nbgrader" / "logs").glob("*.log"))
    assert logs.count("grading ") == len(SMALL) + 1  # the killed notebook was started twice
