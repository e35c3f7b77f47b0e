"""Hidden checks for sprint 02_rnn_backward: references, input generators and typical mistakes.

Shape letters: N batch, T time steps, D input features, H hidden units.
"""

from __future__ import annotations

import numpy as np

from ..wire import ScalarFunction
from .framework import Case, Problem, float_case

SPRINT = "02_rnn_backward"


def _f64(*arrays):
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


# ================================================================ inputs


def rnn_weights(rng, D: int, H: int, radius: float = 0.9):
    """Wx (D, H), Wh (H, H), b (H,) scaled so that tanh stays mostly out of saturation."""
    Wx = rng.normal(0, 1 / np.sqrt(D), (D, H))
    Wh = rng.normal(0, radius / np.sqrt(H), (H, H))
    b = rng.normal(0, 0.5, H)
    return Wx, Wh, b


def forward_states(x, h0, Wx, Wh, b):
    """All hidden states (N, T, H) of a SimpleRNN, used to build consistent inputs."""
    h_prev, states = h0, []
    for t in range(x.shape[1]):
        h_prev = np.tanh(x[:, t] @ Wx + h_prev @ Wh + b)  # (N, H)
        states.append(h_prev)
    return np.stack(states, axis=1)  # (N, T, H)


def shapes(rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """(N, T, D, H): fixed corner cases (N=1, T=1, D != H) plus fresh random ones."""
    fixed = [(1, 1, 3, 2), (2, 1, 1, 4), (1, 5, 2, 3), (3, 4, 5, 5), (2, 6, 4, 3)]
    drawn = [tuple(int(v) for v in rng.integers([2, 2, 1, 2], [6, 9, 6, 7])) for _ in range(3)]
    return fixed + drawn


def sequence_inputs(rng, N, T, D, H):
    """x (N, T, D), h0 (N, H), h (N, T, H) from a real forward pass, Wx, Wh, and dh (N, T, H)."""
    x = rng.normal(size=(N, T, D))
    h0 = rng.uniform(-0.8, 0.8, (N, H))
    Wx, Wh, b = rnn_weights(rng, D, H, radius=rng.uniform(0.7, 1.3))
    h = forward_states(x, h0, Wx, Wh, b)
    dh = rng.normal(size=(N, T, H))
    return dh, x, h0, h, Wx, Wh


def step_cases(rng) -> list[Case]:
    cases = []
    for i, (N, _, D, H) in enumerate(shapes(rng)):
        x_t, h_prev = rng.normal(size=(N, D)), rng.uniform(-0.9, 0.9, (N, H))
        Wx, Wh, b = rnn_weights(rng, D, H)
        h_next = np.tanh(x_t @ Wx + h_prev @ Wh + b)  # (N, H)
        dh_next = rng.normal(size=(N, H))
        dtype = np.float32 if i % 2 else np.float64
        args = (dh_next, x_t, h_prev, h_next, Wx, Wh)
        cases.append(float_case(args, dtype, f"N={N}, D={D}, H={H}"))
    return cases


def sequence_cases(rng) -> list[Case]:
    cases = []
    for i, (N, T, D, H) in enumerate(shapes(rng)):
        dtype = np.float32 if i % 2 else np.float64
        cases.append(float_case(sequence_inputs(rng, N, T, D, H), dtype, f"N={N}, T={T}, D={D}, H={H}"))
    return cases


def windowed_cases(rng) -> list[Case]:
    """(N, T, D, H, window): window 1, window == T and > T, T divisible and not divisible."""
    fixed = [(1, 1, 2, 3, 1), (2, 7, 3, 2, 3), (1, 6, 2, 4, 2), (3, 5, 2, 3, 1), (2, 4, 3, 3, 4),
             (2, 3, 2, 2, 10), (1, 8, 3, 2, 5)]
    T = int(rng.integers(5, 10))
    drawn = [(int(rng.integers(1, 4)), T, int(rng.integers(1, 5)), int(rng.integers(2, 6)),
              int(rng.integers(2, T)))]
    cases = []
    for i, (N, T, D, H, window) in enumerate(fixed + drawn):
        dtype = np.float32 if i % 2 else np.float64
        args = (*sequence_inputs(rng, N, T, D, H), window)
        cases.append(float_case(args, dtype, f"N={N}, T={T}, D={D}, H={H}, window={window}"))
    return cases


def numerical_gradient_cases(rng) -> list[Case]:
    cases = []

    def add(kind, values, dtype, label, eps=None, **consts):
        arr = np.array(values, dtype=dtype)  # a fresh array: the case's x, which f reads
        f = ScalarFunction(kind, arr, consts)
        kwargs = {} if eps is None else {"eps": eps}
        text = f"f = {label}, x of shape {arr.shape}, {np.dtype(dtype).name}"
        cases.append(Case((f, arr), kwargs, text + ("" if eps is None else f", eps={eps}"), np.dtype(dtype)))

    n = int(rng.integers(3, 7))
    add("cubic", rng.uniform(-1.5, 1.5, n), np.float64, "sum(w * x**3)", w=rng.normal(size=n))
    shape = (2, int(rng.integers(2, 5)))
    add("cubic", rng.uniform(-1.5, 1.5, shape), np.float64, "sum(w * x**3)", eps=1e-2,
        w=rng.uniform(1, 2, shape))
    shape = (int(rng.integers(2, 4)), 3)
    add("exp", rng.normal(size=shape), np.float64, "sum(w * exp(x/2)) + sum(x)**2", w=rng.normal(size=shape))
    add("cubic", rng.uniform(-1.5, 1.5, (2, 3, 2)), np.float32, "sum(w * x**3)", eps=1e-2,
        w=rng.normal(size=(2, 3, 2)))
    add("exp", rng.normal(size=(1,)), np.float64, "sum(w * exp(x/2)) + sum(x)**2", eps=3e-4,
        w=rng.normal(size=(1,)))
    # a tiny RNN: gradient of sum(w * h) with respect to Wh, then to the input sequence
    N, T, D, H = 2, 3, 2, 3
    x, h0 = rng.normal(size=(N, T, D)), rng.uniform(-0.5, 0.5, (N, H))
    Wx, Wh, b = rnn_weights(rng, D, H)
    w = rng.normal(size=(N, T, H))
    add("rnn_Wh", Wh, np.float64, "sum(w * rnn_forward(x, h0, Wx, Wh, b)) as a function of Wh",
        x=x, h0=h0, Wx=Wx, b=b, w=w)
    add("rnn_x", x, np.float64, "sum(w * rnn_forward(x, h0, Wx, Wh, b)) as a function of x", eps=1e-4,
        h0=h0, Wx=Wx, Wh=Wh, b=b, w=w)
    add("rnn_x", x, np.float32, "sum(w * rnn_forward(x, h0, Wx, Wh, b)) as a function of x", eps=1e-2,
        h0=h0, Wx=Wx, Wh=Wh, b=b, w=w)
    return cases


def relative_error_cases(rng) -> list[Case]:
    cases = []

    def add(a, b, dtype, label):
        cases.append(float_case((a, b), dtype, label))

    a = rng.normal(size=(3, 4))
    add(a, a * (1 + 1e-3 * rng.normal(size=a.shape)), np.float64, "a and b close, shape (3, 4)")
    a = rng.normal(size=5)
    add(a, a + rng.uniform(0.01, 0.5, a.shape), np.float64, "b larger than a everywhere, shape (5,)")
    add(np.zeros((2, 3)), np.zeros((2, 3)), np.float64, "a and b all zeros, shape (2, 3)")
    a = rng.normal(size=(2, 3, 2))
    b = rng.normal(size=(2, 3, 2))
    a[0, 1], b[0, 1] = 0.0, 0.0
    add(a, b, np.float32, "some elements zero in both, shape (2, 3, 2)")
    a = rng.normal(size=(4, 2))
    add(a, a.copy(), np.float32, "a equal to b, shape (4, 2)")
    a = np.concatenate([rng.uniform(50, 100, 3), rng.uniform(0.01, 0.1, 3)])
    b = a + np.concatenate([rng.uniform(-1, 1, 3), rng.uniform(-1e-3, 1e-3, 3)])
    add(a, b, np.float64, "large and small values mixed, shape (6,)")
    a = np.zeros(4)
    add(a, rng.normal(size=4), np.float64, "a all zeros, shape (4,)")
    a = rng.normal(size=(3, 3))
    add(a, -a + 1e-2 * rng.normal(size=a.shape), np.float32, "b close to -a, shape (3, 3)")
    a = rng.uniform(1e-9, 4e-9, 5) * rng.choice([-1.0, 1.0], 5)
    add(a, a + rng.uniform(1e-9, 3e-9, 5), np.float64, "values of order 1e-9, where the 1e-8 floor decides, "
        "shape (5,)")
    a = np.array([6e-9, 2e-9, 0.0, 3e-9])
    add(a, a[::-1] + np.array([0.0, 4.5e-9, 1e-8, 0.0]), np.float64,
        "|a| + |b| just below, at and above 1e-8, shape (4,)")
    return cases


def gradient_norm_cases(rng) -> list[Case]:
    cases = []
    for i, (N, T, H) in enumerate([(1, 1, 3), (2, 1, 4), (1, 6, 3), (3, 5, 4), (2, 7, 2)]
                                  + [tuple(int(v) for v in rng.integers([2, 2, 2], [5, 10, 6]))]):
        Wh = rng.normal(0, rng.uniform(0.6, 1.6) / np.sqrt(H), (H, H))
        h = np.tanh(rng.normal(0, 0.8, (N, T, H)))
        dh_last = rng.normal(size=(N, H))
        dtype = np.float32 if i % 2 else np.float64
        cases.append(float_case((Wh, h, dh_last), dtype, f"N={N}, T={T}, H={H}"))
    return cases


# ================================================================ references


def ref_rnn_step_backward(dh_next, x_t, h_prev, h_next, Wx, Wh):
    dh_next, x_t, h_prev, h_next, Wx, Wh = _f64(dh_next, x_t, h_prev, h_next, Wx, Wh)
    da = dh_next * (1.0 - h_next**2)  # (N, H), gradient of the pre-activation
    dx_t = da @ Wx.T  # (N, D)
    dh_prev = da @ Wh.T  # (N, H)
    dWx = x_t.T @ da  # (D, H)
    dWh = h_prev.T @ da  # (H, H)
    db = da.sum(axis=0)  # (H,)
    return dx_t, dh_prev, dWx, dWh, db


def _backward_loop(dh, x, h0, h, Wx, Wh, cut_after, wrap=False):
    """Backward pass in which no gradient flows from step t+1 into h_t when cut_after(t) holds."""
    dh, x, h0, h, Wx, Wh = _f64(dh, x, h0, h, Wx, Wh)
    N, T, D = x.shape
    H = h0.shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    carry = np.zeros((N, H))  # gradient reaching h_t through h_{t+1}
    for t in reversed(range(T)):
        if cut_after(t):
            carry = np.zeros((N, H))
        h_prev = h[:, t - 1] if t > 0 or wrap else h0  # wrap: a typical mistake, h[:, -1] at t = 0
        da = (dh[:, t] + carry) * (1.0 - h[:, t] ** 2)  # (N, H)
        dx[:, t] = da @ Wx.T  # (N, D)
        dWx += x[:, t].T @ da  # (D, H)
        dWh += h_prev.T @ da  # (H, H)
        db += da.sum(axis=0)
        carry = da @ Wh.T  # (N, H), now the gradient reaching h_{t-1}
    return dx, carry, dWx, dWh, db


def ref_rnn_backward(dh, x, h0, h, Wx, Wh):
    return _backward_loop(dh, x, h0, h, Wx, Wh, cut_after=lambda t: False)


def ref_numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        f_plus = float(f())
        x[idx] = old - eps
        f_minus = float(f())
        x[idx] = old  # restore exactly: old + eps - eps need not equal old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def ref_relative_error(a, b):
    a, b = _f64(a, b)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def ref_gradient_norm_through_time(Wh, h, dh_last):
    Wh, h, dh_last = _f64(Wh, h, dh_last)
    T = h.shape[1]
    norms = np.zeros(T)
    g = dh_last  # (N, H), dL/dh_{T-1}
    for t in range(T - 1, -1, -1):
        norms[t] = np.linalg.norm(g)
        g = (g * (1.0 - h[:, t] ** 2)) @ Wh.T  # (N, H), dL/dh_{t-1}
    return norms


def ref_rnn_backward_windowed(dh, x, h0, h, Wx, Wh, window):
    T = np.shape(x)[1]
    # windows [0, w), [w, 2w), ...: the last step of each window receives nothing from the next one
    dx, _, dWx, dWh, db = _backward_loop(
        dh, x, h0, h, Wx, Wh, cut_after=lambda t: (t + 1) % window == 0 and t < T - 1
    )
    return dx, dWx, dWh, db


# ================================================================ typical mistakes (for hints)


def _step_variant(deriv="h_next", dh_prev_wh="T", dwh_transposed=False):
    def step(dh_next, x_t, h_prev, h_next, Wx, Wh):
        dh_next, x_t, h_prev, h_next, Wx, Wh = _f64(dh_next, x_t, h_prev, h_next, Wx, Wh)
        factor = {
            "h_next": 1 - h_next**2, "h_prev": 1 - h_prev**2, "none": 1.0, "tanh": 1 - np.tanh(h_next) ** 2
        }[deriv]
        da = dh_next * factor
        dWh = da.T @ h_prev if dwh_transposed else h_prev.T @ da
        return da @ Wx.T, da @ (Wh.T if dh_prev_wh == "T" else Wh), x_t.T @ da, dWh, da.sum(axis=0)

    return step


def _sequence_variant(**kw):
    """A full backward pass with one deliberate mistake, selected by keyword."""

    def backward(dh, x, h0, h, Wx, Wh):
        dh, x, h0, h, Wx, Wh = _f64(dh, x, h0, h, Wx, Wh)
        N, T, D = x.shape
        H = h0.shape[1]
        dx = np.zeros((N, T, D))
        dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
        carry = np.zeros((N, H))
        order = range(T) if kw.get("forwards") else reversed(range(T))
        dh0 = None
        for t in order:
            h_prev = h[:, t - 1] if t > 0 else (h[:, -1] if kw.get("wrap") else
                                                  np.zeros_like(h0) if kw.get("zero_h0") else h0)
            upstream = dh[:, t] if t == T - 1 or not kw.get("last_dh_only") else 0.0
            g = upstream if kw.get("no_recurrence") else upstream + carry
            if t == 0 and kw.get("dh0_short"):
                dh0 = g
            da = g * (1 - (h_prev if kw.get("deriv_h_prev") else h[:, t]) ** 2)
            dx[:, t] = da @ Wx.T
            dWx += x[:, t].T @ da
            if kw.get("dwh_last_only"):
                dWh = h_prev.T @ da if t == T - 1 else dWh
            else:
                dWh += h_prev.T @ da
            db += da.sum(axis=0)
            carry = da @ (Wh if kw.get("wh_untransposed") else Wh.T)
        if dh0 is None:
            dh0 = np.zeros_like(carry) if kw.get("no_recurrence") else carry
        return dx, dh0, dWx, dWh, db

    return backward


def _norm_variant(**kw):
    def norms_of(Wh, h, dh_last):
        Wh, h, dh_last = _f64(Wh, h, dh_last)
        T = h.shape[1]
        norms = np.zeros(T)
        g = dh_last
        for t in range(T - 1, -1, -1):
            if kw.get("after"):  # the step back is taken before the norm is stored
                g = (g * (1 - h[:, t] ** 2)) @ Wh.T
                norms[t] = np.linalg.norm(g)
                continue
            if kw.get("l1"):
                norms[t] = np.abs(g).sum()
            else:
                norms[t] = np.linalg.norm(g, axis=1).sum() if kw.get("per_sample") else np.linalg.norm(g)
            if kw.get("no_deriv"):
                factor = 1.0
            elif kw.get("off_by_one"):
                factor = 1 - h[:, t - 1] ** 2 if t > 0 else 1.0
            else:
                factor = 1 - h[:, t] ** 2
            g = (g * factor) @ (Wh if kw.get("wh_untransposed") else Wh.T)
        return norms[::-1].copy() if kw.get("reversed") else norms

    return norms_of


def _windowed_variant(cut, wrap=False):
    """Truncated BPTT with a different rule ``cut(t, T, window)`` for where gradients stop."""

    def backward(dh, x, h0, h, Wx, Wh, window):
        T = np.shape(x)[1]
        dx, _, dWx, dWh, db = _backward_loop(dh, x, h0, h, Wx, Wh, cut_after=lambda t: cut(t, T, window),
                                             wrap=wrap)
        return dx, dWx, dWh, db

    return backward


def _windowed_zero_start(dh, x, h0, h, Wx, Wh, window):
    """Each window's first step treats the state before it as zero (its dWh term vanishes)."""
    dh, x, h0, h, Wx, Wh = _f64(dh, x, h0, h, Wx, Wh)
    T = x.shape[1]
    dx, dWx, dWh, db = ref_rnn_backward_windowed(dh, x, h0, h, Wx, Wh, window)
    for s in range(window, T, window):
        carry = np.zeros_like(h0)
        for t in range(min(s + window, T) - 1, s - 1, -1):  # redo the window to find da at its start
            da = (dh[:, t] + carry) * (1 - h[:, t] ** 2)
            carry = da @ Wh.T
        dWh = dWh - h[:, s - 1].T @ da
    return dx, dWx, dWh, db


def _numgrad_forward(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    f0 = float(f())
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        grad[idx] = (float(f()) - f0) / eps
        x[idx] = old
    return grad


def _numgrad_scaled(divisor_factor, fixed_eps=None):
    def numgrad(f, x, eps=1e-5):
        eps = fixed_eps if fixed_eps is not None else eps
        grad = np.zeros(x.shape)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + eps
            fp = float(f())
            x[idx] = old - eps
            fm = float(f())
            x[idx] = old
            grad[idx] = (fp - fm) / (divisor_factor * eps)
        return grad

    return numgrad


# ================================================================ problems


class PerturbingProblem(Problem):
    """A problem whose function changes its input on purpose and must put it back exactly.

    The generic mutation message advises working on copies, which is the wrong advice here:
    numerical_gradient has to perturb the very array that f reads.
    """

    def judge(self, case: Case, outcome):
        if outcome.error is None and outcome.mutated:
            where = f" (hidden case: {case.label})" if case.label else ""
            return (
                f"{self.name} left {', '.join(outcome.mutated)} different from how it found it{where}. "
                "Perturb x in place (f reads that very array), but save each old value and assign it "
                "back afterwards: x + eps - eps is not always exactly x in floating point."
            )
        return super().judge(case, outcome)


STEP_OUTPUTS = ("dx_t", "dh_prev", "dWx", "dWh", "db")
SEQUENCE_ARGS = ("dh", "x", "h0", "h", "Wx", "Wh")

PROBLEMS = [
    Problem(
        name="rnn_step_backward",
        sprint=SPRINT,
        generate=step_cases,
        reference=ref_rnn_step_backward,
        output_names=STEP_OUTPUTS,
        arg_names=("dh_next", "x_t", "h_prev", "h_next", "Wx", "Wh"),
        mistakes={
            "the tanh derivative is taken from h_prev instead of h_next": _step_variant(deriv="h_prev"),
            "the tanh derivative (1 - h_next**2) is left out": _step_variant(deriv="none"),
            "the derivative is written 1 - tanh(h_next)**2 (h_next is already a tanh)":
                _step_variant(deriv="tanh"),
            "dh_prev is computed with Wh instead of Wh.T": _step_variant(dh_prev_wh="plain"),
            "dWh is transposed (the right shape, but its rows and columns are swapped)":
                _step_variant(dwh_transposed=True),
            "db is averaged over the batch instead of summed": lambda *a: (
                lambda r, n: (*r[:4], r[4] / n))(_step_variant()(*a), np.shape(a[0])[0]),
        },
    ),
    Problem(
        name="rnn_backward",
        sprint=SPRINT,
        generate=sequence_cases,
        reference=ref_rnn_backward,
        output_names=("dx", "dh0", "dWx", "dWh", "db"),
        arg_names=SEQUENCE_ARGS,
        mistakes={
            "dWh keeps only the last time step instead of summing over time":
                _sequence_variant(dwh_last_only=True),
            "no gradient flows back through the recurrence (dh_prev is dropped)":
                _sequence_variant(no_recurrence=True),
            "the tanh derivative is taken from h_prev instead of the state h_t of the step":
                _sequence_variant(deriv_h_prev=True),
            "the recurrent gradient is multiplied by Wh instead of Wh.T": _sequence_variant(wh_untransposed=True),
            "the time loop runs forwards instead of backwards": _sequence_variant(forwards=True),
            "dh0 is the gradient reaching h_1, missing the last hop through step 0":
                _sequence_variant(dh0_short=True),
            "the wrong state is used as the previous state: h_prev at step t is h[:, t - 1], and h0 at "
            "t = 0 (h[:, t - 1] at t = 0 is h[:, -1], the last state)": _sequence_variant(wrap=True),
            "the state before step 0 is taken as zeros instead of h0": _sequence_variant(zero_h0=True),
            "only the last step's upstream gradient dh[:, -1] is used; every step t receives dh[:, t]":
                _sequence_variant(last_dh_only=True),
        },
    ),
    PerturbingProblem(
        name="numerical_gradient",
        sprint=SPRINT,
        generate=numerical_gradient_cases,
        reference=ref_numerical_gradient,
        output_names=("grad",),
        arg_names=("f", "x"),
        mistakes={
            "forward differences (f(x+eps) - f(x)) / eps are used instead of centred ones": _numgrad_forward,
            "the difference is divided by eps instead of 2*eps": _numgrad_scaled(1),
            "eps is ignored (1e-5 is always used)": _numgrad_scaled(2, fixed_eps=1e-5),
            "a copy of x is perturbed, which f never reads (every difference is zero). x.ravel(), "
            "x.reshape(-1) and x.flatten() are copies when x is not contiguous: index x itself, e.g. "
            "x[idx] for idx in np.ndindex(x.shape)":
                lambda f, x, eps=1e-5: np.zeros(np.shape(x)),
        },
    ),
    Problem(
        name="relative_error",
        sprint=SPRINT,
        generate=relative_error_cases,
        reference=ref_relative_error,
        output_names=("the relative error",),
        arg_names=("a", "b"),
        error_hints={"The truth value of an array": "max(1e-8, |a| + |b|) is taken element by element: "
                                                    "np.maximum(1e-8, np.abs(a) + np.abs(b)); Python's max "
                                                    "compares whole arrays."},
        mistakes={
            "the absolute value of a - b is left out":
                lambda a, b: float(np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
            "the mean is taken instead of the maximum":
                lambda a, b: float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
            "the denominator is |a + b| instead of |a| + |b|":
                lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b)))),
            "the denominator is a + b instead of |a| + |b|":
                lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-8, a + b))),
            "1e-8 is added to the denominator instead of being its floor, max(1e-8, |a| + |b|)":
                lambda a, b: float(np.max(np.abs(a - b) / (1e-8 + np.abs(a) + np.abs(b)))),
            "one global denominator is used instead of one per element":
                lambda a, b: float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b))))),
        },
    ),
    Problem(
        name="gradient_norm_through_time",
        sprint=SPRINT,
        generate=gradient_norm_cases,
        reference=ref_gradient_norm_through_time,
        output_names=("norms",),
        arg_names=("Wh", "h", "dh_last"),
        mistakes={
            "the tanh derivative (1 - h_t**2) is left out": _norm_variant(no_deriv=True),
            "the gradient is multiplied by Wh instead of Wh.T": _norm_variant(wh_untransposed=True),
            "the norms are in reverse order (norms[0] should belong to h_0)": _norm_variant(reversed=True),
            "the derivative at step t uses h_{t-1} instead of h_t": _norm_variant(off_by_one=True),
            "one norm per sample is computed and the norms are added": _norm_variant(per_sample=True),
            "the L1 norm (sum of absolute values) is taken instead of the Frobenius norm":
                _norm_variant(l1=True),
            "each norm is taken after the step back through Wh (norms[t] must be the norm of dL/dh_t, and "
            "norms[T-1] that of dh_last itself)": _norm_variant(after=True),
        },
    ),
    Problem(
        name="rnn_backward_windowed",
        sprint=SPRINT,
        generate=windowed_cases,
        reference=ref_rnn_backward_windowed,
        output_names=("dx", "dWx", "dWh", "db"),
        arg_names=(*SEQUENCE_ARGS, "window"),
        mistakes={
            "gradients flow across window boundaries (this is full BPTT)":
                _windowed_variant(lambda t, T, w: False),
            "the windows are shifted by one step (cut before step t where t % window == 0)":
                _windowed_variant(lambda t, T, w: t % w == 0 and t > 0),
            "the windows are aligned with the end of the sequence instead of its start":
                _windowed_variant(lambda t, T, w: (T - 1 - t) % w == 0 and t < T - 1),
            "the first step of each window uses a zero state instead of the real h_{start-1} for dWh":
                _windowed_zero_start,
            "the state before step 0 is read as h[:, t - 1], which at t = 0 is h[:, -1], the last state; "
            "at t = 0 the previous state is h0":
                _windowed_variant(lambda t, T, w: (t + 1) % w == 0 and t < T - 1, wrap=True),
        },
    ),
]
