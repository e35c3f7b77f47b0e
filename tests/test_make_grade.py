"""`make grade` on a machine without bubblewrap, where it cannot install it: it names the one command."""

import os
import shutil
import subprocess

import pytest

from grader.paths import ROOT


def test_make_grade_stops_with_the_one_command_to_run(tmp_path):
    tools = tmp_path / "bin"  # a PATH with a package manager but neither bwrap nor sudo
    tools.mkdir()
    for tool in ("sh", "id", "apt-get", "make"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed here")
        (tools / tool).symlink_to(shutil.which(tool))
    as_user = []
    if os.geteuid() == 0:  # root would install bubblewrap: run as an unprivileged user instead
        as_user = [shutil.which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups"]
    result = subprocess.run([*as_user, str(tools / "make"), "-s", "-C", str(ROOT), "sandbox"],
                            env={"PATH": str(tools), "HOME": str(tmp_path)}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "bubblewrap is not installed" in result.stderr
    assert "Run this, then make grade again:  sudo apt-get install -y bubblewrap" in result.stderr
