"""Hidden checks for sprint 04_lstm_backward: references, input generators and typical mistakes.

The module carries its own LSTM forward pass (Keras layout: ``W (D, 4H)``, ``U (H, 4H)``, ``b (4H,)``,
gate blocks i, f, g, o), so it depends on no other sprint. The references are written in different
styles on purpose: the gate-gradient reference differentiates the activations as functions of the
pre-activations, the step reference works with the gate values of one time step, the sequence
reference stores the gate pre-activation gradients of every step and contracts them with the inputs
in one go at the end. The typical mistakes are produced by ``_gate_variant``, ``_step_variant`` and
``_chain``, which reproduce one error each.
"""

from __future__ import annotations

import numpy as np

from .framework import Case, Problem, compare_array, float_case

SPRINT = "04_lstm_backward"


# ---------------------------------------------------------------- inputs


def shapes(rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """(N, T, D, H) tuples: fixed corner cases (N=1, T=1, D != H) plus fresh random ones."""
    fixed = [(1, 1, 3, 2), (2, 1, 1, 4), (1, 5, 2, 3), (3, 4, 5, 5), (2, 6, 4, 3)]
    drawn = [tuple(int(v) for v in rng.integers([1, 2, 1, 1], [5, 8, 6, 6])) for _ in range(3)]
    return fixed + drawn


def lstm_weights(rng: np.random.Generator, D: int, H: int):
    """W (D, 4H), U (H, 4H), b (4H,) scaled so that the gates stay away from saturation."""
    W = rng.normal(0, 1 / np.sqrt(D), (D, 4 * H))
    U = rng.normal(0, 0.9 / np.sqrt(H), (H, 4 * H))
    b = rng.normal(0, 0.5, 4 * H)
    return W, U, b


def step_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for i, (N, _, D, H) in enumerate(shapes(rng)):
        dh_next, dc_next = rng.normal(size=(N, H)), rng.normal(size=(N, H))
        x_t, h_prev, c_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, (N, H)), rng.normal(size=(N, H))
        args = (dh_next, dc_next, x_t, h_prev, c_prev, *lstm_weights(rng, D, H))
        dtype = np.float32 if i % 2 else np.float64
        cases.append(float_case(args, dtype, f"N={N}, D={D}, H={H}"))
    return cases


def sequence_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for i, (N, T, D, H) in enumerate(shapes(rng)):
        dh, x = rng.normal(size=(N, T, H)), rng.normal(size=(N, T, D))
        h0, c0 = rng.uniform(-1, 1, (N, H)), rng.normal(size=(N, H))
        args = (dh, x, h0, c0, *lstm_weights(rng, D, H))
        dtype = np.float32 if i % 2 else np.float64
        cases.append(float_case(args, dtype, f"N={N}, T={T}, D={D}, H={H}"))
    return cases


# ---------------------------------------------------------------- forward (own reference)


