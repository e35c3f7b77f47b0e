"""Finding where a sandbox's control group can be made, in either cgroup layout."""

import os
import time
from pathlib import Path

from grader.sandbox.cgroup import STALE_SECONDS, V2_PARENT, Hierarchy, find_hierarchies, limit_files, remove_stale

# A container with the v1 controllers each on its own hierarchy, and an empty v2 one beside them.
HYBRID_CGROUP = "9:name=systemd:/\n8:pids:/\n4:memory:/jobs/abc\n1:cpu,cpuacct:/\n0::/\n"
HYBRID_MOUNTS = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime shared:7 - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""


def test_v1_groups_are_made_below_the_graders_own():
    found = find_hierarchies(HYBRID_CGROUP, HYBRID_MOUNTS)
    assert found == (Hierarchy(Path("/sys/fs/cgroup/cpu,cpuacct"), 1, frozenset({"cpu"})),
                     Hierarchy(Path("/sys/fs/cgroup/memory/jobs/abc"), 1, frozenset({"memory"})),
                     Hierarchy(Path("/sys/fs/cgroup/pids"), 1, frozenset({"pids"})))


def test_the_cpu_controller_is_optional():
    mounts = "\n".join(line for line in HYBRID_MOUNTS.splitlines() if "cpu" not in line)
    found = find_hierarchies(HYBRID_CGROUP, mounts)
    assert [h.controllers for h in found] == [frozenset({"memory"}), frozenset({"pids"})]


def test_a_v1_mount_of_a_subtree_is_followed_from_its_root():
    mounts = ("35 31 0:32 /jobs /cg/memory rw - cgroup cgroup rw,memory\n"
              "39 31 0:36 / /cg/pids rw - cgroup cgroup rw,pids\n")
    found = find_hierarchies(HYBRID_CGROUP, mounts)
    assert found[0].base == Path("/cg/memory/abc")


def test_v2_groups_are_made_apart_from_any_process(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids rdma\n")
    mounts = f"25 1 0:23 / {tmp_path} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
    found = find_hierarchies("0::/user.slice/user-1000.slice/session-2.scope\n", mounts)
    assert found == (Hierarchy(tmp_path / V2_PARENT, 2, frozenset({"cpu", "memory", "pids"})),)


def test_no_groups_without_both_controllers(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpu io\n")
    mounts = (f"25 1 0:23 / {tmp_path} rw - cgroup2 cgroup2 rw\n"
              "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n")
    assert find_hierarchies("4:memory:/\n0::/\n", mounts) == ()
    assert find_hierarchies("", "22 1 0:21 / /proc rw - proc proc rw\n") == ()


def test_limits_are_written_in_each_layouts_files():
    v1 = limit_files(Hierarchy(Path("/m"), 1, frozenset({"memory"})), 2**30, 64)
    v2 = limit_files(Hierarchy(Path("/u"), 2, frozenset({"memory", "pids"})), 2**30, 64)
    assert v1 == {"memory.limit_in_bytes": str(2**30)}
    assert v2 == {"memory.max": str(2**30), "pids.max": "64"}
    assert limit_files(Hierarchy(Path("/c"), 1, frozenset({"cpu"})), 2**30, 64, cpus=1.5) == \
        {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "150000"}
    assert limit_files(Hierarchy(Path("/u"), 2, frozenset({"cpu", "pids"})), 2**30, 64, cpus=0.5) == \
        {"pids.max": "64", "cpu.max": "50000 100000"}


def test_old_empty_groups_of_killed_runs_are_removed(tmp_path):
    old = time.time() - 2 * STALE_SECONDS
    for name in ("rnn-grade-old", "rnn-grade-busy", "other-old", "rnn-grade-new"):
        (tmp_path / name).mkdir()
    (tmp_path / "rnn-grade-busy" / "member").mkdir()  # stands for a group with processes: rmdir fails
    for name in ("rnn-grade-old", "rnn-grade-busy", "other-old"):
        os.utime(tmp_path / name, (old, old))
    remove_stale(tmp_path, "rnn-grade")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other-old", "rnn-grade-busy", "rnn-grade-new"]
