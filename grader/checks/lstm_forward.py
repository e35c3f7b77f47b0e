"""Hidden checks for sprint 03_lstm_forward: references, input generators and typical mistakes.

The sigmoid check needs one thing a comparison of outputs cannot see: a formula that overflows gives
the right numbers (``1 / (1 + inf) == 0``) and only prints a RuntimeWarning. So the sigmoid problem is
``strict_fp``: the student's function runs under ``np.errstate(over="raise", invalid="raise",
divide="raise")``, and any such warning fails the check with a hint.
"""

from __future__ import annotations

import numpy as np

from .framework import Case, Problem, compare_array, float_case

SPRINT = "03_lstm_forward"
ROLE_KEYS = ("learn", "forget", "remember", "use")


# ---------------------------------------------------------------- inputs


def shapes(rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """(N, T, D, H): fixed corner cases (N=1, T=1, D != H, D=1) plus fresh random ones."""
    fixed = [(1, 1, 3, 2), (2, 1, 1, 4), (1, 5, 2, 3), (3, 4, 5, 5)]
    drawn = [tuple(int(v) for v in rng.integers([2, 2, 1, 1], [6, 8, 6, 7])) for _ in range(3)]
    return fixed + drawn


def dtype_of(i: int):
    return np.float32 if i % 2 else np.float64


def lstm_weights(rng, D: int, H: int):
    """W (D, 4H), U (H, 4H), b (4H,): gates mostly between 0.1 and 0.9, so every gate matters."""
    W = rng.normal(0, 1 / np.sqrt(D), (D, 4 * H))
    U = rng.normal(0, 1 / np.sqrt(H), (H, 4 * H))
    b = rng.normal(0, 0.5, 4 * H)
    return W, U, b


def gru_weights(rng, D: int, H: int):
    """W (D, 3H), U (H, 3H), b (2, 3H) with distinct input and recurrent bias rows."""
    W = rng.normal(0, 1 / np.sqrt(D), (D, 3 * H))
    U = rng.normal(0, 1 / np.sqrt(H), (H, 3 * H))
    b = rng.normal(0, 0.6, (2, 3 * H))
    return W, U, b


def states(rng, N: int, H: int):
    """h (N, H) in (-1, 1) and a cell state c (N, H) of order 1."""
    return rng.uniform(-1, 1, (N, H)), rng.normal(0, 1, (N, H))


def label(N, T, D, H, step=False):
    return f"N={N}, D={D}, H={H}" if step else f"N={N}, T={T}, D={D}, H={H}"


def sigmoid_cases(rng) -> list[Case]:
    """Arrays of several shapes mixing huge (always -1000 and +1000), overflow-edge and moderate values."""
    edges = np.array([-750.0, 720.0, -100.0, 100.0, -40.0, 40.0, 0.0])
    cases = []
    for i, shape in enumerate([(9,), (3, 5), (2, 3, 4), (1, 1), (4, 6), (2, 2, 3)]):
        z = rng.normal(0, 4, shape)
        flat = z.reshape(-1)  # a view: writing to flat writes to z
        extremes = np.concatenate([[-1000.0, 1000.0], rng.choice(edges, size=2, replace=False)])
        extremes = extremes[: flat.size] if flat.size > 1 else np.array([rng.choice([-1000.0, 1000.0])])
        flat[rng.choice(flat.size, size=extremes.size, replace=False)] = extremes
        cases.append(float_case((z,), dtype_of(i), f"z of shape {shape}"))
    # "An array of any shape": a Python number and 0-d arrays too, huge ones included.
    cases.append(Case((-1000.0,), label="z = -1000.0, a Python float"))
    cases.append(Case((float(rng.normal(0, 3)),), label="z a Python float of moderate size"))
    cases.append(Case((np.array(1000.0),), label="z = np.array(1000.0), a 0-d array"))
    cases.append(float_case((np.array(rng.normal(0, 3)),), np.float32, "z a 0-d array"))
    return cases


def lstm_step_cases(rng) -> list[Case]:
    cases = []
    for i, (N, T, D, H) in enumerate(shapes(rng)):
        x_t = rng.normal(size=(N, D))
        h_prev, c_prev = states(rng, N, H)
        args = (x_t, h_prev, c_prev, *lstm_weights(rng, D, H))
        cases.append(float_case(args, dtype_of(i), label(N, T, D, H, step=True)))
    return cases


def lstm_seq_cases(rng) -> list[Case]:
    cases = []
    for i, (N, T, D, H) in enumerate(shapes(rng)):
        x = rng.normal(size=(N, T, D))
        h0, c0 = states(rng, N, H)
        cases.append(float_case((x, h0, c0, *lstm_weights(rng, D, H)), dtype_of(i), label(N, T, D, H)))
    return cases


def gru_step_cases(rng) -> list[Case]:
    cases = []
    for i, (N, T, D, H) in enumerate(shapes(rng)):
        x_t, h_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, (N, H))
        args = (x_t, h_prev, *gru_weights(rng, D, H))
        cases.append(float_case(args, dtype_of(i), label(N, T, D, H, step=True)))
    return cases


