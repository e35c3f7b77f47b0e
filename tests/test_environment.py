"""environment.yml and the pip requirements name the same packages at the same versions."""

import re

from grader.paths import ROOT


def pins(lines):
    return {m.group(1).lower().replace("_", "-"): m.group(2)
            for m in (re.match(r"^\s*-?\s*([A-Za-z0-9_.-]+)==([^\s#]+)", line) for line in lines) if m}


def test_environment_yml_matches_requirements():
    requirements = pins((ROOT / "requirements.txt").read_text().splitlines())
    yml = (ROOT / "environment.yml").read_text()
    pip_section = yml.split("- pip:", 1)[1].splitlines()
    assert requirements and pins(pip_section) == requirements
    assert re.search(r"^\s*- python=3\.11\s*$", yml, re.M)


def test_constraints_agree_with_requirements():
    requirements = pins((ROOT / "requirements.txt").read_text().splitlines())
    constraints = pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in requirements.items():
        assert constraints.get(name) == version, name


def test_the_pinned_versions_are_the_ones_installed():
    from importlib.metadata import version

    for name, pinned in pins((ROOT / "requirements.txt").read_text().splitlines()).items():
        assert version(name) == pinned, name