def sigmoid(z):
    """Logistic function without overflow: exp is only ever taken of a non-positive number."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def gates(x_t, h_prev, W, U, b):
    """The four gate activations i, f, g, o, each (N, H), in Keras block order."""
    z = x_t @ W + h_prev @ U + b  # (N, 4H)
    zi, zf, zg, zo = np.split(z, 4, axis=1)  # 4 x (N, H)
    return sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)


def ref_lstm_forward(x, h0, c0, W, U, b):
    """All hidden and cell states, both (N, T, H), in float64."""
    x, h0, c0, W, U, b = (np.asarray(a, np.float64) for a in (x, h0, c0, W, U, b))
    N, T, _ = x.shape
    H = h0.shape[1]
    h, c = np.zeros((N, T, H)), np.zeros((N, T, H))
    h_t, c_t = h0, c0
    for t in range(T):
        i, f, g, o = gates(x[:, t], h_t, W, U, b)
        c_t = f * c_t + i * g  # (N, H)
        h_t = o * np.tanh(c_t)  # (N, H)
        h[:, t], c[:, t] = h_t, c_t
    return h, c


# ---------------------------------------------------------------- references


def ref_lstm_gate_gradients(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    """dL/dz (N, 4H) for z = x_t W + h_prev U + b, blocks i, f, g, o, by the chain rule on z itself.

    Written with the derivatives as functions of the pre-activations (sigma(z) sigma(-z) and
    1 / cosh(z)**2), unlike the step reference, which uses the gate values.
    """
    dh_next, dc_next, x_t, h_prev, c_prev, W, U, b = (
        np.asarray(a, np.float64) for a in (dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    )
    zi, zf, zg, zo = np.split(x_t @ W + h_prev @ U + b, 4, axis=1)  # 4 x (N, H)
    c_next = sigmoid(zf) * c_prev + sigmoid(zi) * np.tanh(zg)  # (N, H)
    dc = dc_next + dh_next * sigmoid(zo) / np.cosh(c_next) ** 2  # (N, H): both paths into c_next
    return np.concatenate(
        [
            dc * np.tanh(zg) * sigmoid(zi) * sigmoid(-zi),
            dc * c_prev * sigmoid(zf) * sigmoid(-zf),
            dc * sigmoid(zi) / np.cosh(zg) ** 2,
            dh_next * np.tanh(c_next) * sigmoid(zo) * sigmoid(-zo),
        ],
        axis=1,
    )  # (N, 4H)


def ref_lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    """Gradients of one LSTM step, gates recomputed from the inputs."""
    dh_next, dc_next, x_t, h_prev, c_prev, W, U, b = (
        np.asarray(a, np.float64) for a in (dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    )
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tanh_c**2)  # all paths into c_next
    dz = np.concatenate(
        [
            dc * g * i * (1 - i),  # input gate
            dc * c_prev * f * (1 - f),  # forget gate
            dc * i * (1 - g**2),  # candidate
            dh_next * tanh_c * o * (1 - o),  # output gate
        ],
        axis=1,
    )  # (N, 4H)
    return dz @ W.T, dz @ U.T, dc * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def ref_lstm_backward(dh, x, h0, c0, W, U, b):
    """Backpropagation through time; parameter gradients contracted over all steps at the end."""
    dh, x, h0, c0, W, U, b = (np.asarray(a, np.float64) for a in (dh, x, h0, c0, W, U, b))
    N, T, _ = x.shape
    H = h0.shape[1]
    h, c = ref_lstm_forward(x, h0, c0, W, U, b)
    h_before = np.concatenate([h0[:, None], h[:, :-1]], axis=1)  # (N, T, H): state entering step t
    c_before = np.concatenate([c0[:, None], c[:, :-1]], axis=1)  # (N, T, H)
    dz = np.zeros((N, T, 4 * H))
    dh_carry, dc_carry = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        i, f, g, o = gates(x[:, t], h_before[:, t], W, U, b)
        tanh_c = np.tanh(c[:, t])
        dh_t = dh[:, t] + dh_carry  # upstream plus what came back through the recurrence
        dc_t = dc_carry + dh_t * o * (1 - tanh_c**2)
        dz[:, t] = np.hstack(
            [
                dc_t * g * i * (1 - i),
                dc_t * c_before[:, t] * f * (1 - f),
                dc_t * i * (1 - g**2),
                dh_t * tanh_c * o * (1 - o),
            ]
        )
        dh_carry = dz[:, t] @ U.T  # (N, H)
        dc_carry = dc_t * f  # (N, H)
    dx = dz @ W.T  # (N, T, D)
    dW = np.einsum("ntd,ntk->dk", x, dz)  # (D, 4H)
    dU = np.einsum("nth,ntk->hk", h_before, dz)  # (H, 4H)
    db = dz.sum(axis=(0, 1))  # (4H,)
    return dx, dh_carry, dc_carry, dW, dU, db


# ---------------------------------------------------------------- typical mistakes


GATE_BLOCKS = ("input gate i", "forget gate f", "candidate g", "output gate o")
GATE_COLUMNS = ("0:H", "H:2H", "2H:3H", "3H:4H")


def compare_gate_blocks(got, expected, case) -> str | None:
    """The usual array comparison, and when the values differ, which of the four blocks are wrong."""
    message = compare_array("dz", got, expected, case.dtype)
    if message is None or "wrong values" not in message:
        return message
    H = expected.shape[1] // 4
    wrong = [k for k in range(4)
             if compare_array("dz", got[:, k * H:(k + 1) * H], expected[:, k * H:(k + 1) * H], case.dtype)]
    if not wrong:
        return message
    named = ", ".join(f"the {GATE_BLOCKS[k]} (columns {GATE_COLUMNS[k]})" for k in wrong)
    right = [GATE_BLOCKS[k].rsplit(" ", 1)[1] for k in range(4) if k not in wrong]
    first = wrong[0]
    detail = compare_array(f"dz[:, {GATE_COLUMNS[first]}]", got[:, first * H:(first + 1) * H],
                           expected[:, first * H:(first + 1) * H], case.dtype)
    count = "all four" if len(wrong) == 4 else f"{len(wrong)} of its four"
    return (f"dz is wrong in {count} blocks: {named}"
            + (f"; the blocks {', '.join(right)} are right. " if len(right) > 1 else
               f"; the block {right[0]} is right. " if right else ". ")
            + detail)


def _gate_variant(mistake: str):
    """The gate pre-activation gradient with exactly one typical mistake (named by ``mistake``)."""

    def gate_gradients(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
        dh_next, dc_next, x_t, h_prev, c_prev, W, U, b = (
            np.asarray(a, np.float64) for a in (dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
        )
        zi, zf, zg, zo = np.split(x_t @ W + h_prev @ U + b, 4, axis=1)
        i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
        c_next = f * c_prev + i * g
        tanh_c = np.tanh(c_next)
        dc = (0 if mistake == "no dc_next" else dc_next) + dh_next * o * (1 if mistake == "no tanh'" else 1 - tanh_c**2)
        di, df, dg = dc * g, dc * (c_next if mistake == "c_next in df" else c_prev), dc * i
        if mistake == "di dg swapped":
            di, dg = dg, di
        do = (dc if mistake == "do from dc" else dh_next) * tanh_c
        if mistake == "no gate derivatives":
            return np.hstack([di, df, dg, do])
        blocks = [di * i * (1 - i), df * f * (1 - f),
                  dg * (g * (1 - g) if mistake == "sigmoid' for g" else 1 - g**2), do * o * (1 - o)]
        if mistake == "ifog":
            blocks = [blocks[0], blocks[1], blocks[3], blocks[2]]
        return np.hstack(blocks)

    return gate_gradients


GATE_MISTAKES = {
    "the gradient dc_next arriving from the next step is not added to dc": _gate_variant("no dc_next"),
    "the derivative of tanh(c_next), 1 - tanh(c_next)**2, is missing on the path from h to c":
        _gate_variant("no tanh'"),
    "the candidate g is differentiated like a sigmoid, g * (1 - g), instead of 1 - g**2":
        _gate_variant("sigmoid' for g"),
    "the blocks are stacked as i, f, o, g instead of the Keras order i, f, g, o": _gate_variant("ifog"),
    "the derivatives of the activations are left out: the blocks hold the gradients on the gate values "
    "i, f, g, o, not on their pre-activations z": _gate_variant("no gate derivatives"),
    "the forget-gate block uses the new cell state c_next where the old one, c_prev, belongs":
        _gate_variant("c_next in df"),
    "the input-gate and candidate blocks are swapped: the gradient on i is multiplied by g, the one on g by i":
        _gate_variant("di dg swapped"),
    "the output gate takes the cell gradient dc instead of dh_next: o only acts on h_next":
        _gate_variant("do from dc"),
}


def _step_variant(mistake: str):
    """A step backward that makes exactly one typical mistake (named by ``mistake``)."""

    def step(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
        dh_next, dc_next, x_t, h_prev, c_prev, W, U, b = (
            np.asarray(a, np.float64) for a in (dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
        )
        z = x_t @ W + h_prev @ U + b  # (N, 4H)
        if mistake == "ifog":  # gates sliced in the order i, f, o, g
            zi, zf, zo, zg = np.split(z, 4, axis=1)
        else:
            zi, zf, zg, zo = np.split(z, 4, axis=1)
        i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
        tanh_c = np.tanh(f * c_prev + i * g)
        through_h = dh_next * o * (1 if mistake == "no tanh'" else 1 - tanh_c**2)
        dc = through_h + (0 if mistake == "no dc_next" else dc_next)
        di = dc * g * i * (1 - i)
        df = dc * c_prev * f * (1 - f)
        dg = dc * i * (g * (1 - g) if mistake == "sigmoid' for g" else 1 - g**2)
        do = dh_next * tanh_c * o * (1 - o)
        if mistake == "ifog":
            dz = np.hstack([di, df, do, dg])
        elif mistake == "order in dW":
            dz = np.hstack([di, df, dg, do])
            dz_w = np.hstack([di, df, do, dg])
            return dz @ W.T, dz @ U.T, dc * f, x_t.T @ dz_w, h_prev.T @ dz_w, dz_w.sum(axis=0)
        else:
            dz = np.hstack([di, df, dg, do])
        dc_prev = dc if mistake == "no * f" else dc * f
        dW = x_t.T @ dz
        dU = h_prev.T @ dz
        db = dz.mean(axis=0) if mistake == "db mean" else dz.sum(axis=0)
        return dz @ W.T, dz @ U.T, dc_prev, dW, dU, db

    return step


def _chain(step, *, carry_dc=True, carry_dh=True, accumulate=True, return_dh0=True, zero_states=False,
           wrap=False, last_dh_only=False, swap_outputs=False, forwards=False):
    """Backpropagation through time built from ``step``, optionally with one mistake in the loop."""

    def backward(dh, x, h0, c0, W, U, b):
        dh, x, h0, c0, W, U, b = (np.asarray(a, np.float64) for a in (dh, x, h0, c0, W, U, b))
        N, T, D = x.shape
        H = h0.shape[1]
        if zero_states:  # the forward pass replayed from zero states instead of h0, c0
            h0, c0 = np.zeros_like(h0), np.zeros_like(c0)
        h, c = ref_lstm_forward(x, h0, c0, W, U, b)
        dx = np.zeros((N, T, D))
        dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
        dh_carry, dc_carry = np.zeros((N, H)), np.zeros((N, H))
        for t in range(T) if forwards else reversed(range(T)):
            h_prev = h0 if t == 0 and not wrap else h[:, t - 1]
            c_prev = c0 if t == 0 and not wrap else c[:, t - 1]
            upstream = dh[:, t] if t == T - 1 or not last_dh_only else 0.0
            dh_t = upstream + (dh_carry if carry_dh else 0)
            dc_t = dc_carry if carry_dc else np.zeros((N, H))
            dx[:, t], dh_carry, dc_carry, dW_t, dU_t, db_t = step(dh_t, dc_t, x[:, t], h_prev, c_prev, W, U, b)
            if accumulate:
                dW, dU, db = dW + dW_t, dU + dU_t, db + db_t
            else:
                dW, dU, db = dW_t, dU_t, db_t
        dh0 = dh_carry if return_dh0 else np.zeros((N, H))
        if swap_outputs:
            return dx, dc_carry, dh0, dW, dU, db
        return dx, dh0, dc_carry, dW, dU, db

    return backward


_correct_step = _step_variant("")

STEP_MISTAKES = {
    "the gradient dc_next arriving from the next step is not added to dc": _step_variant("no dc_next"),
    "dc_prev is dc without the factor f (the forget-gate path is missing)": _step_variant("no * f"),
    "the derivative of tanh(c_next), 1 - tanh(c_next)**2, is missing on the path from h to c":
        _step_variant("no tanh'"),
    "the candidate g is differentiated like a sigmoid, g * (1 - g), instead of 1 - g**2":
        _step_variant("sigmoid' for g"),
    "the gate blocks of dW, dU and db are stacked as i, f, o, g instead of the Keras order i, f, g, o":
        _step_variant("order in dW"),
    "the gates are sliced in the order i, f, o, g instead of the Keras order i, f, g, o":
        _step_variant("ifog"),
    "db is averaged over the batch instead of summed": _step_variant("db mean"),
    "dh_prev and dc_prev are returned in the wrong order: (dx_t, dh_prev, dc_prev, dW, dU, db)":
        lambda *args: (lambda r: (r[0], r[2], r[1], *r[3:]))(_correct_step(*args)),
}

SEQUENCE_MISTAKES = {
    "the cell gradient dc is not carried back from one step to the one before":
        _chain(_correct_step, carry_dc=False),
    "the gradient dh_prev coming back through the recurrence is not added to dh[:, t]":
        _chain(_correct_step, carry_dh=False),
    "dW, dU and db are overwritten at every step instead of summed over time":
        _chain(_correct_step, accumulate=False),
    "dh0 is left at zero instead of the gradient that reaches the initial state":
        _chain(_correct_step, return_dh0=False),
    "dc_prev is dc without the factor f (the forget-gate path is missing)": _chain(_step_variant("no * f")),
    "the derivative of tanh(c), 1 - tanh(c)**2, is missing on the path from h to c":
        _chain(_step_variant("no tanh'")),
    "the candidate g is differentiated like a sigmoid, g * (1 - g), instead of 1 - g**2":
        _chain(_step_variant("sigmoid' for g")),
    "the gate blocks of dW, dU and db are stacked as i, f, o, g instead of the Keras order i, f, g, o":
        _chain(_step_variant("order in dW")),
    "the forward pass is replayed from zero states instead of the given h0 and c0":
        _chain(_correct_step, zero_states=True),
    "the state before step 0 is read as h[:, t - 1] and c[:, t - 1], which at t = 0 are the last states; "
    "at t = 0 the previous states are h0 and c0": _chain(_correct_step, wrap=True),
    "only the last step's upstream gradient dh[:, -1] is used; every step t receives dh[:, t]":
        _chain(_correct_step, last_dh_only=True),
    "the time loop runs forwards instead of backwards (gradients flow from the last step to the first)":
        _chain(_correct_step, forwards=True),
    "dh0 and dc0 are returned in the wrong order: (dx, dh0, dc0, dW, dU, db)": _chain(_correct_step, swap_outputs=True),
}


# ---------------------------------------------------------------- problems

PROBLEMS = [
    Problem(
        name="lstm_gate_gradients",
        sprint=SPRINT,
        generate=step_cases,
        reference=ref_lstm_gate_gradients,
        output_names=("dz",),
        arg_names=("dh_next", "dc_next", "x_t", "h_prev", "c_prev", "W", "U", "b"),
        mistakes=GATE_MISTAKES,
        compare=compare_gate_blocks,
    ),
    Problem(
        name="lstm_step_backward",
        sprint=SPRINT,
        generate=step_cases,
        reference=ref_lstm_step_backward,
        output_names=("dx_t", "dh_prev", "dc_prev", "dW", "dU", "db"),
        arg_names=("dh_next", "dc_next", "x_t", "h_prev", "c_prev", "W", "U", "b"),
        mistakes=STEP_MISTAKES,
    ),
    Problem(
        name="lstm_backward",
        sprint=SPRINT,
        generate=sequence_cases,
        reference=ref_lstm_backward,
        output_names=("dx", "dh0", "dc0", "dW", "dU", "db"),
        arg_names=("dh", "x", "h0", "c0", "W", "U", "b"),
        mistakes=SEQUENCE_MISTAKES,
    ),
]
