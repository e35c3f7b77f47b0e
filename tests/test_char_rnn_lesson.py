"""What sprint 08's training run teaches, pinned where a test can pin it.

The source must train with early stopping that restores the best weights, clip by global norm, offer
the long run behind a flag, and compact the corpus' whitespace. ``run_figures`` reads the figures the
run prints (best and last epoch, the longest runs of spaces per temperature); the sample class test
applies it to alice's graded notebook, the one run of 08 the suite makes.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from grader.paths import source_notebook

SPRINT = "08_char_rnn"
EPOCHS = re.compile(r"best epoch: (\d+), last epoch: (\d+)")
RUNS = re.compile(r"T = ([\d.]+): longest run of spaces (\d+), of tabs (\d+)")


def code(assignment_id: str = SPRINT) -> list[str]:
    nb = nbformat.read(str(source_notebook(assignment_id)), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def printed(nb) -> str:
    """Everything the code cells of an executed notebook printed."""
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "stream")


def run_figures(nb) -> dict:
    """best_epoch, last_epoch (from 1) and, per temperature, the longest runs (spaces, tabs)."""
    text = printed(nb)
    epochs = EPOCHS.search(text)
    assert epochs, "the notebook did not print its best and last epoch"
    runs = {float(t): (int(s), int(tabs)) for t, s, tabs in RUNS.findall(text)}
    return {"best_epoch": int(epochs.group(1)), "last_epoch": int(epochs.group(2)), "runs": runs}


def test_training_stops_early_and_restores_the_best_weights():
    training = [s for s in code() if "model.fit(" in s]
    assert len(training) == 1
    call = re.search(r"keras\.callbacks\.EarlyStopping\(([^)]*)\)", training[0])
    assert call, "train with keras.callbacks.EarlyStopping"
    assert re.search(r"restore_best_weights\s*=\s*True", call.group(1))
    assert re.search(r"monitor\s*=\s*\"val_loss\"", call.group(1))
    assert re.search(r"callbacks=\[[^\]]*early_stopping", training[0])
    assert "on_epoch_end" in training[0], "a callback prints a sample after every epoch"
    assert "bits per character" in training[0]


def test_clipping_by_global_norm_only():
    source = "\n".join(code())
    assert re.search(r"Adam\([^)]*global_clipnorm=", source)
    assert not re.search(r"(?<!global_)clipnorm=", source)


def test_long_run_flag_is_off_at_the_top_and_the_corpus_is_compacted():
    cells = code()
    first = [line for line in cells[0].splitlines() if line and not line.startswith("%")]
    assert first[0].startswith("LONG_RUN = False")
    assert any(re.search(r"text = compact_whitespace\(source\)", s) for s in cells)
    assert any("LONG_RUN" in s and "CORPUS_CHARS" in s for s in cells)
    assert any("longest_run(" in s and "0.5" in s for s in cells), "the longest runs are measured per temperature"


def test_run_figures_reads_what_the_notebook_prints():
    nb = nbformat.v4.new_notebook()
    output = nbformat.v4.new_output("stream", name="stdout", text=(
        "Epoch 9/40\nbest epoch: 7, last epoch: 9\n"
        "T = 0: longest run of spaces 1, of tabs 3 (no run of more than 8 spaces)\n"
        "T = 0.5: longest run of spaces 12, of tabs 4 (RUNS OF MORE THAN 8 SPACES)\n"))
    nb.cells = [nbformat.v4.new_code_cell("print(...)", outputs=[output])]
    assert run_figures(nb) == {"best_epoch": 7, "last_epoch": 9, "runs": {0.0: (1, 3), 0.5: (12, 4)}}
    with pytest.raises(AssertionError):
        run_figures(nbformat.v4.new_notebook())


@pytest.mark.parametrize("assignment_id", [SPRINT, "09_training_and_inspecting"])
def test_hints_do_not_hand_out_a_solution_line(assignment_id):
    """No line of an answer, nor its expression, appears in the prose or in a visible check (hints
    included)."""
    nb = nbformat.read(str(source_notebook(assignment_id)), as_version=4)
    answers, shown = [], []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            inside = False
            for line in cell.source.splitlines():
                inside = {"### BEGIN SOLUTION": True, "### END SOLUTION": False}.get(line.strip(), inside)
                stripped = line.split("  #")[0].strip()
                value = re.sub(r"^(return\s+|[\w, ]+=\s*)", "", stripped)  # the expression of the line
                answers += [part for part in {stripped, value}
                            if inside and len(part) > 12 and not re.fullmatch(r"[\w, ]+", part)]
        elif cell.cell_type == "markdown" or meta.get("grade"):  # where the hints are
            shown.append(cell.source.split("### BEGIN HIDDEN TESTS")[0])
    assert answers
    text = "\n".join(shown)
    assert [line for line in answers if line in text] == []


def test_the_long_run_bench_switches_on_only_the_flag_and_reads_the_samples():
    """``make bench-long-run`` executes the source notebook with one line changed: the flag."""
    from bench.long_run import sample_at, with_long_run

    before = nbformat.read(str(source_notebook(SPRINT)), as_version=4)
    after = with_long_run(nbformat.read(str(source_notebook(SPRINT)), as_version=4))
    changed = [(a.source, b.source) for a, b in zip(before.cells, after.cells, strict=True) if a.source != b.source]
    assert len(changed) == 1
    old, new = (s.splitlines() for s in changed[0])
    assert [(o, n) for o, n in zip(old, new, strict=True) if o != n] == [
        (line, line.replace("LONG_RUN = False", "LONG_RUN = True")) for line in old if line.startswith("LONG_RUN")]
    with pytest.raises(SystemExit):
        with_long_run(after)  # the flag is on already: nothing to switch

    printed_samples = "=== T = 0.2 ===\nself.x\n\n=== T = 0.5 ===\ndef f():\n\treturn 1\n\n=== T = 1.0 ===\nzz\n"
    assert sample_at(printed_samples, "0.5") == "def f():\n\treturn 1"
    assert sample_at(printed_samples, "1.0") == "zz"
    assert sample_at(printed_samples, "2.0") == "(not printed)"
