"""Helpers for the visible checks in student notebooks.

Visible checks are sanity checks on one small fixed example: they report coarse to fine (type,
dtype, shape, finiteness, values) with a specific message, and print a tick when all is well.
The grade comes from the hidden checks, which draw fresh random inputs.

A failed check shows its message and hint only: the traceback through these helpers would tell a
student nothing. Cells that use a student's functions after the problems run inside
``uses_your_functions()``, which says what to implement first instead of failing.
"""

from __future__ import annotations

import sys

import numpy as np


class VisibleCheckFailed(AssertionError):
    """A visible check found a problem; the message says what to look at."""

    def _render_traceback_(self) -> list[str]:
        """What IPython (and so Jupyter and nbgrader's Validate) shows instead of a traceback."""
        first, *rest = str(self).splitlines() or [""]
        return ["\x1b[31mVisible check failed:\x1b[0m " + first, *rest]


class uses_your_functions:  # noqa: N801 (used like a statement: `with uses_your_functions():`)
    """Run a cell that uses functions from the problems above; if one is not written yet, say so.

    A NotImplementedError (a function still holds its placeholder) or a NameError at the cell's top
    level (a name that an earlier cell, stopped by an unsolved problem, never defined) ends the cell
    with one line that says what to do, and any figure it had started is dropped. Every other error
    is shown as usual.
    """

    def __enter__(self):
        self._figures = set(_figure_numbers())
        return self

    def __exit__(self, kind, error, tb):
        message = _unsolved_message(kind, error, tb)
        if message is None:
            return False
        pyplot = sys.modules.get("matplotlib.pyplot")
        for number in set(_figure_numbers()) - self._figures:
            pyplot.close(number)
        print(f"⚠ {message}")
        return True


def _figure_numbers() -> list[int]:
    pyplot = sys.modules.get("matplotlib.pyplot")
    return pyplot.get_fignums() if pyplot else []


def _unsolved_message(kind, error, tb) -> str | None:
    if kind is None:
        return None
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = tb.tb_frame.f_code.co_name if tb is not None else "<module>"
    if issubclass(kind, NotImplementedError):
        return (f"{where} is not implemented yet: solve its problem above and run its cell, then run this "
                "cell again.")
    if issubclass(kind, NameError) and where == "<module>":
        return (f"This cell needs {getattr(error, 'name', None) or 'a name'}, which an earlier cell defines: "
                "run the cells above first (a cell stopped by an unsolved problem defines nothing after it).")
    return None


def _fail(message: str, hint: str | None):
    raise VisibleCheckFailed(message + (f"\nHint: {hint}" if hint else ""))


def expect_array(name, got, shape, values=None, *, rtol=1e-6, atol=1e-8, hint=None) -> None:
    """Check that ``got`` is a float array of ``shape`` (and close to ``values`` when given)."""
    if not isinstance(got, np.ndarray):
        _fail(f"{name} should be a numpy array, but it is {type(got).__name__}.", hint)
    if got.dtype.kind != "f":
        _fail(f"{name} has dtype {got.dtype}; it should be a floating-point array.", hint)
    if got.shape != tuple(shape):
        _fail(f"{name} has shape {got.shape}; expected {tuple(shape)}.", hint)
    if not np.all(np.isfinite(got)):
        _fail(f"{name} contains NaN or inf.", hint)
    if values is not None:
        values = np.asarray(values, dtype=np.float64)
        if not np.allclose(got, values, rtol=rtol, atol=atol):
            err = np.abs(got - values)
            where = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
            _fail(
                f"{name} has the right shape but different values: at index {where} it is "
                f"{got[where]:.6g}, expected {values[where]:.6g}.",
                hint,
            )
    print(f"✓ {name}: shape {got.shape}" + (" and values look right." if values is not None else " looks right."))


def expect_scalar(name, got, value, *, rtol=1e-6, atol=1e-8, hint=None) -> None:
    """Check that ``got`` is a real number close to ``value``."""
    if isinstance(got, np.ndarray) and got.ndim == 0:
        got = got[()]
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
        _fail(f"{name} should be a number, but it is {type(got).__name__}.", hint)
    if not np.isclose(float(got), value, rtol=rtol, atol=atol):
        _fail(f"{name} is {float(got):.8g}; expected {value:.8g}.", hint)
    print(f"✓ {name} = {float(got):.6g} looks right.")


def expect_equal(name, got, value, *, hint=None) -> None:
    """Check exact equality, type included (for shapes, counts and other exact answers)."""
    if type(got) is not type(value) or got != value:
        _fail(f"{name} is {got!r}; expected {value!r}.", hint)
    print(f"✓ {name} = {got!r} looks right.")


def expect_count(name, got, value, *, hint=None) -> None:
    """Check a whole-number answer (a count): a Python int or numpy integer equal to ``value``."""
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        _fail(f"{name} should be an int, but it is {type(got).__name__} ({got!r}).", hint)
    if int(got) != value:
        _fail(f"{name} is {int(got):,}; expected {value:,}.", hint)
    print(f"✓ {name} = {int(got):,} looks right.")
