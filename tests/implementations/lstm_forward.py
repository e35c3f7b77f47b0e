"""Implementations of sprint 03_lstm_forward problems, written the way students write them."""

import math

import numpy as np


def sig(z):
    """A warning-free sigmoid the other implementations below rely on."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# ---------------------------------------------------------------- sigmoid


def sigmoid_naive(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_where_both_branches(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def sigmoid_exp_ratio(z):
    return np.exp(z) / (1 + np.exp(z))


def sigmoid_sign_flipped(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1 + e), 1 / (1 + e))


def sigmoid_math_exp(z):
    return np.vectorize(lambda v: 1 / (1 + math.exp(-v)))(z).astype(np.float64)


def sigmoid_tanh_not_halved(z):
    return 0.5 * (1 + np.tanh(z))


def sigmoid_in_place(z):
    negative = z < 0
    np.abs(z, out=z)  # reuses the memory of z: the caller's array is overwritten
    e = np.exp(-z)
    return np.where(negative, e / (1 + e), 1 / (1 + e))


def sigmoid_float32(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)


def sigmoid_masks(z):
    out = np.empty(np.shape(z), dtype=np.float64)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1 + e)
    return out


def sigmoid_tanh(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def sigmoid_clipped(z):
    return 1 / (1 + np.exp(-np.clip(z, -60, 60)))  # exp(60) fits in float32 as well


def sigmoid_clipped_float64_only(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))  # exp(500) overflows in float32


def sigmoid_logaddexp(z):
    return np.exp(-np.logaddexp(0, -z))


# ---------------------------------------------------------------- LSTM step


def lstm_step(x_t, h_prev, c_prev, W, U, b, order="ifgo", cell_tanh=True, bias=True, cand=np.tanh):
    H = h_prev.shape[1]
    a = x_t @ W + h_prev @ U + (b if bias else 0)
    blocks = dict(zip(order, np.split(a, 4, axis=1)))
    i, f, o = sig(blocks["i"]), sig(blocks["f"]), sig(blocks["o"])
    assert blocks["g"].shape[1] == H
    c_next = f * c_prev + i * cand(blocks["g"])
    return o * (np.tanh(c_next) if cell_tanh else c_next), c_next


def step_order_ifoc(*args):
    return lstm_step(*args, order="ifog")


def step_i_f_swapped(*args):
    return lstm_step(*args, order="figo")


def step_no_cell_tanh(*args):
    return lstm_step(*args, cell_tanh=False)


def step_no_bias(*args):
    return lstm_step(*args, bias=False)


def step_sigmoid_candidate(*args):
    return lstm_step(*args, cand=sig)


def step_h_from_c_prev(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = np.split(x_t @ W + h_prev @ U + b, 4, axis=1)
    c_next = sig(f) * c_prev + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c_prev), c_next


def step_mutates_c_prev(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = np.split(x_t @ W + h_prev @ U + b, 4, axis=1)
    c_prev *= sig(f)
    c_prev += sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c_prev), c_prev


def step_float32(x_t, h_prev, c_prev, W, U, b):
    h, c = lstm_step(x_t, h_prev, c_prev, W, U, b)
    return h.astype(np.float32), c.astype(np.float32)


def step_split_weights(x_t, h_prev, c_prev, W, U, b):
    x_t, h_prev, c_prev = (np.asarray(a, np.float64) for a in (x_t, h_prev, c_prev))
    H = U.shape[0]

    def gate(k):
        cols = slice(k * H, (k + 1) * H)
        return x_t @ W[:, cols] + h_prev @ U[:, cols] + b[cols]

    i, f, g, o = sig(gate(0)), sig(gate(1)), np.tanh(gate(2)), sig(gate(3))
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next


def step_fused_concat(x_t, h_prev, c_prev, W, U, b):
    xh = np.concatenate([x_t, h_prev], axis=1).astype(np.float64)
    a = xh @ np.vstack([W, U]).astype(np.float64) + b
    H = U.shape[0]
    i, f, o = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 3 * H:])
    c_next = f * c_prev + i * np.tanh(a[:, 2 * H:3 * H])
    return o * np.tanh(c_next), c_next


def step_einsum_native_dtype(x_t, h_prev, c_prev, W, U, b):
    """Keeps float32 inputs in float32 (allowed: only float64 inputs must give float64)."""
    a = np.einsum("nd,dk->nk", x_t, W) + np.einsum("nh,hk->nk", h_prev, U) + b
    H = U.shape[0]
    i, f, g, o = (a[:, k * H:(k + 1) * H] for k in range(4))
    one = a.dtype.type(1)
    i, f, o = (one / (one + np.exp(-v)) for v in (i, f, o))  # these gates stay moderate here
    c_next = f * c_prev + i * np.tanh(g)
    return o * np.tanh(c_next), c_next


# ---------------------------------------------------------------- LSTM sequence


def lstm_run(x, h0, c0, W, U, b, step=lstm_step, carry_c=True, carry_h=True, zero_c=False):
    N, T, _ = x.shape
    H = h0.shape[1]
    hs, cs = np.zeros((N, T, H)), np.zeros((N, T, H))
    h, c = h0, c0
    for t in range(T):
        c_in = np.zeros_like(c0) if zero_c else (c if carry_c else c0)
        h_new, c_new = step(x[:, t, :], h if carry_h else h0, c_in, W, U, b)
        hs[:, t], cs[:, t] = h_new, c_new
        h, c = h_new, c_new
    return hs, cs


def forward_c_not_carried(*args):
    return lstm_run(*args, carry_c=False)


def forward_h_not_carried(*args):
    return lstm_run(*args, carry_h=False)


def forward_c_reset_to_zero(*args):
    return lstm_run(*args, zero_c=True)


def forward_order_ifoc(*args):
    return lstm_run(*args, step=step_order_ifoc)


def forward_no_cell_tanh(*args):
    return lstm_run(*args, step=step_no_cell_tanh)


def forward_time_major(*args):
    h, c = lstm_run(*args)
    return h.transpose(1, 0, 2), c.transpose(1, 0, 2)


def forward_precomputed_inputs(x, h0, c0, W, U, b):
    x = np.asarray(x, np.float64)
    xw = np.einsum("ntd,dk->ntk", x, W) + b  # (N, T, 4H) for every step at once
    H = h0.shape[1]
    h, c = np.asarray(h0, np.float64), np.asarray(c0, np.float64)
    hs, cs = [], []
    for t in range(x.shape[1]):
        a = xw[:, t] + h @ U
        i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)


def forward_with_step(x, h0, c0, W, U, b):
    h, c = h0, c0
    outs = []
    for t in range(x.shape[1]):
        h, c = step_fused_concat(x[:, t], h, c, W, U, b)
        outs.append((h, c))
    return np.stack([o[0] for o in outs], 1), np.stack([o[1] for o in outs], 1)


# ---------------------------------------------------------------- gate roles


def gates(x_t, h_prev, W, U, b):
    i, f, g, o = np.split(np.asarray(x_t @ W + h_prev @ U + b, np.float64), 4, axis=1)
    return sig(i), sig(f), np.tanh(g), sig(o)


def roles_learn_is_g(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    c = f * c_prev + i * g
    return {"learn": g, "forget": f * c_prev, "remember": c, "use": o * np.tanh(c)}


def roles_forget_is_f(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    c = f * c_prev + i * g
    return {"learn": i * g, "forget": f, "remember": c, "use": o * np.tanh(c)}


def roles_use_without_tanh(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    c = f * c_prev + i * g
    return {"learn": i * g, "forget": f * c_prev, "remember": c, "use": o * c}


def roles_tuple(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    c = f * c_prev + i * g
    return i * g, f * c_prev, c, o * np.tanh(c)


def roles_capitalised(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    c = f * c_prev + i * g
    return {"Learn": i * g, "Forget": f * c_prev, "Remember": c, "Use": o * np.tanh(c)}


def roles_swapped(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    c = f * c_prev + i * g
    return {"learn": f * c_prev, "forget": i * g, "remember": c, "use": o * np.tanh(c)}


def roles_missing_remember(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    return {"learn": i * g, "forget": f * c_prev, "use": o * np.tanh(f * c_prev + i * g)}


def roles_remember_is_c_prev(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    c = f * c_prev + i * g
    return {"learn": i * g, "forget": f * c_prev, "remember": np.array(c_prev, np.float64),
            "use": o * np.tanh(c)}


def roles_from_step(x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = gates(x_t, h_prev, W, U, b)
    h, c = step_split_weights(x_t, h_prev, c_prev, W, U, b)
    return {"use": h, "remember": c, "forget": f * c_prev, "learn": i * g}


def roles_by_slices(x_t, h_prev, c_prev, W, U, b):
    x_t, h_prev, c_prev = (np.asarray(a, np.float64) for a in (x_t, h_prev, c_prev))
    H = U.shape[0]
    a = x_t @ W + h_prev @ U + b
    learn = sig(a[:, :H]) * np.tanh(a[:, 2 * H:3 * H])
    forget = sig(a[:, H:2 * H]) * c_prev
    remember = learn + forget
    return dict(learn=learn, forget=forget, remember=remember, use=sig(a[:, 3 * H:]) * np.tanh(remember))


# ---------------------------------------------------------------- GRU


def gru_step(x_t, h_prev, W, U, b, reset_before=False, swap_z=False, swap_bias=False, order="zrh",
             no_reset=False, bias_outside=False):
    H = h_prev.shape[1]
    b_in, b_rec = (b[1], b[0]) if swap_bias else (b[0], b[1])
    gx = dict(zip(order, np.split(x_t @ W + b_in, 3, axis=1)))
    Us = dict(zip(order, np.split(U, 3, axis=1)))
    bs = dict(zip(order, np.split(b_rec, 3)))
    z = sig(gx["z"] + h_prev @ Us["z"] + bs["z"])
    r = np.ones((1, H)) if no_reset else sig(gx["r"] + h_prev @ Us["r"] + bs["r"])
    if reset_before:
        cand = np.tanh(gx["h"] + (r * h_prev) @ Us["h"] + bs["h"])
    elif bias_outside:
        cand = np.tanh(gx["h"] + bs["h"] + r * (h_prev @ Us["h"]))
    else:
        cand = np.tanh(gx["h"] + r * (h_prev @ Us["h"] + bs["h"]))
    return (1 - z) * h_prev + z * cand if swap_z else z * h_prev + (1 - z) * cand


def gru_reset_before(*args):
    return gru_step(*args, reset_before=True)


def gru_z_swapped(*args):
    return gru_step(*args, swap_z=True)


def gru_bias_rows_swapped(*args):
    return gru_step(*args, swap_bias=True)


def gru_order_rzh(*args):
    return gru_step(*args, order="rzh")


def gru_no_reset(*args):
    return gru_step(*args, no_reset=True)


def gru_recurrent_bias_outside_reset(*args):
    return gru_step(*args, bias_outside=True)


def gru_step_slices(x_t, h_prev, W, U, b):
    x_t, h_prev = np.asarray(x_t, np.float64), np.asarray(h_prev, np.float64)
    H = U.shape[0]
    cols = [slice(k * H, (k + 1) * H) for k in range(3)]
    z = sig(x_t @ W[:, cols[0]] + b[0, cols[0]] + h_prev @ U[:, cols[0]] + b[1, cols[0]])
    r = sig(x_t @ W[:, cols[1]] + b[0, cols[1]] + h_prev @ U[:, cols[1]] + b[1, cols[1]])
    cand = np.tanh(x_t @ W[:, cols[2]] + b[0, cols[2]] + r * (h_prev @ U[:, cols[2]] + b[1, cols[2]]))
    return cand + z * (h_prev - cand)


def gru_step_einsum(x_t, h_prev, W, U, b):
    gx = np.einsum("nd,dk->nk", x_t, W).astype(np.float64) + b[0]
    gh = np.einsum("nh,hk->nk", h_prev, U).astype(np.float64) + b[1]
    H = U.shape[0]
    zr = sig(gx[:, :2 * H] + gh[:, :2 * H])
    z, r = zr[:, :H], zr[:, H:]
    return z * h_prev + (1 - z) * np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])


def gru_run(x, h0, W, U, b, step=gru_step, carry_h=True):
    hs = []
    h = h0
    for t in range(x.shape[1]):
        h = step(x[:, t], h if carry_h else h0, W, U, b)
        hs.append(h)
    return np.stack(hs, axis=1).astype(np.float64)


def gru_forward_h_not_carried(*args):
    return gru_run(*args, carry_h=False)


def gru_forward_reset_before(*args):
    return gru_run(*args, step=gru_reset_before)


def gru_forward_z_swapped(*args):
    return gru_run(*args, step=gru_z_swapped)


def gru_forward_bias_rows_swapped(*args):
    return gru_run(*args, step=gru_bias_rows_swapped)


def gru_forward_time_major(*args):
    return gru_run(*args).transpose(1, 0, 2)


def gru_forward_last_only(*args):
    return gru_run(*args)[:, -1]


def gru_forward_slices(x, h0, W, U, b):
    return gru_run(x, h0, W, U, b, step=gru_step_slices)


def gru_forward_preallocated(x, h0, W, U, b):
    x = np.asarray(x, np.float64)
    N, T, _ = x.shape
    out = np.empty((N, T, h0.shape[1]))
    gx_all = x @ W + b[0]  # (N, T, 3H)
    H = h0.shape[1]
    h = np.array(h0, np.float64)
    for t in range(T):
        gh = h @ U + b[1]
        z = sig(gx_all[:, t, :H] + gh[:, :H])
        r = sig(gx_all[:, t, H:2 * H] + gh[:, H:2 * H])
        h = z * h + (1 - z) * np.tanh(gx_all[:, t, 2 * H:] + r * gh[:, 2 * H:])
        out[:, t] = h
    return out


# ---------------------------------------------------------------- peephole LSTM


def peephole(x_t, h_prev, c_prev, W, U, b, P, o_prev=False, rows=(0, 1, 2), use_p=True, on_h=False):
    i, f, g, o = np.split(x_t @ W + h_prev @ U + b, 4, axis=1)
    P = P if use_p else np.zeros_like(P)
    look = h_prev if on_h else c_prev
    i = sig(i + P[rows[0]] * look)
    f = sig(f + P[rows[1]] * look)
    c_next = f * c_prev + i * np.tanh(g)
    o = sig(o + P[rows[2]] * (look if o_prev else c_next))
    return o * np.tanh(c_next), c_next


def peephole_o_sees_c_prev(*args):
    return peephole(*args, o_prev=True)


def peephole_i_f_rows_swapped(*args):
    return peephole(*args, rows=(1, 0, 2))


def peephole_none(*args):
    return peephole(*args, use_p=False)


def peephole_rows_reversed(*args):
    return peephole(*args, rows=(2, 1, 0))


def peephole_looks_at_h(*args):
    return peephole(*args, on_h=True)


def peephole_i_row_everywhere(*args):
    return peephole(*args, rows=(0, 0, 0))


def peephole_split(x_t, h_prev, c_prev, W, U, b, P):
    x_t, h_prev, c_prev = (np.asarray(a, np.float64) for a in (x_t, h_prev, c_prev))
    H = U.shape[0]
    p_i, p_f, p_o = P
    pre = [x_t @ W[:, k * H:(k + 1) * H] + h_prev @ U[:, k * H:(k + 1) * H] + b[k * H:(k + 1) * H]
           for k in range(4)]
    i = sig(pre[0] + p_i * c_prev)
    f = sig(pre[1] + p_f * c_prev)
    c_next = f * c_prev + i * np.tanh(pre[2])
    h_next = sig(pre[3] + p_o * c_next) * np.tanh(c_next)
    return h_next, c_next


def peephole_diag_matrices(x_t, h_prev, c_prev, W, U, b, P):
    a = np.concatenate([x_t, h_prev], 1).astype(np.float64) @ np.vstack([W, U]) + b
    H = U.shape[0]
    i = sig(a[:, :H] + c_prev @ np.diag(P[0]))
    f = sig(a[:, H:2 * H] + c_prev @ np.diag(P[1]))
    c_next = f * c_prev + i * np.tanh(a[:, 2 * H:3 * H])
    o = sig(a[:, 3 * H:] + c_next @ np.diag(P[2]))
    return o * np.tanh(c_next), c_next


WRONG = {
    "sigmoid": {
        "1 / (1 + exp(-z)): overflow warning": (sigmoid_naive, "is not numerically stable"),
        "np.where over two overflowing branches": (sigmoid_where_both_branches, "is not numerically stable"),
        "exp(z) / (1 + exp(z)): NaN at +1000": (sigmoid_exp_ratio, "is not numerically stable"),
        "sign flipped": (sigmoid_sign_flipped, "the sign of the exponent is flipped"),
        "math.exp: OverflowError": (sigmoid_math_exp, "Hint: Python's math functions raise on overflow (math"),
        "0.5 * (1 + tanh(z)) without halving z": (sigmoid_tanh_not_halved, "is not halved"),
        "overwrites z in place": (sigmoid_in_place, "changed its input z in place"),
        "casts to float32": (sigmoid_float32, "work in float64"),
        "clipped at +-500, overflows in float32": (sigmoid_clipped_float64_only, "is not numerically stable"),
    },
    "lstm_step_forward": {
        "gate order i, f, o, c": (
            step_order_ifoc, "the gate blocks are read in the order i, f, o, c instead of Keras' i,"),
        "i and f swapped": (step_i_f_swapped, "the input gate i and the forget gate f are swapped"),
        "no tanh of the cell state": (step_no_cell_tanh, "tanh of the new cell state is left out"),
        "no bias": (step_no_bias, "the bias b is left out"),
        "sigmoid candidate": (step_sigmoid_candidate, "the candidate g goes through a sigmoid instead of tanh"),
        "h from c_prev": (step_h_from_c_prev, "h is computed from the old cell state c_prev instead of the new one"),
        "mutates c_prev": (step_mutates_c_prev, "changed its input c_prev in place"),
        "casts to float32": (step_float32, "work in float64"),
    },
    "lstm_forward": {
        "cell state not carried": (forward_c_not_carried, "the cell state is not carried from one step to the next"),
        "hidden state not carried": (
            forward_h_not_carried, "the hidden state is not carried from one step to the next"),
        "cell state reset to zero": (forward_c_reset_to_zero, "the cell state is reset to zero"),
        "gate order i, f, o, c": (
            forward_order_ifoc, "the gate blocks are read in the order i, f, o, c instead of Keras' i,"),
        "no tanh of the cell state": (forward_no_cell_tanh, "tanh of the new cell state is left out"),
        "time-major output": (forward_time_major, "time-major"),
    },
    "lstm_gate_roles": {
        "learn is g": (roles_learn_is_g, "\"learn\" is the candidate g alone, without the input gate"),
        "forget is f": (roles_forget_is_f, "\"forget\" is the gate f alone"),
        "use without tanh": (roles_use_without_tanh, "\"use\" has no tanh"),
        "returns a tuple": (roles_tuple, "should return a dict"),
        "capitalised keys": (roles_capitalised, "the dict should have exactly the keys"),
        "learn and forget swapped": (roles_swapped, "\"learn\" and \"forget\" are swapped"),
        "missing remember": (roles_missing_remember, "the dict should have exactly the keys"),
        "remember is c_prev": (roles_remember_is_c_prev, "\"remember\" is the old cell state c_prev"),
    },
    "gru_step_forward": {
        "reset applied before the matmul": (gru_reset_before, "the reset gate multiplies h_prev before the matmul"),
        "z and 1 - z swapped": (gru_z_swapped, "z and 1 - z are swapped"),
        "bias rows swapped": (gru_bias_rows_swapped, "the two bias rows are swapped"),
        "blocks in the order r, z, h": (gru_order_rzh, "the z and r blocks are swapped"),
        "no reset gate": (gru_no_reset, "the reset gate is left out"),
        "recurrent candidate bias outside the reset": (
            gru_recurrent_bias_outside_reset, "the recurrent bias of the candidate is added outside r *"),
    },
    "gru_forward": {
        "hidden state not carried": (
            gru_forward_h_not_carried, "the hidden state is not carried from one step to the next"),
        "reset applied before the matmul": (
            gru_forward_reset_before, "the reset gate multiplies h_prev before the matmul instead of after it"),
        "z and 1 - z swapped": (gru_forward_z_swapped, "z and 1 - z are swapped"),
        "bias rows swapped": (gru_forward_bias_rows_swapped, "the two bias rows are swapped"),
        "time-major output": (gru_forward_time_major, "time-major"),
        "returns the last state only": (gru_forward_last_only, "h has shape (1, 2); expected (1, 1, 2)"),
    },
    "peephole_lstm_step_forward": {
        "o looks at c_prev": (peephole_o_sees_c_prev, "the output gate looks at c_prev"),
        "i and f peephole rows swapped": (peephole_i_f_rows_swapped, "the peephole rows of i and f are swapped"),
        "no peepholes": (peephole_none, "the peepholes P are left out"),
        "rows read in the order o, f, i": (peephole_rows_reversed, "read in the order o, f, i"),
        "peepholes look at h_prev": peephole_looks_at_h,
        "the i row used for every gate": peephole_i_row_everywhere,
    },
}

CORRECT = {
    "sigmoid": {
        "boolean masks": sigmoid_masks,
        "tanh identity": sigmoid_tanh,
        "clipped input": sigmoid_clipped,
        "logaddexp": sigmoid_logaddexp,
    },
    "lstm_step_forward": {
        "one matmul per gate": step_split_weights,
        "fused [x, h] matmul": step_fused_concat,
        "einsum in the input dtype": step_einsum_native_dtype,
    },
    "lstm_forward": {
        "input projections precomputed": forward_precomputed_inputs,
        "loop over a step function": forward_with_step,
    },
    "lstm_gate_roles": {
        "from the step function": roles_from_step,
        "column slices": roles_by_slices,
    },
    "gru_step_forward": {
        "slices per gate": gru_step_slices,
        "einsum with fused z, r": gru_step_einsum,
    },
    "gru_forward": {
        "loop over a step function": gru_forward_slices,
        "input projections precomputed": gru_forward_preallocated,
    },
    "peephole_lstm_step_forward": {
        "split weights": peephole_split,
        "diagonal matrices": peephole_diag_matrices,
    },
}


# ---------------------------------------------------------------- new families: scalars, output order, bias rows


def sigmoid_masks_no_asarray(z):
    out = np.empty(np.shape(z), dtype=np.float64)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))  # a Python float cannot be indexed
    e = np.exp(z[~pos])
    out[~pos] = e / (1 + e)
    return out


def sigmoid_masks_asarray(z):
    return sigmoid_masks(np.asarray(z))


def sigmoid_flat_loop(z):
    z = np.asarray(z, dtype=np.float64)
    flat = z.reshape(-1)  # a copy for a non-contiguous z: only read here
    out = np.array([1 / (1 + np.exp(-v)) if v >= 0 else np.exp(v) / (1 + np.exp(v)) for v in flat.tolist()])
    return out.reshape(z.shape)


def sigmoid_atleast_1d(z):
    z = np.atleast_1d(np.asarray(z, dtype=np.float64))  # a 0-d input comes back with shape (1,)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_tensorflow(z):
    import tensorflow as tf

    return tf.math.sigmoid(tf.constant(np.asarray(z, dtype=np.float64))).numpy()


def sigmoid_writes_through_ravel(z):
    flat = z.ravel()  # a view when z is contiguous
    np.negative(np.abs(flat), out=flat)  # overwrites the caller's z with -|z|
    e = np.exp(flat.reshape(np.shape(z)))
    return np.where(np.asarray(z) >= 0, 1 / (1 + e), e / (1 + e))


def step_returns_c_h(x_t, h_prev, c_prev, W, U, b):
    h, c = step_split_weights(x_t, h_prev, c_prev, W, U, b)
    return c, h


def step_both_transposed(x_t, h_prev, c_prev, W, U, b):
    H = U.shape[0]
    a = x_t @ W.T.T + h_prev @ U.T.T + b  # harmless double transposes
    i, f, g, o = (a[:, k * H:(k + 1) * H] for k in range(4))
    c = sig(f) * c_prev + sig(i) * np.tanh(g)
    return (sig(o) * np.tanh(c)).astype(np.float64), c.astype(np.float64)


def forward_returns_c_h(x, h0, c0, W, U, b):
    h, c = forward_with_step(x, h0, c0, W, U, b)
    return c, h


def forward_wraps_at_t0(x, h0, c0, W, U, b):
    N, T, _ = x.shape
    h, c = np.zeros((N, T, h0.shape[1])), np.zeros((N, T, h0.shape[1]))
    for t in range(T):
        h[:, t], c[:, t] = step_fused_concat(x[:, t], h[:, t - 1], c[:, t - 1], W, U, b)  # t = 0 reads zeros
    return h, c


def forward_time_major_views(x, h0, c0, W, U, b):
    hs, cs, h, c = [], [], np.asarray(h0, np.float64), np.asarray(c0, np.float64)
    for x_t in np.swapaxes(x, 0, 1):  # (N, D) views, one per step
        h, c = step_split_weights(x_t, h, c, W, U, b)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)


def gru_one_bias_row(x_t, h_prev, W, U, b):
    return gru_step(x_t, h_prev, W, U, np.asarray(b)[[0, 0]])


def gru_recurrent_row_for_both(x_t, h_prev, W, U, b):
    return gru_step(x_t, h_prev, W, U, np.asarray(b)[[1, 1]])


def gru_mutates_h_prev(x_t, h_prev, W, U, b):
    out = gru_step_slices(x_t, h_prev, W, U, b)
    h_prev[...] = out  # updates the state in place, for the caller
    return h_prev.copy()


def gru_split_bias_rows(x_t, h_prev, W, U, b):
    b_in, b_rec = np.asarray(b, np.float64)  # unpacks the two rows
    H = np.shape(h_prev)[1]
    xz, xr, xh = np.split(np.asarray(x_t, np.float64) @ W + b_in, 3, axis=1)
    hz, hr, hh = np.split(np.asarray(h_prev, np.float64) @ U + b_rec, 3, axis=1)
    z, r = sig(xz + hz), sig(xr + hr)
    assert z.shape[1] == H
    return z * h_prev + (1 - z) * np.tanh(xh + r * hh)


def gru_forward_one_bias_row(x, h0, W, U, b):
    h, out = h0, []
    for t in range(x.shape[1]):
        h = gru_one_bias_row(x[:, t], h, W, U, b)
        out.append(h)
    return np.stack(out, axis=1)


def gru_forward_wraps_at_t0(x, h0, W, U, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    for t in range(T):
        h[:, t] = gru_step_slices(x[:, t], h[:, t - 1], W, U, b)
    return h


def gru_forward_split_rows(x, h0, W, U, b):
    h, out = np.asarray(h0, np.float64), []
    for x_t in np.moveaxis(np.asarray(x), 1, 0):
        h = gru_split_bias_rows(x_t, h, W, U, b)
        out.append(h)
    return np.stack(out, axis=1)


def peephole_returns_c_h(x_t, h_prev, c_prev, W, U, b, P):
    h, c = peephole_split(x_t, h_prev, c_prev, W, U, b, P)
    return c, h


def peephole_mutates_c_prev(x_t, h_prev, c_prev, W, U, b, P):
    h, c = peephole_split(x_t, h_prev, c_prev, W, U, b, P)
    c_prev[...] = c
    return h, c


def peephole_unpacked_rows(x_t, h_prev, c_prev, W, U, b, P):
    H = np.shape(h_prev)[1]
    a = np.asarray(x_t, np.float64) @ W + np.asarray(h_prev, np.float64) @ U + b  # (N, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    p_i, p_f, p_o = np.asarray(P, np.float64).reshape(3, H)
    c = sig(a_f + p_f * c_prev) * c_prev + sig(a_i + p_i * c_prev) * np.tanh(a_g)
    return sig(a_o + p_o * c) * np.tanh(c), c


WRONG["sigmoid"].update({
    "boolean masks, no np.asarray": (sigmoid_masks_no_asarray, "a Python number"),
    "np.atleast_1d: a 0-d input comes back as shape (1,)": (sigmoid_atleast_1d, "has shape (1,)"),
    "writes -|z| into z through ravel": (sigmoid_writes_through_ravel, "changed its input z in place"),
})
WRONG["lstm_step_forward"].update({
    "returns (c_next, h_next)": (step_returns_c_h, "return (h_next, c_next), not (c_next, h_next)"),
})
WRONG["lstm_forward"].update({
    "returns (c, h)": (forward_returns_c_h, "returned in the wrong order"),
    "h[:, t - 1] and c[:, t - 1] wrap at t = 0": (forward_wraps_at_t0, "h[:, t - 1] at t = 0"),
})
WRONG["gru_step_forward"].update({
    "input bias row used for both": (gru_one_bias_row, "one bias row, b[0], is used for both"),
    "recurrent bias row used for both": (gru_recurrent_row_for_both, "one bias row, b[1], is used for both"),
    "updates h_prev in place": (gru_mutates_h_prev, "changed its input h_prev in place"),
})
WRONG["gru_forward"].update({
    "input bias row used for both": (gru_forward_one_bias_row, "one bias row, b[0], is used for both"),
    "h[:, t - 1] wraps at t = 0": (gru_forward_wraps_at_t0, "h[:, t - 1] at t = 0"),
})
WRONG["peephole_lstm_step_forward"].update({
    "returns (c_next, h_next)": (peephole_returns_c_h, "return (h_next, c_next), not (c_next, h_next)"),
    "updates c_prev in place": (peephole_mutates_c_prev, "changed its input c_prev in place"),
})
del CORRECT["sigmoid"]["boolean masks"]
CORRECT["sigmoid"].update({
    "boolean masks after np.asarray": sigmoid_masks_asarray,
    "loop over a flat copy": sigmoid_flat_loop,
    "tf.math.sigmoid": sigmoid_tensorflow,
})
CORRECT["lstm_step_forward"]["double transposes"] = step_both_transposed
CORRECT["lstm_forward"]["loop over time-major views"] = forward_time_major_views
CORRECT["gru_step_forward"]["two bias rows unpacked"] = gru_split_bias_rows
CORRECT["gru_forward"]["moveaxis loop, bias rows unpacked"] = gru_forward_split_rows
CORRECT["peephole_lstm_step_forward"]["np.split and unpacked P rows"] = peephole_unpacked_rows
