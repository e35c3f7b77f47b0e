"""The sandbox on its own: what student code inside it can see, reach and use.

Each test runs a short Python program through ``Sandbox.wrap``, as the grader starts a kernel.
They need bubblewrap (``.ci/run`` installs it); without it they fail rather than skip, because a
grader that cannot sandbox must not look tested.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.paths import ROOT
from grader.sandbox import Limits, Sandbox, SandboxUnavailable, bubblewrap, require_sandbox


@pytest.fixture
def sandbox():
    box = Sandbox(limits=Limits(memory_bytes=2 * 2**30, notebook_memory_bytes=2**30, processes=64,
                                file_bytes=2**20, cpu_seconds=20))
    yield box
    box.remove()


def run_inside(box: Sandbox, code: str, timeout: float = 60) -> dict:
    """Run ``code`` in the sandbox; it must print one JSON line, which is returned."""
    command = box.wrap([sys.executable, "-c", code], quiet=False)  # keep the stdout the kernel's drops
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    box.processes.append(process)
    out, err = process.communicate(timeout=timeout)
    assert out.strip(), err
    return json.loads(out.strip().splitlines()[-1])


def test_bubblewrap_is_installed_and_works():
    assert bubblewrap(), "install bubblewrap (apt-get install bubblewrap): the grader refuses to run without it"


def test_the_course_and_the_grader_are_not_there(sandbox, tmp_path):
    other = Sandbox()  # another student's sandbox, at the same time
    secret = tmp_path / "gradebook.db"
    secret.write_text("grades")
    paths = [ROOT / "solutions", ROOT / "grader" / "checks" / "rnn_forward.py", ROOT / "examples", secret,
             other.root, other.judge_dir, Path.home() / ".ssh", sandbox.root / "library"]
    names = [str(p) for p in paths]
    seen = run_inside(sandbox, f"import json, os; print(json.dumps([os.path.exists(p) for p in {names!r}]))")
    other.remove()
    assert not any(seen), dict(zip(map(str, paths), seen))


def test_the_library_has_no_reference_solution(sandbox):
    found = run_inside(sandbox, """
import json, os, importlib.util, zipfile
names = ["grader.checks.rnn_forward", "grader.checks.lstm_backward", "grader.checks.keras_comparison",
         "grader.grading", "grader.nbgrader_backend"]
library = zipfile.ZipFile("/opt/rnn-course/library.zip")
files = library.namelist() + [os.path.join(d, f) for d, _, fs in os.walk("/opt/rnn-course") for f in fs]
print(json.dumps({"modules": [importlib.util.find_spec(n) is not None for n in names],
                  "files": files, "refs": [f for f in library.namelist() if b"ref_" in library.read(f)]}))""")
    assert not any(found["modules"])
    assert found["refs"] == []
    assert any(f.endswith("grader/checks/__init__.py") for f in found["files"])


def test_only_scratch_space_is_writable(sandbox):
    result = run_inside(sandbox, """
import json, os
def writable(path):
    try:
        with open(os.path.join(path, "probe"), "w") as f: f.write("x")
        return True
    except OSError:
        return False
print(json.dumps({p: writable(p) for p in ["/home/student", "/tmp", "/opt/rnn-course", %r,
                                           "/usr", "/etc", %r]}))""" % (str(sandbox.judge_dir), sys.prefix))
    assert result == {"/home/student": True, "/tmp": True, "/opt/rnn-course": False, str(sandbox.judge_dir): False,
                      "/usr": False, "/etc": False, sys.prefix: False}


def test_no_network(sandbox):
    result = run_inside(sandbox, """
import json, socket
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3)
    reached = True
except OSError:
    reached = False
print(json.dumps({"reached": reached, "interfaces": [name for _, name in socket.if_nameindex()]}))""")
    assert result == {"reached": False, "interfaces": ["lo"]}


def test_the_environment_says_nothing_about_grading(sandbox):
    env = run_inside(sandbox, "import json, os; print(json.dumps(dict(os.environ)))")
    assert not [k for k in env if k.startswith(("NBGRADER", "RNN_COURSE", "JPY", "PYTEST"))]
    assert env["HOME"] == "/home/student" and env["PYTHONPATH"] == "/opt/rnn-course/library.zip"


def test_limits_apply(sandbox):
    result = run_inside(sandbox, """
import json, os, time
out = {}
try:
    bytearray(3 * 2**30)
    out["memory"] = "allocated"
except MemoryError:
    out["memory"] = "refused"
children = 0
try:
    for _ in range(500):
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)
        children += 1
except OSError:
    pass
out["children"] = children
try:
    with open("/tmp/big", "wb") as f:
        f.write(b"x" * (4 * 2**20))
    out["file"] = "written"
except OSError:
    out["file"] = "refused"
print(json.dumps(out))""")
    assert result["memory"] == "refused" and result["file"] == "refused"
    assert result["children"] < 64


def test_the_notebook_shares_one_memory_limit(sandbox):
    """Four children of 600 MiB each, each under the per-process limit (2 GiB), together over the
    notebook's (1 GiB): they cannot all hold their memory at once."""
    if os.geteuid() != 0:
        pytest.skip("control groups need a grader running as root")
    assert sandbox.cgroup, "running as root, the grader could not make a control group"
    result = run_inside(sandbox, """
import json, os, time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(600 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # write to every page: memory really in use
        time.sleep(3)
        os._exit(0)
    children.append(pid)
held = 0
for pid in children:
    _, status = os.waitpid(pid, 0)
    held += os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
print(json.dumps({"held": held}))""")
    assert result["held"] <= 1
    assert sandbox.ran_out_of_memory()


