"""The student distribution: built by `make student`, installed into a clean environment, no answers in it.

The environment is a new virtual environment with the zip's package installed into it by pip. The
student's pinned requirements come from this machine's course environment, reached through a
path file: the tests never download anything. That path adds the course environment's packages
only (its path files are not read), so the checkout's editable `grader` is not importable there,
which a test asserts.
"""

import ast
import filecmp
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from examples.build_sample_class import answers
from grader.lint import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION
from grader.paths import ROOT, assignment_ids, source_notebook
from grader.student_dist import NAME, PACKAGE, SETTINGS, build
from tests.validation import up_to_problems, validate

ASSIGNMENTS = assignment_ids()


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The zip, unpacked as a student would: the folder it holds."""
    tmp = tmp_path_factory.mktemp("student")
    with zipfile.ZipFile(build(tmp / "dist")) as archive:
        names = archive.namelist()
        archive.extractall(tmp / "unpacked")
    assert {name.split("/")[0] for name in names} == {NAME}, "one top folder in the zip"
    return tmp / "unpacked" / NAME


@pytest.fixture(scope="module")
def student_env(dist, tmp_path_factory):
    """(python, environment variables) of a new environment with the student's install in it."""
    venv = tmp_path_factory.mktemp("student-venv") / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    site = Path(run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                    ).strip())
    # the course environment's packages (pip among them), without running its path files
    (site / "course-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
    env |= {"JUPYTER_CONFIG_DIR": str(venv / "user-config"), "HOME": str(venv)}  # no personal settings
    course_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *(p for p in env["PATH"].split(os.pathsep)
                                                        if Path(p).resolve() != Path(course_bin).resolve())])
    run([python, "-m", "pip", "install", "--no-index", "--no-build-isolation", "--disable-pip-version-check",
         "-q", "-r", "requirements.txt", "."], cwd=dist, env=env)
    return python, env


def test_the_zip_holds_the_release_the_package_and_the_settings(dist):
    files = sorted(str(p.relative_to(dist)) for p in dist.rglob("*") if p.is_file())
    notebooks = [f"notebooks/{a}/{a}.ipynb" for a in ASSIGNMENTS]
    diagrams = [str(p.relative_to(ROOT)) for a in ASSIGNMENTS for p in (ROOT / "notebooks" / a).glob("diagrams/*.svg")]
    assert diagrams, "the release shows diagrams"
    assert files == sorted([*PACKAGE, *SETTINGS, *notebooks, *diagrams])
    for name in notebooks + diagrams:
        assert filecmp.cmp(dist / name, ROOT / name, shallow=False), f"{name} differs from the release"


def code_of(path: Path) -> list[str]:
    """The Python code in a file: a module, or the code cells of a notebook (magics dropped)."""
    if path.suffix != ".ipynb":
        return [path.read_text()] if path.suffix == ".py" else []
    nb = nbformat.read(str(path), as_version=4)
    return ["\n".join(line for line in c.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            for c in nb.cells if c.cell_type == "code"]


def function_bodies(source: str, prefix: str = "") -> set[str]:
    """Every function's body, docstring left out, in a normal form (so reformatting hides nothing)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    bodies = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(prefix):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            if body:
                bodies.add(ast.unparse(ast.Module(body=body, type_ignores=[])))
    return bodies


def reference_bodies() -> dict[str, str]:
    """Normal form of each reference implementation's body -> its name."""
    return {body: f"{path.name}: {name}"
            for path in sorted((ROOT / "grader" / "checks").glob("*.py"))
            for name in re.findall(r"^def (ref_\w+)", path.read_text(), re.M)
            for body in function_bodies(path.read_text(), name) if body}


def regions(source: str) -> tuple[set[str], set[str]]:
    """Substantive lines inside solution or hidden-test regions, and the lines outside them."""
    inside, outside, hidden = set(), set(), False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            hidden = True
        elif stripped in (END_SOLUTION, END_HIDDEN):
            hidden = False
        elif hidden and len(stripped) > 12 and not stripped.startswith("#"):
            inside.add(stripped)
        else:
            outside.add(stripped)
    return inside, outside


def secret_lines(assignment_id: str) -> set[str]:
    """Lines that only the solution regions and hidden tests of a sprint's source contain."""
    nb = nbformat.read(str(source_notebook(assignment_id)), as_version=4)
    inside, outside = regions("\n".join(c.source for c in nb.cells))
    return inside - outside


def test_nothing_in_it_reveals_an_answer(dist):
    references = reference_bodies()
    assert len(references) >= 40, "every problem has a reference implementation to look for"
    secrets = {a: secret_lines(a) for a in ASSIGNMENTS}
    every_secret = set().union(*secrets.values())
    files = [p for p in dist.rglob("*") if p.is_file()]
    for path in files:
        relative = str(path.relative_to(dist))
        text = path.read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "grader.checks", "check("):
            assert marker not in text, f"{relative} contains {marker!r}"
        sprint = relative.split("/")[1] if relative.startswith("notebooks/") else None
        lines = {line.strip() for line in text.splitlines()}
        if relative.endswith(".ipynb"):
            lines = {line.strip() for code in code_of(path) for line in code.splitlines()}
        leaked = lines & (secrets[sprint] if sprint else every_secret)
        assert not leaked, f"solution lines in {relative}: {sorted(leaked)[:3]}"
        copied = [references[b] for code in code_of(path) for b in function_bodies(code) if b in references]
        assert not copied, f"{relative} holds the reference implementation of {copied}"
    assert not [p for p in files if "checks" in p.parts or "solutions" in p.parts]


