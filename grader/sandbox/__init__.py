"""Running a student's notebook where it can do no harm, and where it cannot fake its grade.

Each submission gets a :class:`Sandbox`: a bubblewrap container (Linux namespaces) in which the
notebook's kernel runs

- with no network, a private process tree and its own user;
- seeing only the system, Python, the student-side library (``grader.visible``, the check client,
  ``data``) and its own in-memory home directory: the course checkout, solutions, references,
  gradebooks and other students' files are not there at all;
- with a clean environment (nothing says it is being graded);
- under limits on memory, processes, CPU time, file size and open files: per process with
  ``prlimit``, and on the memory, processes and CPU share of the whole notebook with a control group
  (:mod:`grader.sandbox.cgroup`) where the grader may make one (as root);
- killed, with everything it started, when its notebook is done or over time.

The hidden checks talk to the trusted judge (:mod:`grader.sandbox.judge`) through one Unix socket.
Without bubblewrap the grader refuses to run unless the instructor passes ``--unsafe``; the kernel
then runs as a plain process with the same clean environment, library and limits, but no isolation.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .cgroup import STALE_SECONDS, Cgroup, owner_gone

GRADER = Path(__file__).resolve().parent.parent
ROOT = GRADER.parent
HOME_INSIDE = "/home/student"
LIBRARY_INSIDE = "/opt/rnn-course"
LIBRARY_ZIP_INSIDE = f"{LIBRARY_INSIDE}/library.zip"  # the library, copied into the sandbox
START_INSIDE = "/.start"  # the script that starts the kernel inside the sandbox
UID_BASE = 100_000  # see new_sandbox_uid; no account needs to exist
MiB, GiB = 2**20, 2**30
FOLDER_PREFIX = "rnn-grade"  # a sandbox's host folder and control group: rnn-grade-<grader pid>-<random>


@dataclass(frozen=True)
class Limits:
    """What one notebook may use. ``memory_bytes`` and CPU seconds are per process (prlimit);
    ``notebook_memory_bytes`` and ``cpus`` count all the notebook's processes together (a control group).

    The last four bound what a submission may cost the trusted side, outside the sandbox: the size
    and cell count of a submitted notebook (checked before it is graded), and the memory and time of
    rendering its feedback page (in a child process of the worker).
    """

    memory_bytes: int = 8 * GiB  # address space per process (TensorFlow reserves a lot it never touches)
    notebook_memory_bytes: int = 4 * GiB  # memory in use by all the notebook's processes (cgroup)
    processes: int = 1024  # processes and threads of the sandbox (its user's, and its cgroup's)
    file_bytes: int = 256 * MiB  # largest file it may write
    cpu_seconds: int = 1800
    open_files: int = 4096
    home_bytes: int = 1 * GiB  # in-memory home directory and /tmp, each
    cell_seconds: int = 120  # wall clock per cell
    notebook_seconds: int = 1200  # wall clock for the whole notebook
    output_bytes: int = 16 * MiB  # notebook output kept, every kind counted; the rest is dropped with a note
    submission_bytes: int = 32 * MiB  # largest notebook file accepted
    cells: int = 2000  # most cells a notebook may have
    feedback_memory_bytes: int = 2 * GiB  # memory for rendering one feedback page, beyond the worker's own
    feedback_seconds: int = 120  # wall clock for rendering one feedback page
    cpus: float = 1.0  # cores all the notebook's processes may keep busy together (cgroup CPU quota)

    def prlimit(self) -> list[str]:
        return ["prlimit", f"--as={self.memory_bytes}", f"--nproc={self.processes}",
                f"--fsize={self.file_bytes}", f"--cpu={self.cpu_seconds}", f"--nofile={self.open_files}",
                "--core=0", "--"]


_sandboxes_made = itertools.count()


def new_sandbox_uid() -> int:
    """The kernel's user when the grader runs as root: a new one for each sandbox.

    Linux counts the process limit per user, so no two notebooks may share a user, whether graded
    at the same time or one after the other: one notebook's fork bomb, or its remains while they
    die, would starve the other. Process ids (below 2**22) are unique among running processes, and
    a grading process runs one sandbox at a time, each gone before the next starts (Sandbox.kill).
    """
    return UID_BASE + (os.getpid() << 8) + next(_sandboxes_made) % 256


def inner_namespace(pid: int) -> str | None:
    """The pid namespace of bubblewrap's child (the sandbox's init), e.g. 'pid:[4026532301]'."""
    try:
        child = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0]
        return os.readlink(f"/proc/{child}/ns/pid")
    except (OSError, IndexError):
        return None


def survivors(namespaces: set[str], uid: int | None) -> list[int]:
    """Processes still in one of ``namespaces``, or (when not None) still running as ``uid``."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if uid is not None and real_uid(entry.name) == uid:
                found.append(int(entry.name))
            elif namespaces and os.readlink(f"/proc/{entry.name}/ns/pid") in namespaces:
                found.append(int(entry.name))
        except OSError:  # gone meanwhile
            continue
    return found