def gru_seq_cases(rng) -> list[Case]:
    cases = []
    for i, (N, T, D, H) in enumerate(shapes(rng)):
        x, h0 = rng.normal(size=(N, T, D)), rng.uniform(-1, 1, (N, H))
        cases.append(float_case((x, h0, *gru_weights(rng, D, H)), dtype_of(i), label(N, T, D, H)))
    return cases


def peephole_cases(rng) -> list[Case]:
    cases = []
    for i, (N, T, D, H) in enumerate(shapes(rng)):
        x_t = rng.normal(size=(N, D))
        h_prev, c_prev = states(rng, N, H)
        P = rng.normal(0, 0.8, (3, H))
        args = (x_t, h_prev, c_prev, *lstm_weights(rng, D, H), P)
        cases.append(float_case(args, dtype_of(i), label(N, T, D, H, step=True)))
    return cases


# ---------------------------------------------------------------- references


def f64(*arrays):
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


def ref_sigmoid(z):
    """1 / (1 + e^-z) through e^-|z|, which never overflows."""
    (z,) = f64(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def lstm_gates(x_t, h_prev, W, U, b):
    """The four activated gates (i, f, g, o), each (N, H), Keras block order i, f, c, o."""
    H = U.shape[0]
    a = x_t @ W + h_prev @ U + b  # (N, 4H)
    i, f, g, o = (a[:, k * H:(k + 1) * H] for k in range(4))  # each (N, H)
    return ref_sigmoid(i), ref_sigmoid(f), np.tanh(g), ref_sigmoid(o)


def ref_lstm_step_forward(x_t, h_prev, c_prev, W, U, b):
    x_t, h_prev, c_prev, W, U, b = f64(x_t, h_prev, c_prev, W, U, b)
    i, f, g, o = lstm_gates(x_t, h_prev, W, U, b)
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next


def ref_lstm_forward(x, h0, c0, W, U, b):
    x, h0, c0, W, U, b = f64(x, h0, c0, W, U, b)
    N, T, _ = x.shape
    H = h0.shape[1]
    h, c = np.zeros((N, T, H)), np.zeros((N, T, H))
    h_t, c_t = h0, c0
    for t in range(T):
        h_t, c_t = ref_lstm_step_forward(x[:, t], h_t, c_t, W, U, b)
        h[:, t], c[:, t] = h_t, c_t
    return h, c


def ref_lstm_gate_roles(x_t, h_prev, c_prev, W, U, b):
    x_t, h_prev, c_prev, W, U, b = f64(x_t, h_prev, c_prev, W, U, b)
    i, f, g, o = lstm_gates(x_t, h_prev, W, U, b)
    learn, forget = i * g, f * c_prev
    remember = forget + learn
    return {"learn": learn, "forget": forget, "remember": remember, "use": o * np.tanh(remember)}


def ref_gru_step_forward(x_t, h_prev, W, U, b):
    x_t, h_prev, W, U, b = f64(x_t, h_prev, W, U, b)
    H = U.shape[0]
    from_x = x_t @ W + b[0]  # (N, 3H)
    from_h = h_prev @ U + b[1]  # (N, 3H)
    z = ref_sigmoid(from_x[:, :H] + from_h[:, :H])
    r = ref_sigmoid(from_x[:, H:2 * H] + from_h[:, H:2 * H])
    candidate = np.tanh(from_x[:, 2 * H:] + r * from_h[:, 2 * H:])
    return z * h_prev + (1 - z) * candidate


def ref_gru_forward(x, h0, W, U, b):
    x, h0, W, U, b = f64(x, h0, W, U, b)
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    h_t = h0
    for t in range(T):
        h_t = ref_gru_step_forward(x[:, t], h_t, W, U, b)
        h[:, t] = h_t
    return h


def ref_peephole_lstm_step_forward(x_t, h_prev, c_prev, W, U, b, P):
    x_t, h_prev, c_prev, W, U, b, P = f64(x_t, h_prev, c_prev, W, U, b, P)
    H = U.shape[0]
    a = x_t @ W + h_prev @ U + b  # (N, 4H)
    i = ref_sigmoid(a[:, :H] + P[0] * c_prev)
    f = ref_sigmoid(a[:, H:2 * H] + P[1] * c_prev)
    c_next = f * c_prev + i * np.tanh(a[:, 2 * H:3 * H])
    o = ref_sigmoid(a[:, 3 * H:] + P[2] * c_next)
    return o * np.tanh(c_next), c_next


# ---------------------------------------------------------------- comparisons


def compare_sigmoid(got, expected, case):
    return compare_array("sigmoid(z)", got, expected, case.dtype)


def compare_roles(got, expected, case):
    """The dict must have exactly the four keys; each value is compared as an (N, H) array."""
    wanted = ", ".join(f'"{k}"' for k in ROLE_KEYS)
    if not isinstance(got, dict):
        return f"the function should return a dict with the keys {wanted}, but it returned a {type(got).__name__}."
    missing = [k for k in ROLE_KEYS if k not in got]
    extra = [repr(k) for k in got if k not in ROLE_KEYS]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(f'"{k}"' for k in missing))
        if extra:
            parts.append("unexpected " + ", ".join(extra))
        return f"the dict should have exactly the keys {wanted} ({'; '.join(parts)})."
    for key in ROLE_KEYS:
        message = compare_array(f'roles["{key}"]', got[key], expected[key], case.dtype)
        if message:
            return message
    return None


