"""The machinery every hidden check is built from.

A check runs in three separate steps. Steps 1 and 3 belong to the trusted grader; step 2 runs where
the student's code runs (in the grader's sandbox, or in the same process for the self-check), and
the two sides only exchange plain data through :mod:`grader.wire`:

1. ``Session(problem, seed).request()``  draws fresh random cases and packs their inputs;
2. ``run_cases(func, request)``          calls the student's function on fresh copies of every
                                         case's inputs and packs the outcomes;
3. ``session.verdict(reply)``            unpacks the outcomes and judges them against the
   independent reference, coarse to fine: exception, mutation, type, dtype, shape, finiteness,
   values, likely mistake.

``run_check`` does all three in one process; the sandboxed grader runs step 2 in the student's
kernel (see ``grader.sandbox``).
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..wire import ModelSpec, Opaque, ScalarFunction, WireError, materialize, pack, unpack

ANSWER_LIMIT = 64 * 2**20  # bytes: the largest answer the judge reads back

FLOAT_TOL = {  # (rtol, atol) by the dtype of the case's inputs
    np.dtype(np.float64): (1e-6, 1e-8),
    np.dtype(np.float32): (2e-4, 2e-5),
}


class CheckFailed(AssertionError):
    """A hidden check found a mistake; the message says which, for the student."""


@dataclass
class Case:
    """One set of inputs for a problem.

    ``args`` are passed positionally, ``kwargs`` by name. ``label`` describes the case for messages
    (shapes, dtype). ``dtype`` is the floating dtype of the inputs, which sets the tolerance.
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    label: str = ""
    dtype: np.dtype = np.dtype(np.float64)
    layout: str | None = None  # a key of LAYOUTS: the array arguments arrive as views of equal values


@dataclass
class Outcome:
    """What happened when the student's function ran on one case."""

    value: Any = None
    error: str | None = None  # "ExceptionType: message" when it raised
    error_type: str | None = None
    mutated: list[str] = field(default_factory=list)  # names of inputs changed in place
    aliased: list[str] = field(default_factory=list)  # names of inputs the result shares memory with
    inputs: Any = None  # the (args, kwargs) the function was given; never sent back


@dataclass
class Verdict:
    """The judgement of one check. ``message`` is for the student and names the failing case in their
    terms (shapes, dtype, what is special about it), never by seed; ``seed`` and ``case`` (1-based)
    let an instructor draw the same case again with ``Session(problem, seed).cases[case - 1]``."""

    passed: bool
    message: str
    cases_run: int = 0
    seed: int | None = None
    case: int | None = None


def float_case(args: tuple, dtype, label: str, kwargs: dict | None = None) -> Case:
    """Build a case whose floating-point array arguments are cast to ``dtype``."""
    dtype = np.dtype(dtype)
    cast = tuple(
        a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args
    )
    return Case(cast, kwargs or {}, f"{label}, {dtype.name}", dtype)


def item_layout(obj):
    """Which objects a list or tuple holds (nested): replacing an item of a caller's list changes it."""
    if isinstance(obj, (list, tuple)):
        return type(obj), tuple(id(item) for item in obj), tuple(item_layout(item) for item in obj)
    return None


def snapshot(obj):
    """A copy of the state a function could change: arrays, lists, tuples and dicts of them, Keras weights."""
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, (list, tuple)):
        return tuple(snapshot(item) for item in obj)
    if type(obj) is dict:  # a dict of arrays (parameters): its keys and every value
        return tuple((key, snapshot(value)) for key, value in dict.items(obj))
    if hasattr(obj, "get_weights"):  # a Keras layer
        return tuple(np.array(w) for w in obj.get_weights())
    return None  # not tracked


