"""A control group per sandbox: one limit on the memory, the processes and the CPU of the whole notebook.

prlimit limits each process on its own: a notebook that forks ten children, each just under the
per-process memory limit, would still take the machine's memory, and the other notebooks' and the
grader's with it. A control group counts the sandbox as a whole: past its memory limit the kernel's
out-of-memory killer stops a process of that group only, and the group lists every process the
notebook started, for the kill. Where the ``cpu`` controller is there too, the group also gets a CPU
quota (one core by default): a notebook that starts hundreds of spinning processes gets its share of
the machine and no more, and the notebooks graded beside it keep theirs.

Both layouts are supported: cgroup v1 (one hierarchy per controller, as in many containers) and the
unified v2 hierarchy. Creating groups needs root or a delegated hierarchy; where that fails,
:meth:`Cgroup.create` returns None and the sandbox runs under prlimit's limits alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CONTROLLERS = frozenset({"memory", "pids"})  # needed: without both, no group at all
OPTIONAL = frozenset({"cpu"})  # used where available: the CPU quota
CPU_PERIOD_US = 100_000  # the quota is counted per 0.1 s
STALE_SECONDS = 3600  # an empty group this old was left by a grading run that was killed
V2_PARENT = "rnn-course-grader"  # v2: groups may not hold processes and children, so ours live apart
# Writes the shell's own pid (bubblewrap's, after exec) into each cgroup.procs before the sandbox
# starts: everything the notebook starts is born inside.
ENTER = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


@dataclass(frozen=True)
class Hierarchy:
    base: Path  # the folder in which the sandboxes' groups are made
    version: int
    controllers: frozenset[str]


def own_groups(proc_cgroup: str) -> dict[str, str]:
    """A process's group per controller, from /proc/PID/cgroup ('' is the v2 hierarchy)."""
    groups = {}
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            groups[controller] = path
    return groups


@cache
def hierarchies() -> tuple[Hierarchy, ...]:
    """Where this process can make groups for memory and pids (and cpu); () when it cannot."""
    try:
        return find_hierarchies(Path("/proc/self/cgroup").read_text(), Path("/proc/self/mountinfo").read_text())
    except OSError:
        return ()


def find_hierarchies(proc_cgroup: str, mountinfo: str) -> tuple[Hierarchy, ...]:
    """The hierarchies that hold memory and pids (and cpu, if there is one), v1 ones first; () unless
    both memory and pids are found."""
    groups = own_groups(proc_cgroup)
    mounts = [line.split() for line in mountinfo.splitlines()]
    found, covered, wanted = [], set(), CONTROLLERS | OPTIONAL
    for fields in sorted(mounts, key=lambda f: f[f.index("-") + 1] != "cgroup"):  # v1 first
        fstype, options = fields[fields.index("-") + 1], fields[-1].split(",")
        root, point = fields[3], Path(fields[4])
        if fstype == "cgroup" and (controllers := (wanted & set(options)) - covered):
            path = groups.get(sorted(controllers)[0], "/")  # the mount shows the tree from `root` down
            inside = path[len(root):] if path.startswith(root) else ""
            found.append(Hierarchy(point / inside.lstrip("/"), 1, frozenset(controllers)))
            covered |= controllers
        elif fstype == "cgroup2" and (controllers := (wanted & v2_controllers(point)) - covered):
            found.append(Hierarchy(point / V2_PARENT, 2, frozenset(controllers)))
            covered |= controllers
    return tuple(found) if CONTROLLERS <= covered else ()


def v2_controllers(point: Path) -> set[str]:
    try:
        return set((point / "cgroup.controllers").read_text().split())
    except OSError:
        return set()


def limit_files(hierarchy: Hierarchy, memory_bytes: int, processes: int,
                cpus: float | None = None) -> dict[str, str]:
    """The files that set the limits, in the order they must be written (``cpus``: cores, None for
    no CPU quota)."""
    files = {}
    if "memory" in hierarchy.controllers:
        files.update({"memory.limit_in_bytes": str(memory_bytes)} if hierarchy.version == 1
                     else {"memory.max": str(memory_bytes)})
    if "pids" in hierarchy.controllers:
        files["pids.max"] = str(processes)
    if "cpu" in hierarchy.controllers and cpus:
        quota = max(1000, round(cpus * CPU_PERIOD_US))  # the kernel refuses quotas under 1 ms
        files.update({"cpu.cfs_period_us": str(CPU_PERIOD_US), "cpu.cfs_quota_us": str(quota)}
                     if hierarchy.version == 1 else {"cpu.max": f"{quota} {CPU_PERIOD_US}"})
    return files