def real_uid(pid: str) -> int:
    """The real user of a process (its /proc folder's owner can be root: see PR_SET_DUMPABLE)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return -1


class SandboxUnavailable(RuntimeError):
    """No working bubblewrap: the message says how to get one, or how to grade without it."""


@cache
def bubblewrap() -> str | None:
    """The path of a bubblewrap that can create namespaces here, or None."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    probe = subprocess.run([path, "--unshare-all", "--ro-bind", "/", "/", "--die-with-parent", "true"],
                           capture_output=True, timeout=30)
    return path if probe.returncode == 0 else None


def require_sandbox(unsafe: bool) -> None:
    """Raise SandboxUnavailable unless bubblewrap works here or the instructor chose ``--unsafe``."""
    if unsafe or bubblewrap():
        return
    why = ("bubblewrap (bwrap) is not installed" if shutil.which("bwrap") is None
           else "bubblewrap is installed but cannot create namespaces here (user namespaces disabled?)")
    raise SandboxUnavailable(
        f"Refusing to grade: {why}, so student code would run with your rights and could read the "
        "solutions and rewrite grades. Install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: "
        "dnf install bubblewrap), or pass --unsafe to grade without a sandbox at your own risk.")


def build_library(dest: Path, judge_socket: str) -> None:
    """The Python packages a graded notebook may import: no reference solution among them."""
    files = {
        "grader/__init__.py": None,
        "grader/visible.py": GRADER / "visible.py",
        "grader/wire.py": GRADER / "wire.py",
        "grader/checks/__init__.py": GRADER / "sandbox" / "client.py",
        "grader/checks/framework.py": GRADER / "checks" / "framework.py",
        "grader/sandbox/__init__.py": None,
        "grader/sandbox/protocol.py": GRADER / "sandbox" / "protocol.py",
    }
    for relative, source in files.items():
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("" if source is None else source.read_text())
    (dest / "grader" / "checks" / "_judge.py").write_text(f"JUDGE_SOCKET = {judge_socket!r}\n")
    shutil.copytree(ROOT / "data", dest / "data", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in [dest, *dest.rglob("*")]:  # readable by the sandbox's user, whatever the umask
        path.chmod(0o755 if path.is_dir() else 0o644)


def new_sandbox_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}-{os.getpid()}-"))


def remove_stale_folders(base: Path | None = None) -> list[Path]:
    """Delete the sandbox folders of grading processes that are gone (a run that was killed).

    A folder names the process that made it; one of an older grader, without that name, goes when it
    is an hour old. Returns what was removed.
    """
    removed = []
    for folder in Path(base or tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}-*"):
        try:
            named = re.match(rf"^{FOLDER_PREFIX}-\d+-", folder.name) is not None
            if owner_gone(folder.name) or (not named and time.time() - folder.lstat().st_mtime > STALE_SECONDS):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except OSError:
            continue
    return removed