# ---------------------------------------------------------------- typical mistakes


def lstm_variant(order="ifgo", cell_tanh=True, cand=np.tanh, use_c_prev_for_h=False, bias=True):
    """An LSTM step with the gate blocks read in ``order`` and other switches for typical slips."""

    def step(x_t, h_prev, c_prev, W, U, b):
        x_t, h_prev, c_prev, W, U, b = f64(x_t, h_prev, c_prev, W, U, b)
        H = U.shape[0]
        a = x_t @ W + h_prev @ U + (b if bias else 0)
        blocks = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
        i, f, o = (ref_sigmoid(blocks[k]) for k in "ifo")
        c_next = f * c_prev + i * cand(blocks["g"])
        c_out = c_prev if use_c_prev_for_h else c_next
        return o * (np.tanh(c_out) if cell_tanh else c_out), c_next

    return step


def lstm_seq_variant(step, carry_c=True, carry_h=True):
    def forward(x, h0, c0, W, U, b):
        x, h0, c0, W, U, b = f64(x, h0, c0, W, U, b)
        N, T, _ = x.shape
        h, c = np.zeros((N, T, h0.shape[1])), np.zeros((N, T, h0.shape[1]))
        h_t, c_t = h0, c0
        for t in range(T):
            h_new, c_new = step(x[:, t], h_t if carry_h else h0, c_t if carry_c else c0, W, U, b)
            h[:, t], c[:, t] = h_new, c_new
            h_t, c_t = h_new, c_new
        return h, c

    return forward