def test_the_notebook_is_held_to_its_cpu_share():
    """Forty processes spin for 3 s under a quarter of a core: together they get that quarter
    (plus the scheduler's slack), not the machine's cores."""
    if os.geteuid() != 0:
        pytest.skip("control groups need a grader running as root")
    box = Sandbox(limits=Limits(cpus=0.25, processes=256))
    try:
        assert box.cgroup and box.cgroup.cpu_throttled() == 0, "running as root: no control group with a CPU quota"
        result = run_inside(box, """
import json, os, resource, time
start = time.monotonic()
children = []
for _ in range(40):
    pid = os.fork()
    if pid == 0:
        while time.monotonic() - start < 3:
            pass
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"cpu": used.ru_utime + used.ru_stime, "wall": time.monotonic() - start}))""", timeout=120)
        assert result["cpu"] / result["wall"] < 0.25 * 1.6, result
        assert box.cgroup.cpu_throttled() > 0
    finally:
        box.remove()


def test_the_control_group_goes_with_the_sandbox():
    if os.geteuid() != 0:
        pytest.skip("control groups need a grader running as root")
    box = Sandbox()
    folders = list(box.cgroup.folders)
    assert folders and all(folder.is_dir() for folder in folders)
    box.remove()
    assert not any(folder.exists() for folder in folders)


def test_nothing_outlives_the_sandbox(sandbox, tmp_path):
    marker = f"sleeper-{time.time_ns()}"
    run_inside(sandbox, f"""
import json, subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{marker}"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps("spawned"))""")
    sandbox.kill()
    assert running(marker) == []


def test_a_fork_bomb_is_gone_when_kill_returns(sandbox):
    """Leftovers hold memory, and eat the next notebook's process limit when it shares their user."""
    marker = f"bomb-{time.time_ns()}"
    bomb = subprocess.Popen(sandbox.wrap([sys.executable, "-c", "import os\nwhile True:\n    os.fork()", marker]),
                            start_new_session=True)
    sandbox.processes.append(bomb)
    assert wait_for(lambda: len(running(marker)) >= 32), "the bomb never went off"
    sandbox.kill()
    assert running(marker) == []


def test_killing_one_sandbox_leaves_the_next_alone(sandbox):
    """A late kill of a finished notebook (its watchdog firing) must not reach the next kernel."""
    marker = f"next-{time.time_ns()}"
    finished, following = sandbox, Sandbox()
    try:
        sleeper = subprocess.Popen(following.wrap([sys.executable, "-c", "import time; time.sleep(600)", marker]),
                                   start_new_session=True)
        following.processes.append(sleeper)
        assert wait_for(lambda: running(marker))
        finished.kill()
        assert running(marker) and sleeper.poll() is None
    finally:
        following.remove()
    assert running(marker) == []


def running(marker: str) -> list[str]:
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_grading_without_a_sandbox_is_refused_unless_unsafe(monkeypatch):
    import grader.sandbox as sb

    monkeypatch.setattr(sb, "bubblewrap", lambda: None)
    with pytest.raises(SandboxUnavailable, match="--unsafe"):
        require_sandbox(unsafe=False)
    require_sandbox(unsafe=True)  # the instructor's explicit choice


def test_the_sandbox_shows_no_host_path_and_not_its_command_line(sandbox):
    """Before: the sandbox's pid 1 (bubblewrap) showed its whole command line in /proc/1/cmdline
    (every mount, variable and limit), and /proc/self/mountinfo showed the host folders behind the
    mounts (the library at /tmp/rnn-grade-…/library, the judge's folder, the Keras cache)."""
    seen = run_inside(sandbox, """
import json
print(json.dumps({"init": open("/proc/1/cmdline").read().split("\\0"),
                  "mounts": [line.split() for line in open("/proc/self/mountinfo")]}))""")
    init = " ".join(seen["init"])
    for leak in ("--ro-bind", "--setenv", "--tmpfs", "prlimit", "setpriv", str(sandbox.root), "PYTHONPATH"):
        assert leak not in init, init
    for fields in seen["mounts"]:
        root, point, fstype = fields[3], fields[4], fields[fields.index("-") + 1]
        if fstype not in ("tmpfs", "proc", "sysfs", "devtmpfs", "devpts", "mqueue"):
            assert root == point, f"{point} shows the host path {root}"
    assert not any(str(sandbox.library) in " ".join(fields) for fields in seen["mounts"])


def test_stale_sandbox_folders_of_a_stopped_run_are_removed(tmp_path):
    """A grading run that is killed cannot clean up; the next one removes the folders of processes
    that are gone (before: they stayed in /tmp for ever)."""
    from grader.sandbox import FOLDER_PREFIX, remove_stale_folders

    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = tmp_path / f"{FOLDER_PREFIX}-{gone.pid}-abc"
    live = tmp_path / f"{FOLDER_PREFIX}-{os.getpid()}-def"
    for folder in (stale, live):
        (folder / "kernel").mkdir(parents=True)
    assert remove_stale_folders(tmp_path) == [stale]
    assert not stale.exists() and live.exists()