def owner_gone(name: str) -> bool:
    """Whether the process named in ``<prefix>-<pid>-<random>`` (a sandbox's folder or group) is gone."""
    match = re.match(r"^[a-z]+-[a-z]+-(\d+)-", name)
    if match is None:
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def remove_stale(base: Path, prefix: str) -> None:
    """Delete empty groups of killed runs: their owner is gone, or they are old; a group with
    processes cannot be deleted."""
    for folder in base.glob(f"{prefix}-*"):
        with contextlib.suppress(OSError):
            if owner_gone(folder.name) or time.time() - folder.stat().st_mtime > STALE_SECONDS:
                folder.rmdir()


def enable_v2_controllers(hierarchy: Hierarchy) -> Hierarchy:
    """v2: let the groups below our parent use the controllers; the hierarchy without cpu when that
    one cannot be enabled (memory and pids must be)."""
    hierarchy.base.mkdir(exist_ok=True)
    control = hierarchy.base / "cgroup.subtree_control"
    control.write_text(" ".join(f"+{c}" for c in sorted(hierarchy.controllers & CONTROLLERS)))
    if "cpu" in hierarchy.controllers:
        try:
            control.write_text("+cpu")
        except OSError:
            return Hierarchy(hierarchy.base, 2, hierarchy.controllers - {"cpu"})
    return hierarchy


NO_SWAP = {1: ("memory.memsw.limit_in_bytes", "{memory}"), 2: ("memory.swap.max", "0")}


class Cgroup:
    """The group(s) of one sandbox, one folder per hierarchy."""

    def __init__(self, folders: list[Path]):
        self.folders = folders

    @classmethod
    def create(cls, name: str, memory_bytes: int, processes: int, cpus: float | None = None) -> Cgroup | None:
        """The sandbox's groups with their limits set, or None where groups cannot be made here.

        The CPU quota is best effort: where the cpu controller refuses, the notebook still gets its
        memory and process limits."""
        made = cls([])
        try:
            for hierarchy in hierarchies():
                if hierarchy.version == 2:
                    hierarchy = enable_v2_controllers(hierarchy)
                remove_stale(hierarchy.base, prefix=name.rsplit("-", 2)[0])  # rnn-grade-<pid>-<random>
                folder = hierarchy.base / name
                try:
                    folder.mkdir()
                    made.folders.append(folder)
                    for file, value in limit_files(hierarchy, memory_bytes, processes, cpus).items():
                        (folder / file).write_text(value)
                except OSError:
                    if hierarchy.controllers & CONTROLLERS:
                        raise
                    continue  # a cpu-only hierarchy that refuses: no quota, the rest still holds
                if "memory" in hierarchy.controllers:  # no swap to spill into, where swap is accounted
                    file, value = NO_SWAP[hierarchy.version]
                    with contextlib.suppress(OSError):
                        (folder / file).write_text(value.format(memory=memory_bytes))
        except OSError:
            made.remove()
            return None
        return made if made.folders else None

    def enter(self) -> list[str]:
        """A command prefix that moves the command into the groups, then runs it."""
        return ["sh", "-c", ENTER, "sh", *(str(f / "cgroup.procs") for f in self.folders), "--"]

    def members(self) -> set[int]:
        pids = set()
        for folder in self.folders:
            with contextlib.suppress(OSError):
                pids |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return pids

    def memory_file(self, v1: str, v2: str) -> str:
        for folder in self.folders:
            for name in (v1, v2):
                with contextlib.suppress(OSError):
                    return (folder / name).read_text()
        return ""

    def out_of_memory_kills(self) -> int:
        """How many processes the kernel killed for going over the memory limit."""
        for line in self.memory_file("memory.oom_control", "memory.events").splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def cpu_throttled(self) -> int:
        """How many 0.1 s periods the notebook wanted more CPU than its quota (0 without a quota)."""
        for folder in self.folders:
            with contextlib.suppress(OSError):
                for line in (folder / "cpu.stat").read_text().splitlines():
                    if line.startswith("nr_throttled "):
                        return int(line.split()[1])
        return 0

    def peak_memory(self) -> int | None:
        """The most memory the group held at once, in bytes (None where the kernel does not say)."""
        text = self.memory_file("memory.max_usage_in_bytes", "memory.peak").strip()
        return int(text) if text.isdigit() else None

    def remove(self, timeout: float = 60) -> None:
        """Delete the groups once their processes are killed (busy until the last one is reaped)."""
        deadline = time.monotonic() + timeout
        for folder in self.folders:
            while folder.exists():
                try:
                    folder.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
        self.folders = []