def same_values(a, b) -> bool:
    """Two snapshots are equal to the bit."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b))
    if isinstance(a, str) or isinstance(b, str):  # a key of a dict
        return a == b
    return a is None and b is None


# --------------------------------------------------------------------------------------------
# Views of the inputs, and results that share memory with them
# --------------------------------------------------------------------------------------------

LAYOUTS = {  # how the array arguments of a case are passed, and how a message names it
    "transposed": "the arrays passed as non-contiguous transposed views",
    "strided": "the arrays passed as non-contiguous strided slices (every other element of a larger array)",
}


def as_layout(value, layout: str | None, memo: dict | None = None):
    """``value`` with every array in it replaced by a view of ``layout`` holding the same values.

    A transposed view is the transpose of a C-ordered copy of ``a.T``; a strided view takes every
    other element of the last axis of a larger array whose other elements are NaN (or -1 for
    integers), so that code that reads memory it was not given goes wrong. The same array met twice
    (say, the ``x`` a ScalarFunction reads and the ``x`` argument) becomes the same view. 0-d and empty
    arrays, and arrays inside anything but lists, tuples and ScalarFunctions, are passed unchanged.
    """
    memo = {} if memo is None else memo
    if layout is None:
        return value
    if type(value) is list:
        return [as_layout(item, layout, memo) for item in value]
    if type(value) is tuple:
        return tuple(as_layout(item, layout, memo) for item in value)
    if type(value) is ScalarFunction:
        value.x = as_layout(value.x, layout, memo)
        return value
    if type(value) is not np.ndarray or value.ndim == 0 or value.size == 0:
        return value
    if id(value) not in memo:
        memo[id(value)] = (value, _view(value, layout))
    return memo[id(value)][1]


def _view(value: np.ndarray, layout: str) -> np.ndarray:
    if layout == "transposed" and value.ndim >= 2:
        return np.ascontiguousarray(value.T).T
    filler = np.nan if value.dtype.kind in "fc" else (-1 if value.dtype.kind == "i" else 0)
    wide = np.full(value.shape[:-1] + (2 * value.shape[-1],), filler, dtype=value.dtype)
    wide[..., ::2] = value
    return wide[..., ::2]


def assign_layouts(cases: list[Case]) -> list[Case]:
    """Pass the array arguments of the last case as transposed views, those of the one before it as
    strided slices (values unchanged, so the expected results are the same); say so in the labels."""
    def has_arrays(case):
        return any(isinstance(a, np.ndarray) and a.ndim > 0 and a.size > 0
                   or isinstance(a, (list, tuple)) and any(isinstance(x, np.ndarray) and x.ndim > 0 for x in a)
                   for a in (*case.args, *case.kwargs.values()))

    candidates = [c for c in cases if has_arrays(c) and c.layout is None]
    for case, layout in zip(reversed(candidates), ("transposed", "strided")):
        case.layout = layout
        case.label = f"{case.label}, {LAYOUTS[layout]}" if case.label else LAYOUTS[layout]
    return cases


def arrays_in(value, depth: int = 0) -> list[np.ndarray]:
    """The numpy arrays inside a result: itself, or the items of lists, tuples and dicts (nested)."""
    if isinstance(value, np.ndarray):
        return [value]
    if depth > 20:
        return []
    if isinstance(value, tuple):
        items = tuple.__iter__(value)
    elif type(value) is list:
        items = list.__iter__(value)
    elif type(value) is dict:
        items = dict.values(value)
    else:
        return []
    return [a for item in items for a in arrays_in(item, depth + 1)]


def shares_memory(a: np.ndarray, b: np.ndarray) -> bool:
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=10**5))
    except Exception:  # too hard to decide exactly: the memory ranges overlap, count it as shared
        return True


def aliased_inputs(value, args: tuple, kwargs: dict, names: list[str]) -> list[str]:
    """Names of the arguments that the result returns itself or shares writeable memory with.

    A read-only view (``np.lib.stride_tricks.sliding_window_view``, ``np.broadcast_to``) cannot be used
    to change the caller's array, so it does not count. Measured where the student's function ran,
    before the result is serialised (the wire carries copies).
    """
    returned = [a for a in arrays_in(value) if a.flags.writeable]
    containers = [value, *(tuple.__iter__(value) if isinstance(value, tuple) else ())]
    found = []
    for name, arg in zip([*names, *kwargs], [*args, *kwargs.values()]):
        if type(arg) in (list, dict) and any(c is arg for c in containers):  # the caller's own list
            found.append(name)
        elif any(shares_memory(r, g) for r in returned for g in arrays_in(arg)):
            found.append(name)
    return found


STRICT_FP = dict(over="raise", invalid="raise", divide="raise", under="ignore")


def call_student(func: Callable, case: Case, arg_names: tuple[str, ...] = (), strict_fp: bool = False) -> Outcome:
    """Call ``func`` on fresh copies of the case's inputs and record what came back.

    The inputs are compared with their state before the call, so that in-place mutation is
    reported. Warnings the student's code raises are silenced here: they are not grounds to lose
    points, except with ``strict_fp``, where numpy's overflow, invalid and divide warnings raise
    FloatingPointError (for problems whose point is numerical stability).
    """
    args, kwargs = materialize((tuple(case.args), dict(case.kwargs)))
    memo: dict = {}
    args = as_layout(args, case.layout, memo)
    kwargs = {k: as_layout(v, case.layout, memo) for k, v in kwargs.items()}
    outcome = Outcome(inputs=(args, kwargs))
    fp_errors = STRICT_FP if strict_fp else dict(all="ignore")
    layouts = [item_layout(a) for a in args]
    before = [snapshot(a) for a in args]
    try:
        with warnings.catch_warnings(), np.errstate(**fp_errors):
            warnings.simplefilter("ignore")
            outcome.value = func(*args, **kwargs)
    except Exception as exc:  # the student's code may raise anything
        outcome.error_type = type(exc).__name__
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    names = list(arg_names) + [f"argument {i + 1}" for i in range(len(arg_names), len(args))]
    for name, earlier, after, layout in zip(names, before, args, layouts):
        if not same_values(earlier, snapshot(after)) or item_layout(after) != layout:
            outcome.mutated.append(name)
    try:
        outcome.aliased = aliased_inputs(outcome.value, args, kwargs, names)
    except Exception:  # a result too strange to walk: the judge still compares it
        outcome.aliased = []
    return outcome


# --------------------------------------------------------------------------------------------
# Comparison, coarse to fine
# --------------------------------------------------------------------------------------------


def describe_type(value) -> str:
    if isinstance(value, Opaque):
        return value.type_name
    if isinstance(value, ModelSpec):
        return "a Keras model"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"{type(value).__name__}"


def compare_array(name: str, got, expected: np.ndarray, dtype: np.dtype) -> str | None:
    """Return None when ``got`` matches ``expected``, else a message (type, dtype, shape, values).

    Where a 0-d array is expected (an element-wise function given a Python number or a 0-d array), a
    numpy or Python float counts as that 0-d array: numpy itself returns scalars there.
    """
    if expected.ndim == 0 and isinstance(got, (float, np.floating)) and not isinstance(got, np.ndarray):
        got = np.asarray(got)
    if not isinstance(got, np.ndarray):
        return f"{name} should be a numpy array, but it is {describe_type(got)}."
    if got.dtype.kind != "f":
        return f"{name} has dtype {got.dtype}; it should be a floating-point array."
    if dtype == np.float64 and got.dtype != np.float64:
        return (
            f"{name} has dtype {got.dtype}, but the inputs were float64: "
            "work in float64 and do not cast to a lower precision."
        )
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}; expected {expected.shape}."
    if not np.all(np.isfinite(got)):
        bad = np.argwhere(~np.isfinite(got))[0]
        return f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)})."
    rtol, atol = FLOAT_TOL.get(np.dtype(dtype), FLOAT_TOL[np.dtype(np.float32)])
    scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    got64 = got.astype(np.float64)
    if not np.allclose(got64, expected, rtol=rtol, atol=atol * scale):
        err = np.abs(got64 - expected)
        where = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
        return (
            f"{name} has the right shape but wrong values: the largest difference is "
            f"{err.max():.3g} at index {where} (got {got64[where]:.6g}, expected {expected[where]:.6g})."
        )
    return None


def compare_scalar(name: str, got, expected: float, dtype: np.dtype) -> str | None:
    if isinstance(got, np.ndarray) and got.ndim == 0:
        got = got[()]
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.floating, np.integer)):
        return f"{name} should be a number, but it is {describe_type(got)}."
    if not np.isfinite(float(got)):
        return f"{name} is {float(got)}; expected a finite number."
    rtol, atol = FLOAT_TOL.get(np.dtype(dtype), FLOAT_TOL[np.dtype(np.float32)])
    if not np.isclose(float(got), expected, rtol=rtol, atol=atol):
        return f"{name} is {float(got):.8g}; expected {expected:.8g}."
    return None


def compare_output(names, got, expected, dtype) -> str | None:
    """Compare a structured output: an array, a float, or a tuple of those (``names`` per item)."""
    if isinstance(expected, tuple):
        if not isinstance(got, tuple):
            return (
                f"the function should return a tuple of {len(expected)} items "
                f"({', '.join(names)}), but it returned {describe_type(got)}."
            )
        if len(got) != len(expected):
            return (
                f"the function should return {len(expected)} items ({', '.join(names)}), "
                f"but it returned {len(got)}."
            )
        for name, g, e in zip(names, got, expected):
            message = compare_output((name,), g, e, dtype)
            if message:
                return message
        return None
    name = names[0] if names else "the result"
    if isinstance(expected, np.ndarray):
        return compare_array(name, got, expected, dtype)
    if isinstance(expected, float):
        return compare_scalar(name, got, expected, dtype)
    if got != expected or type(got) is not type(expected):
        return f"{name} is {got!r}; expected {expected!r}."
    return None


# --------------------------------------------------------------------------------------------
# Exceptions, translated into what the student should look at
# --------------------------------------------------------------------------------------------

ERROR_HINTS = (  # (fragments of "Type: message", any of which matches; the hint), first match wins
    (("expected ndim=3, found ndim=2",),
     "a recurrent layer received one vector per sequence instead of a sequence: every recurrent layer "
     "followed by another recurrent layer needs return_sequences=True, so that it passes on its whole "
     "sequence, shape (N, T, H)."),
    (("Incompatible shape for in-place modification", "cannot reshape array in place"),
     "assigning to x.shape changes the caller's array (and fails on a non-contiguous view): use "
     "x.reshape(...), which returns a new array or view and leaves the argument alone."),
    (("matmul: Input operand", "not aligned", "mismatch in its core dimension"),
     "a matrix product got arrays whose inner sizes do not match. Check the order of the operands and "
     "whether a weight is used transposed: in this course inputs are rows, x_t @ Wx with Wx (D, H), "
     "h @ Wh with Wh (H, H), and gradients flow back through the transposes (da @ Wx.T)."),
    (("could not broadcast input array from shape",),
     "an array was stored into a slot of another shape. Check which axis is time (x is (N, T, D), so "
     "step t is x[:, t], not x[t]) and the shape of the array you fill."),
    (("could not be broadcast together",),
     "two arrays whose shapes do not fit together were combined element-wise. Print the shapes: the "
     "batch is the first axis (N, ...), a reduction needs keepdims=True to broadcast back, and a bias "
     "(H,) adds to every row of an (N, H) array."),
    (("is out of bounds for axis", "index out of range", "out of bounds for size"),
     "an index runs past the end of an axis: check the loop bounds (range(T) visits 0 ... T-1) and "
     "which axis is time (x is (N, T, D): x[:, t])."),
    (("ZeroDivisionError",),
     "a division by zero in Python arithmetic (numpy would warn and give inf or nan instead): guard the "
     "division for this case, which the contract allows."),
    (("OverflowError",),
     "Python's math functions raise on overflow (math.exp(1000)): shift the numbers first so that "
     "the exponent stays <= 0, or use numpy."),
    (("The truth value of an array",),
     "a Python if, and, or, max or min was given a whole array: use the element-wise numpy functions "
     "(np.maximum, np.minimum, np.where, np.any, np.all)."),
    (("object is not subscriptable", "has no len()", "object has no attribute 'shape'",
      "0-d array", "array is 0-dimensional", "object is not iterable", "has no attribute 'ndim'"),
     "this case passes a Python number, a 0-d array or another plain value that the contract allows: "
     "convert with np.asarray(...) first instead of assuming an array with at least one axis."),
    (("inhomogeneous", "setting an array element with a sequence"),
     "np.array(...) was given arrays of different shapes: keep them in a list, one per tensor, and "
     "handle each on its own."),
    (("too many values to unpack", "not enough values to unpack"),
     "a tuple or array was unpacked into the wrong number of names: check what the function you call "
     "returns and the order of the contract's outputs."),
    (("'NoneType' object",),
     "something is None where a value was expected: a helper function without a return statement?"),
)


def explain_error(error: str, case: Case, specific: dict[str, str] | None = None) -> str:
    """A hint for an exception: the problem's own hints first, then the general ones; "" when none fits."""
    for fragment, hint in (specific or {}).items():
        if fragment in error:
            return f" Hint: {hint}"
    for fragments, hint in ERROR_HINTS:
        if any(f in error for f in fragments):
            return f" Hint: {hint}"
    return ""


