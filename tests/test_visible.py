"""The visible-check helpers as a student meets them: short messages, and cells that say what to do."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from grader.visible import VisibleCheckFailed, expect_array, uses_your_functions  # noqa: E402


def test_a_failed_check_renders_as_its_message_and_hint():
    with pytest.raises(VisibleCheckFailed) as failure:
        expect_array("h", np.zeros((3, 2)), (2, 3), hint="rows are sequences")
    lines = failure.value._render_traceback_()  # what IPython shows instead of a traceback
    assert lines[0].endswith("Visible check failed:\x1b[0m h has shape (3, 2); expected (2, 3).")
    assert lines[1:] == ["Hint: rows are sequences"]


def rnn_forward(x):
    raise NotImplementedError()


def test_a_cell_using_an_unwritten_function_says_which_and_draws_nothing(capsys):
    figures = plt.get_fignums()
    with uses_your_functions():
        plt.figure()
        rnn_forward(1)
        raise AssertionError("not reached")
    assert "rnn_forward is not implemented yet" in capsys.readouterr().out
    assert plt.get_fignums() == figures, "the half-drawn figure is closed"


def test_a_cell_missing_a_name_from_an_earlier_cell_says_so(capsys):
    with uses_your_functions():
        exec("h_seq + 1", {})  # a top-level NameError, as in a notebook cell
    assert "This cell needs h_seq, which an earlier cell defines" in capsys.readouterr().out


def test_other_errors_are_shown_as_usual():
    with pytest.raises(ValueError):
        with uses_your_functions():
            raise ValueError("a real mistake")
