"""Sprint 03's hand-built demonstrations show what their text says: the solved source is run up to them.

The code cells of the source notebook (its solutions included, hidden tests left out) run in this
process with a non-interactive matplotlib, up to the event counter; what the cells print is what the
text describes, so the printout is checked here.
"""

import contextlib
import io
import re

import matplotlib
import nbformat
import numpy as np
import pytest

from grader.lint import BEGIN_HIDDEN
from grader.paths import source_notebook

matplotlib.use("Agg")

ASSIGNMENT = "03_lstm_forward"
LAST_CELL = "T_ev = 48"  # the event counter


@pytest.fixture(scope="module")
def printed():
    import matplotlib.pyplot as plt

    nb = nbformat.read(str(source_notebook(ASSIGNMENT)), as_version=4)
    namespace, out = {}, io.StringIO()
    show = plt.show
    plt.show = lambda *args, **kwargs: plt.close("all")
    try:
        with contextlib.redirect_stdout(out):
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                source = cell.source.split(BEGIN_HIDDEN)[0]
                source = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
                exec(compile(source, f"{ASSIGNMENT} cell {cell.get('id')}", "exec"), namespace)
                if cell.source.startswith(LAST_CELL):
                    break
            else:
                raise AssertionError("the event counter cell was not found")
    finally:
        plt.show = show
        plt.close("all")
    return out.getvalue()


def test_each_latch_write_stores_a_different_value_and_holds_it(printed):
    writes = re.findall(r"write at t = +(\d+): v = ([+-][\d.]+), tanh\(v\) = ([+-][\d.]+); "
                        r"c_t for t = \d+\.\.\d+ stays between ([+-][\d.]+) and ([+-][\d.]+)", printed)
    assert len(writes) == 3, printed
    stored = [float(w[2]) for w in writes]
    for _, v, target, low, high in writes:
        assert float(target) == pytest.approx(np.tanh(float(v)), abs=1e-3)
        assert float(target) - 0.01 <= float(low) <= float(high) <= float(target) + 0.01
    # every write is visible: the levels differ clearly from each other
    assert min(abs(a - b) for i, a in enumerate(stored) for b in stored[i + 1:]) > 0.3


def test_the_event_counter_reads_the_true_counts(printed):
    reads = re.findall(r"read at t = +\d+: +A: true count (\d+), c/0.25 = ([\d.]+) +B: true count (\d+), "
                       r"c/0.25 = ([\d.]+)", printed)
    assert len(reads) == 4, printed
    for a_true, a_read, b_true, b_read in reads:
        assert float(a_read) == pytest.approx(int(a_true), abs=0.05)
        assert float(b_read) == pytest.approx(int(b_true), abs=0.05)
    assert {int(r[0]) for r in reads} != {0}, "some read must see a non-zero count"
    assert any(int(r[0]) == 0 for r in reads), "one read follows the reset"
    hidden = float(re.search(r"largest \|h_t\| away from the reads: ([\d.]+)", printed).group(1))
    assert hidden < 0.01


def test_the_carousel_is_attributed_to_the_fixed_self_weight_and_the_forget_gate_to_gers():
    nb = nbformat.read(str(source_notebook(ASSIGNMENT)), as_version=4)
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown").replace("\n", " ")
    assert "Gers, Schmidhuber and Cummins (2000)" in text
    assert "fixed weight of 1.0" in text
    assert "carousel\" of the original LSTM paper" not in text