# --------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One graded problem: how to draw inputs, the reference, and how to compare.

    ``reference`` and every ``mistakes`` entry take the same arguments as the student's function.
    ``mistakes`` maps a hint ("Wh is used transposed") to a function that reproduces that mistake:
    when the student's output matches it, the hint is added to the message.
    ``compare`` may replace the default structural comparison; it returns None or a message.
    """

    name: str
    sprint: str
    generate: Callable[[np.random.Generator], list[Case]]
    reference: Callable
    output_names: tuple[str, ...] = ()
    arg_names: tuple[str, ...] = ()
    mistakes: dict[str, Callable] = field(default_factory=dict)
    compare: Callable | None = None
    kind: str = "function"  # "function" or "value" (a variable the notebook computes)
    target: str | None = None  # the notebook name checked, when it is not the problem's name
    strict_fp: bool = False  # numpy overflow/invalid/divide in the student's code is a failure
    views: bool = True  # some cases pass the array arguments as non-contiguous views (assign_layouts)
    may_alias: bool = False  # the contract lets a result share memory with an argument
    error_hints: dict[str, str] = field(default_factory=dict)  # exception text fragment -> hint

    def cases(self, rng: np.random.Generator) -> list[Case]:
        """The hidden cases: the generator's, some of them passed as views when the problem allows."""
        cases = self.generate(rng)
        return assign_layouts(cases) if self.views and self.kind == "function" else cases

    @property
    def answer_name(self) -> str:
        return self.target or self.name

    def expected(self, case: Case):
        args, kwargs = materialize((tuple(case.args), dict(case.kwargs)))
        return self.reference(*args, **kwargs)

    def judge(self, case: Case, outcome: Outcome) -> str | None:
        """None when the outcome is right for this case, otherwise the message for the student."""
        where = f" (hidden case: {case.label})" if case.label else ""
        if outcome.error is not None:
            if outcome.error_type == "NotImplementedError":
                return f"{self.name} is not implemented yet (it raised NotImplementedError)."
            if outcome.error_type == "FloatingPointError" and self.strict_fp:
                return (f"{self.name} is not numerically stable: numpy reported '{outcome.error}'{where} "
                        "(in a notebook this is a RuntimeWarning). Rearrange the formula so that np.exp "
                        "only sees numbers <= 0, for example through exp(-|z|); np.where computes both "
                        "branches on every element.")
            return f"{self.name} raised {outcome.error}{where}.{explain_error(outcome.error, case, self.error_hints)}"
        if outcome.mutated:
            return (
                f"{self.name} changed its input {', '.join(outcome.mutated)} in place{where}; "
                "inputs must never be modified (work on copies or build new arrays)."
                + (" On a view, x.ravel() and x.reshape(...) can return views too: writing into them "
                   "writes into x." if case.layout else "")
            )
        if outcome.aliased and not self.may_alias:
            names = ", ".join(outcome.aliased)
            return (
                f"{self.name} returned the caller's {names} itself or a view of it (memory shared with the "
                f"input), not a copy{where}. In this course a function returns new arrays, even when "
                "nothing needs to change (clipping below the threshold, for example): otherwise a caller "
                "who changes the result changes its input too. Return a copy, e.g. np.array(x) or "
                "x.copy(); np.asarray, x.reshape(...), x.T and x[...] return views."
            )
        expected = self.expected(case)
        compare = self.compare or (
            lambda got, exp, c: compare_output(self.output_names, got, exp, c.dtype)
        )
        message = compare(outcome.value, expected, case)
        if message is None:
            return None
        return f"{self.name}: {message}{where}{self.diagnose(case, outcome.value)}"

    def diagnose(self, case: Case, got) -> str:
        """A hint naming the typical mistake whose output equals the student's, if any."""
        compare = self.compare or (
            lambda g, exp, c: compare_output(self.output_names, g, exp, c.dtype)
        )
        for hint, mistake in self.mistakes.items():
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    args, kwargs = materialize((tuple(case.args), dict(case.kwargs)))
                    wrong = mistake(*args, **kwargs)
                if compare(got, wrong, case) is None:
                    return f" Hint: your result matches what you get when {hint}."
            except Exception:
                continue
        return ""