def test_the_course_grader_is_not_importable_there(student_env, tmp_path):
    python, env = student_env
    probe = ("import importlib.util, sys, grader, grader.visible, data.synthetic\n"
             "print(grader.__file__)\n"
             "print([m for m in ('grader.checks', 'grader.sandbox', 'grader.grading', 'grader.selfcheck')"
             " if importlib.util.find_spec(m)])\n")
    out = run([python, "-c", probe], cwd=tmp_path, env=env).splitlines()
    assert out[0].startswith(str(Path(python).parent.parent)), f"grader comes from {out[0]}"
    assert out[1] == "[]", f"importable in the student environment: {out[1]}"


def test_the_student_settings_hide_the_instructor_tools(student_env, tmp_path):
    python, env = student_env
    command = [python, "-m", "jupyter_server.extension.serverextension", "list"]
    listed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    listed = re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)
    assert f"Config dir: {Path(python).parent.parent / 'etc' / 'jupyter'}" in listed, listed
    for extension in ("formgrader", "assignment_list", "course_list"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension} .*disabled", listed), listed
    assert re.search(r"nbgrader\.server_extensions\.validate_assignment .*enabled", listed), listed
    prefix = Path(python).parent.parent
    assert "@jupyter/nbgrader:formgrader" in (prefix / "etc/jupyter/labconfig/page_config.json").read_text()


def test_every_solved_notebook_passes_validate_there(dist, student_env, tmp_path):
    """Each release notebook, answers filled in, runs in the student environment and passes Validate.

    With ``validate_all``, every other cell must also run without an error and without a line on
    stderr: TensorFlow stays quiet.
    """
    python, env = student_env
    paths = []
    for assignment_id in ASSIGNMENTS:
        nb = nbformat.read(str(dist / "notebooks" / assignment_id / f"{assignment_id}.ipynb"), as_version=4)
        solved = answers(assignment_id)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = solved[cell.metadata["nbgrader"]["grade_id"]]
        path = tmp_path / assignment_id / f"{assignment_id}.ipynb"
        path.parent.mkdir()
        nbformat.write(up_to_problems(assignment_id, nb), str(path))
        paths.append(path)
    reports = validate(paths, python, "--Validator.validate_all=True", env=env)
    for assignment_id, report in zip(ASSIGNMENTS, reports):
        assert report["passed"], f"{assignment_id}:\n{report['text']}"



def pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return dict(line.split("==") for line in lines if "==" in line)


def test_the_students_requirements_pin_the_courses_versions():
    student = pins(ROOT / "student" / "requirements.txt")
    assert student.items() <= pins(ROOT / "requirements.txt").items()
    assert {"nbgrader", "jupyterlab", "ipykernel", "numpy", "matplotlib", "tensorflow-cpu", "keras"} <= student.keys()


def test_a_zip_up_to_a_sprint_holds_no_later_sprint(tmp_path):
    from grader.paths import NOTEBOOKS, assignment_ids

    sprints = assignment_ids(NOTEBOOKS)
    with zipfile.ZipFile(build(tmp_path, up_to=sprints[1])) as archive:
        held = {name.split("/")[2] for name in archive.namelist() if name.startswith(f"{NAME}/notebooks/")}
    assert held == set(sprints[:2])
    with pytest.raises(ValueError, match="no sprint"):
        build(tmp_path, up_to="99_nothing")