def roles_variant(**changes):
    def roles(x_t, h_prev, c_prev, W, U, b):
        x_t, h_prev, c_prev, W, U, b = f64(x_t, h_prev, c_prev, W, U, b)
        i, f, g, o = lstm_gates(x_t, h_prev, W, U, b)
        parts = {"i": i, "f": f, "g": g, "o": o, "c_prev": c_prev}
        out = ref_lstm_gate_roles(x_t, h_prev, c_prev, W, U, b)
        out.update({k: fn(parts, out) for k, fn in changes.items()})
        return out

    return roles


def gru_variant(reset_before=False, swap_z=False, swap_bias=False, order="zrh", bias_outside=False, rows=(0, 1),
                no_reset=False):
    def step(x_t, h_prev, W, U, b):
        x_t, h_prev, W, U, b = f64(x_t, h_prev, W, U, b)
        H = U.shape[0]
        b_in, b_rec = (b[1], b[0]) if swap_bias else (b[rows[0]], b[rows[1]])
        idx = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(order)}
        from_x = x_t @ W + b_in
        z = ref_sigmoid(from_x[:, idx["z"]] + h_prev @ U[:, idx["z"]] + b_rec[idx["z"]])
        r = ref_sigmoid(from_x[:, idx["r"]] + h_prev @ U[:, idx["r"]] + b_rec[idx["r"]])
        r = np.ones_like(r) if no_reset else r
        if reset_before:
            rec = (r * h_prev) @ U[:, idx["h"]] + b_rec[idx["h"]]
        elif bias_outside:
            rec = r * (h_prev @ U[:, idx["h"]]) + b_rec[idx["h"]]
        else:
            rec = r * (h_prev @ U[:, idx["h"]] + b_rec[idx["h"]])
        candidate = np.tanh(from_x[:, idx["h"]] + rec)
        if swap_z:
            return (1 - z) * h_prev + z * candidate
        return z * h_prev + (1 - z) * candidate

    return step


def gru_seq_variant(step, carry_h=True):
    def forward(x, h0, W, U, b):
        x, h0, W, U, b = f64(x, h0, W, U, b)
        h = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
        h_t = h0
        for t in range(x.shape[1]):
            h[:, t] = step(x[:, t], h_t if carry_h else h0, W, U, b)
            h_t = h[:, t]
        return h

    return forward


def peephole_variant(o_looks_at_prev=False, rows=(0, 1, 2), skip=False):
    def step(x_t, h_prev, c_prev, W, U, b, P):
        x_t, h_prev, c_prev, W, U, b, P = f64(x_t, h_prev, c_prev, W, U, b, P)
        P = np.zeros_like(P) if skip else P
        H = U.shape[0]
        a = x_t @ W + h_prev @ U + b
        i = ref_sigmoid(a[:, :H] + P[rows[0]] * c_prev)
        f = ref_sigmoid(a[:, H:2 * H] + P[rows[1]] * c_prev)
        c_next = f * c_prev + i * np.tanh(a[:, 2 * H:3 * H])
        o = ref_sigmoid(a[:, 3 * H:] + P[rows[2]] * (c_prev if o_looks_at_prev else c_next))
        return o * np.tanh(c_next), c_next

    return step


def swapped_outputs(step):
    """The two results in the wrong order: (c, h) instead of (h, c)."""
    return lambda *args: step(*args)[::-1]


LSTM_STEP_MISTAKES = {
    "the gate blocks are read in the order i, f, o, c instead of Keras' i, f, c, o": lstm_variant("ifog"),
    "the input gate i and the forget gate f are swapped": lstm_variant("figo"),
    "tanh of the new cell state is left out (h = o * c)": lstm_variant(cell_tanh=False),
    "the candidate g goes through a sigmoid instead of tanh": lstm_variant(cand=ref_sigmoid),
    "h is computed from the old cell state c_prev instead of the new one": lstm_variant(use_c_prev_for_h=True),
    "the bias b is left out": lstm_variant(bias=False),
    "the results are returned in the wrong order: return (h_next, c_next), not (c_next, h_next)":
        swapped_outputs(lstm_variant()),
}