# --------------------------------------------------------------------------------------------
# The three steps
# --------------------------------------------------------------------------------------------


def run_cases(func: Callable, request: bytes) -> bytes:
    """Step 2, where the student's code runs: call ``func`` on every case and pack the outcomes.

    Every case is called, even after a failure: the judge, not this side, decides which counts.
    """
    spec = unpack(request, limit=2**40, materialize="specs")
    if not callable(func):
        return pack({"not_callable": describe_type(func)})
    outcomes, inputs = [], []
    for args, kwargs, *layout in spec["cases"]:
        case = Case(args, kwargs, layout=layout[0] if layout and layout[0] in LAYOUTS else None)
        outcome = call_student(func, case, tuple(spec["arg_names"]), spec["strict_fp"])
        outcomes.append({"value": outcome.value, "error": outcome.error, "error_type": outcome.error_type,
                         "mutated": outcome.mutated, "aliased": outcome.aliased})
        inputs.append(outcome.inputs)
    try:
        return pack({"outcomes": outcomes}, inputs=inputs, limit=ANSWER_LIMIT)
    except WireError as exc:
        return pack({"unreadable": str(exc)})


class Session:
    """Steps 1 and 3 for one problem, in the trusted process: draw the cases, then judge the reply."""

    def __init__(self, problem: Problem, seed: int | None = None):
        self.problem = problem
        self.seed = secrets.randbits(32) if seed is None else seed
        self.cases = problem.cases(np.random.default_rng(self.seed))

    def request(self) -> bytes:
        return pack({"cases": [(tuple(c.args), dict(c.kwargs), c.layout) for c in self.cases],
                     "arg_names": list(self.problem.arg_names), "strict_fp": self.problem.strict_fp})

    def verdict(self, reply: bytes) -> Verdict:
        name = self.problem.name
        try:
            answer = unpack(reply, limit=ANSWER_LIMIT)
        except WireError as exc:
            return Verdict(False, f"{name}: the answer could not be read back: {exc}.")
        if not isinstance(answer, dict):
            return Verdict(False, f"{name}: the answer could not be read back.")
        if "not_callable" in answer:
            return Verdict(False, f"{name} should be a function, but it is {answer['not_callable']}.")
        if "unreadable" in answer:
            return Verdict(False, f"{name}: the results could not be sent back: {answer['unreadable']}.")
        outcomes = answer.get("outcomes")
        if not isinstance(outcomes, list) or len(outcomes) != len(self.cases):
            return Verdict(False, f"{name}: the answer does not hold one result per case.")
        for i, (case, raw) in enumerate(zip(self.cases, outcomes), 1):
            try:
                outcome = Outcome(raw["value"], raw["error"], raw["error_type"], [str(m) for m in raw["mutated"]],
                                  [str(m) for m in raw.get("aliased", [])])
            except (KeyError, TypeError, AttributeError):
                return Verdict(False, f"{name}: the answer to case {i} is malformed.")
            message = self.problem.judge(case, outcome)
            if message is not None:
                return Verdict(False, message, i, self.seed, i)
        return Verdict(True, f"{name}: all {len(self.cases)} hidden cases passed.", len(self.cases), self.seed)


def judge_value(problem: Problem, reply: bytes) -> Verdict:
    """Step 3 for a "value" problem (a variable the notebook computed): the reference takes no arguments."""
    try:
        value = unpack(reply, limit=ANSWER_LIMIT)
    except WireError as exc:
        return Verdict(False, f"{problem.name}: the value could not be read back: {exc}.")
    case = problem.generate(np.random.default_rng(0))[0]
    message = problem.judge(case, Outcome(value=value))
    if message is None:
        return Verdict(True, f"{problem.name}: correct.", 1)
    return Verdict(False, message, 1)


def pack_value(value) -> bytes:
    """Step 2 for a "value" problem."""
    try:
        return pack(value, limit=ANSWER_LIMIT)
    except WireError as exc:
        return pack(Opaque(f"a value that cannot be sent back ({exc})"))


def run_check(problem: Problem, func: Callable, seed: int | None = None) -> Verdict:
    """All three steps in one process (the self-check, and the tests of the checks)."""
    session = Session(problem, seed)
    return session.verdict(run_cases(func, session.request()))


def run_value_check(problem: Problem, value) -> Verdict:
    return judge_value(problem, pack_value(value))
