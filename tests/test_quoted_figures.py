"""Figures the prose of a notebook quotes come from the run, not from a number typed in once.

Where a sentence depends on a training run (a divergence step, a ranking of models), the notebook's code
prints it from the results, and the markdown around it refers to that output without repeating the
number. These tests keep it so: they scan the markdown for typed figures, and run the code that prints
them where that is cheap.
"""

import contextlib
import io
import re

import nbformat

from grader.paths import source_notebook


def cells(assignment_id):
    return nbformat.read(str(source_notebook(assignment_id)), as_version=4).cells


def markdown(assignment_id):
    return [c.source for c in cells(assignment_id) if c.cell_type == "markdown"]


def run_cells(sources):
    """Run code cells (IPython magics dropped) in one namespace; return the namespace and what they printed."""
    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        for source in sources:
            code = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
            exec(compile(code, "<notebook cell>", "exec"), namespace)
    return namespace, out.getvalue()


# ---------------------------------------------------------------- 06: the divergence step


def test_06_markdown_types_no_divergence_step():
    for text in markdown("06_gradient_clipping"):
        assert not re.search(r"(diverg\w*|blow\w* up|explod\w*)[^.]*\bstep \d+", text), text


def test_06_the_divergence_step_is_printed_from_the_run():
    import matplotlib

    matplotlib.use("Agg")
    nb = cells("06_gradient_clipping")
    needed = [c.source for c in nb if c.cell_type == "code" and (
        c.source.startswith("%matplotlib") or "def loss_and_grads" in c.source
        or c.metadata.get("nbgrader", {}).get("solution") or "runs = {" in c.source)]
    namespace, printed = run_cells(needed)
    losses = namespace["runs"]["no clipping"][0]
    assert len(losses) < 300, "the unclipped run no longer diverges: the prose around it is wrong"
    assert f"Without clipping, the run diverged at step {len(losses)}," in printed


# ---------------------------------------------------------------- 05: the experiment's diagnoses


def test_05_markdown_quotes_no_loss_of_the_experiment():
    """The text after the over- and underfitting experiment reads the printed ratios; it types none."""
    texts = markdown("05_parameter_counting")
    start = next(i for i, t in enumerate(texts) if t.startswith("## An experiment"))
    end = next(i for i, t in enumerate(texts) if t.startswith("## Summary"))
    assert end > start + 1
    for text in texts[start + 1:end]:  # what is said after the run
        assert not re.search(r"\b\d\.\d+\b|\d+ ?%", text), text


def test_05_the_too_small_model_has_no_dropout():
    """The underfitting model is small and nothing else: no dropout, the same epochs as the others."""
    source = next(c.source for c in cells("05_parameter_counting") if "candidates = {" in c.source)
    line = next(line for line in source.splitlines() if '"too small' in line)
    assert "dropout" not in line


# ---------------------------------------------------------------- 07: the comparison of the four layers


def comparison_functions():
    source = next(c.source for c in cells("07_keras_comparison") if "def compare(task, results" in c.source)
    import ast

    tree = ast.parse(source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    namespace, _ = run_cells([ast.unparse(ast.Module(body=functions, type_ignores=[]))])
    return namespace["compare"], namespace["slowest"]


def test_07_comparison_sentence_follows_the_results():
    compare, slowest = comparison_functions()
    reber = {"SimpleRNN": (0.83, None), "GRU": (0.61, None), "LSTM": (1.0, 45), "Bidirectional LSTM": (1.0, 30)}
    sentence = compare("Reber", reber, 2, True)
    assert "solved by Bidirectional LSTM (step 30), then LSTM (step 45)" in sentence
    assert "not solved in this run by SimpleRNN and GRU" in sentence
    assert "worst GRU (0.61)" in sentence
    assert set(slowest(reber)) == {"SimpleRNN", "GRU"}
    adding = {"SimpleRNN": (0.02, 240), "GRU": (0.001, 60), "LSTM": (0.002, 90), "Bidirectional LSTM": (0.003, 120)}
    assert "best final value GRU (0.0010), worst SimpleRNN (0.0200)" in compare("adding", adding, 4, False)
    assert slowest(adding) == ["SimpleRNN"]
    tied = {"SimpleRNN": (0.03, 120), "GRU": (0.001, 60), "LSTM": (0.002, 120), "Bidirectional LSTM": (0.003, 90)}
    assert "solved by GRU (step 60), then Bidirectional LSTM (step 90), then SimpleRNN and LSTM (step 120)" in compare(
        "adding", tied, 4, False)
    assert slowest(tied) == ["SimpleRNN", "LSTM"]


def test_07_markdown_ranks_no_layer_by_hand():
    for text in markdown("07_keras_comparison"):
        assert not re.search(r"simple RNN (fails|is the slowest|learns? last)", text), text