# ---------------------------------------------------------------- problems

PROBLEMS = [
    Problem(
        name="sigmoid",
        sprint=SPRINT,
        generate=sigmoid_cases,
        reference=ref_sigmoid,
        output_names=("sigmoid(z)",),
        arg_names=("z",),
        compare=compare_sigmoid,
        strict_fp=True,
        error_hints={"IndexError": "z may be a Python number or a 0-d array (\"an array of any shape\"): "
                                   "convert with np.asarray(z) and use np.where or masks that work for 0-d "
                                   "arrays too."},
        mistakes={
            "the sign of the exponent is flipped (1 / (1 + e^z))": lambda z: ref_sigmoid(-z),
            "tanh is used instead of the sigmoid": lambda z: np.tanh(np.asarray(z, np.float64)),
            "tanh(z) is not halved in 0.5 * (1 + tanh(z / 2))": lambda z: 0.5 * (1 + np.tanh(z)),
        },
    ),
    Problem(
        name="lstm_step_forward",
        sprint=SPRINT,
        generate=lstm_step_cases,
        reference=ref_lstm_step_forward,
        output_names=("h_next", "c_next"),
        arg_names=("x_t", "h_prev", "c_prev", "W", "U", "b"),
        mistakes=dict(LSTM_STEP_MISTAKES),
    ),
    Problem(
        name="lstm_forward",
        sprint=SPRINT,
        generate=lstm_seq_cases,
        reference=ref_lstm_forward,
        output_names=("h", "c"),
        arg_names=("x", "h0", "c0", "W", "U", "b"),
        mistakes={
            "the cell state is not carried from one step to the next (c0 used at every step)":
                lstm_seq_variant(lstm_variant(), carry_c=False),
            "the hidden state is not carried from one step to the next (h0 used at every step)":
                lstm_seq_variant(lstm_variant(), carry_h=False),
            **{hint: lstm_seq_variant(step) for hint, step in LSTM_STEP_MISTAKES.items()},
            "the results are returned in the wrong order: return (h, c), not (c, h)":
                swapped_outputs(lstm_seq_variant(lstm_variant())),
            "the states are stacked time-major, (T, N, H); this course uses (N, T, H)":
                lambda *a: tuple(o.transpose(1, 0, 2) for o in ref_lstm_forward(*a)),
            "the cell state is reset to zero at every step (c_prev must be the previous step's c)":
                lambda x, h0, c0, W, U, b: lstm_seq_variant(lambda xt, h, c, *w: lstm_variant()(xt, h, 0 * c, *w))(
                    x, h0, c0, W, U, b),
            "the loop starts from zero states instead of h0 and c0 (reading h[:, t - 1] at t = 0 gives "
            "h[:, -1]: use h0 and c0 there)":
                lambda x, h0, c0, W, U, b: ref_lstm_forward(x, 0 * h0, 0 * c0, W, U, b),
        },
    ),
    Problem(
        name="lstm_gate_roles",
        sprint=SPRINT,
        generate=lstm_step_cases,
        reference=ref_lstm_gate_roles,
        arg_names=("x_t", "h_prev", "c_prev", "W", "U", "b"),
        compare=compare_roles,
        mistakes={
            '"learn" is the candidate g alone, without the input gate (it should be i * g)':
                roles_variant(learn=lambda p, r: p["g"]),
            '"learn" is the input gate i alone (it should be i * g)': roles_variant(learn=lambda p, r: p["i"]),
            '"forget" is the gate f alone (it should be f * c_prev, what the memory keeps)':
                roles_variant(forget=lambda p, r: p["f"]),
            '"forget" is (1 - f) * c_prev, what is dropped, instead of f * c_prev, what is kept':
                roles_variant(forget=lambda p, r: (1 - p["f"]) * p["c_prev"]),
            '"use" has no tanh (it should be o * tanh(c_t))':
                roles_variant(use=lambda p, r: p["o"] * r["remember"]),
            '"use" leaves out the output gate (it should be o * tanh(c_t))':
                roles_variant(use=lambda p, r: np.tanh(r["remember"])),
            '"remember" is the old cell state c_prev (it should be the new one, forget + learn)':
                roles_variant(remember=lambda p, r: p["c_prev"]),
            '"learn" and "forget" are swapped': roles_variant(learn=lambda p, r: p["f"] * p["c_prev"],
                                                               forget=lambda p, r: p["i"] * p["g"]),
        },
    ),
    Problem(
        name="gru_step_forward",
        sprint=SPRINT,
        generate=gru_step_cases,
        reference=ref_gru_step_forward,
        output_names=("h_next",),
        arg_names=("x_t", "h_prev", "W", "U", "b"),
        mistakes={
            "the reset gate multiplies h_prev before the matmul (Keras reset_after=False) instead of after it":
                gru_variant(reset_before=True),
            "z and 1 - z are swapped (z should weigh the old state h_prev)": gru_variant(swap_z=True),
            "the two bias rows are swapped (row 0 is the input bias, row 1 the recurrent bias)":
                gru_variant(swap_bias=True),
            "the z and r blocks are swapped (Keras order is z, r, h)": gru_variant(order="rzh"),
            "the recurrent bias of the candidate is added outside r * (h_prev @ U_h + b1_h)":
                gru_variant(bias_outside=True),
            "one bias row, b[0], is used for both the input and the recurrent part (b[1] is the recurrent "
            "bias)": gru_variant(rows=(0, 0)),
            "the reset gate is left out (the candidate uses h_prev @ U_h + b1_h unscaled)": gru_variant(no_reset=True),
            "one bias row, b[1], is used for both the input and the recurrent part (b[0] is the input bias)":
                gru_variant(rows=(1, 1)),
        },
    ),
    Problem(
        name="gru_forward",
        sprint=SPRINT,
        generate=gru_seq_cases,
        reference=ref_gru_forward,
        output_names=("h",),
        arg_names=("x", "h0", "W", "U", "b"),
        mistakes={
            "the hidden state is not carried from one step to the next (h0 used at every step)":
                gru_seq_variant(gru_variant(), carry_h=False),
            "the reset gate multiplies h_prev before the matmul instead of after it":
                gru_seq_variant(gru_variant(reset_before=True)),
            "z and 1 - z are swapped": gru_seq_variant(gru_variant(swap_z=True)),
            "the two bias rows are swapped": gru_seq_variant(gru_variant(swap_bias=True)),
            "one bias row, b[0], is used for both the input and the recurrent part (b[1] is the recurrent "
            "bias)": gru_seq_variant(gru_variant(rows=(0, 0))),
            "the z and r blocks are swapped (Keras order is z, r, h)": gru_seq_variant(gru_variant(order="rzh")),
            "the states are stacked time-major, (T, N, H); this course uses (N, T, H)":
                lambda *a: ref_gru_forward(*a).transpose(1, 0, 2),
            "the loop starts from a zero state instead of h0 (reading h[:, t - 1] at t = 0 gives h[:, -1]: "
            "use h0 there)": lambda x, h0, W, U, b: ref_gru_forward(x, 0 * h0, W, U, b),
        },
    ),
    Problem(
        name="peephole_lstm_step_forward",
        sprint=SPRINT,
        generate=peephole_cases,
        reference=ref_peephole_lstm_step_forward,
        output_names=("h_next", "c_next"),
        arg_names=("x_t", "h_prev", "c_prev", "W", "U", "b", "P"),
        mistakes={
            "the output gate looks at c_prev instead of the new cell state c_t":
                peephole_variant(o_looks_at_prev=True),
            "the peephole rows of i and f are swapped": peephole_variant(rows=(1, 0, 2)),
            "the peepholes P are left out (a plain LSTM step)": peephole_variant(skip=True),
            "the rows of P are read in the order o, f, i instead of i, f, o": peephole_variant(rows=(2, 1, 0)),
            "the results are returned in the wrong order: return (h_next, c_next), not (c_next, h_next)":
                swapped_outputs(peephole_variant()),
        },
    ),
]