def zip_folder(folder: Path, archive: Path) -> None:
    """``folder``'s files in an uncompressed zip, which Python imports from (zipimport)."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(folder).as_posix())


@dataclass
class Sandbox:
    """The sandbox of one notebook: its folders on the host, how to start its kernel, how to stop it."""

    limits: Limits = field(default_factory=Limits)
    isolated: bool = True  # False: --unsafe, a plain process
    root: Path = field(default_factory=new_sandbox_folder)
    processes: list = field(default_factory=list)

    def __post_init__(self):
        # the kernel's own user when the grader runs as root (None: it keeps the grader's user)
        self.uid = new_sandbox_uid() if self.isolated and os.geteuid() == 0 and bubblewrap() else None
        self.cgroup = Cgroup.create(self.root.name, self.limits.notebook_memory_bytes, self.limits.processes,
                                    self.limits.cpus)
        self.kill_lock = threading.RLock()  # the watchdog may kill while the grader does, or a signal handler
        self.runtime = self.root / "kernel"  # connection file and the kernel's sockets
        self.judge_dir = self.root / "judge"
        self.library = self.root / "library"
        self.home = self.root / "home"  # the kernel's working directory without isolation
        for folder in (self.runtime, self.judge_dir, self.library, self.home):
            folder.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        for folder in (self.runtime, self.home):
            self.give(folder)
        build_library(self.library, self.judge_socket_inside)
        self.library_zip = self.root / "library.zip"
        zip_folder(self.library, self.library_zip)

    def give(self, path: Path) -> None:
        """Let the kernel's user own ``path`` on the host (when the grader runs as root)."""
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)

    @property
    def judge_socket(self) -> Path:
        return self.judge_dir / "judge.sock"

    @property
    def judge_socket_inside(self) -> str:
        return os.path.join(os.path.realpath(self.judge_dir), "judge.sock")  # the same path inside

    def env(self) -> dict[str, str]:
        """The kernel's whole environment: nothing from the grader's, nothing that says 'graded'."""
        venv_bin = str(Path(sys.executable).parent)
        return {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": HOME_INSIDE if self.isolated else str(self.home),
            "PYTHONPATH": LIBRARY_ZIP_INSIDE if self.isolated else str(self.library),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
            "LANG": "C.UTF-8",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }

    def wrap(self, argv: list[str], quiet: bool = True) -> list[str]:
        """The command that starts ``argv`` (the kernel) inside the sandbox, under the limits."""
        # stdout and stderr of the kernel process itself go nowhere: the notebook's output travels
        # on the kernel's sockets, where the grader caps it. (quiet=False keeps them, for tests.)
        quiet = ["sh", "-c", 'exec "$@" </dev/null >/dev/null 2>&1' if quiet else 'exec "$@"', "sh"]
        limited = [*quiet, *(self.limits.prlimit() if shutil.which("prlimit") else []), *argv]
        enter = self.cgroup.enter() if self.cgroup else []
        if not self.isolated:
            return [*enter, *limited]
        drop = []
        if self.uid is not None:
            drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--"]
        # bubblewrap reads its options from a file, and the command it starts from a script copied
        # into the sandbox: its own command line (the sandbox's pid 1, which the notebook can read)
        # then shows no host path, mount, variable or limit.
        options, start = self.root / "bwrap.args", self.root / "start.sh"
        options.write_bytes(b"".join(a.encode() + b"\0" for a in [
            *self.bwrap_arguments(), "--perms", "0444", "--file", "4", START_INSIDE]))
        start.write_text("exec " + shlex.join([*drop, *limited]) + "\n")
        return [*enter, "sh", "-c", f'exec "$0" --args 3 -- /bin/sh {START_INSIDE} 3<"$1" 4<"$2" 5<"$3"',
                bubblewrap(), str(options), str(start), str(self.library_zip)]

    def bwrap_arguments(self) -> list[str]:
        args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--hostname", "sandbox", "--die-with-parent", "--new-session", "--clearenv"]
        if self.uid is not None:
            # A user namespace would map the sandbox's user to root outside, which the kernel exempts
            # from the process limit. Keep the mounts root's, and run the kernel as self.uid.
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            args += ["--unshare-user", "--uid", "1000", "--gid", "1000"]  # a user namespace of its own
        for name, value in self.env().items():
            args += ["--setenv", name, value]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/usr", "/etc"):
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        # the tmpfs first: Python or the venv may live below /tmp, and their mounts must stay on top
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(self.limits.home_bytes), "--tmpfs", "/tmp",
                 *self.parents(HOME_INSIDE),
                 "--perms", "0777", "--size", str(self.limits.home_bytes), "--tmpfs", HOME_INSIDE]
        # Every host folder is mounted at its own path (a link stands for any other name it has), so
        # that /proc/self/mountinfo shows no host path the notebook could not see anyway; the library
        # is copied in (--file), not mounted.
        for prefix in sorted({sys.base_prefix, sys.prefix}):
            args += self.same_path(Path(prefix), "--ro-bind")
        args += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu",
                 *self.parents(LIBRARY_ZIP_INSIDE), "--perms", "0444", "--file", "5", LIBRARY_ZIP_INSIDE,
                 *self.same_path(self.judge_dir, "--ro-bind"), *self.same_path(self.runtime, "--bind")]
        keras_cache = Path.home() / ".keras" / "datasets"
        if keras_cache.is_dir():  # data sets downloaded before: read-only, there is no network
            inside = f"{HOME_INSIDE}/.keras/datasets"
            args += [*self.same_path(keras_cache, "--ro-bind"), *self.parents(inside)[8:],  # below the home tmpfs
                     "--symlink", os.path.realpath(keras_cache), inside]
        return args + ["--chdir", HOME_INSIDE]

    def same_path(self, folder: Path, bind: str) -> list[str]:
        """Mount ``folder`` at its real path, with a link from the name it was given when that differs."""
        real = os.path.realpath(folder)
        args = [*self.parents(real), bind, real, real]
        if real != str(folder):
            args += [*self.parents(folder), "--symlink", real, str(folder)]
        return args

    @staticmethod
    def parents(path) -> list[str]:
        """Create the folders above a mount point traversable (bubblewrap would copy /root's 0700)."""
        args = []
        for parent in reversed(Path(path).parents[:-1]):
            if str(parent) != "/tmp":  # already a tmpfs of its own
                args += ["--perms", "0755", "--dir", str(parent)]
        return args

    @property
    def host_cwd(self) -> Path:
        return self.runtime if self.isolated else self.home

    def kill(self, timeout: float = 60) -> None:
        """Stop the kernel and everything it started, and return only once all of it is gone.

        Killing bubblewrap takes its pid namespace down with it, but Linux reaps the processes
        inside asynchronously: a fork bomb's thousand processes can take seconds under load, and
        while they last they hold memory and count against their user's process limit (which the
        next notebook shares when the grader is not root). So wait for them, killing any that linger.
        """
        with self.kill_lock:
            self._kill(timeout)

    def _kill(self, timeout: float) -> None:
        namespaces = {ns for process in self.processes if (ns := inner_namespace(process.pid))}
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)  # bubblewrap leads its own process group
                except (ProcessLookupError, PermissionError):
                    process.kill()
                # with a timeout, Popen.wait never blocks on its internal lock, which the code this
                # kill interrupted (a signal handler's clean-up) may hold
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=5)
        deadline = time.monotonic() + timeout
        while (left := self.left_alive(namespaces)) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    def left_alive(self, namespaces: set[str]) -> set[int]:
        """The sandbox's processes still alive: in its pid namespaces, under its user, in its cgroup."""
        left = set(survivors(namespaces, self.uid)) if self.isolated else set()
        return left | (self.cgroup.members() if self.cgroup else set())

    def ran_out_of_memory(self) -> bool:
        """Whether the kernel killed one of the notebook's processes for going over its memory."""
        return bool(self.cgroup and self.cgroup.out_of_memory_kills())

    def remove(self) -> None:
        self.kill()
        if self.cgroup:
            self.cgroup.remove()
        shutil.rmtree(self.root, ignore_errors=True)
