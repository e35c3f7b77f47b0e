"""Implementations of sprint 04_lstm_backward problems, written the way students write them."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward_gates(x_t, h_prev, W, U, b):
    H = h_prev.shape[1]
    z = x_t @ W + h_prev @ U + b
    i = sigmoid(z[:, :H])
    f = sigmoid(z[:, H:2 * H])
    g = np.tanh(z[:, 2 * H:3 * H])
    o = sigmoid(z[:, 3 * H:])
    return i, f, g, o


def lstm_forward(x, h0, c0, W, U, b):
    N, T, _ = x.shape
    H = h0.shape[1]
    h, c = np.zeros((N, T, H)), np.zeros((N, T, H))
    h_t, c_t = h0, c0
    for t in range(T):
        i, f, g, o = forward_gates(x[:, t], h_t, W, U, b)
        c_t = f * c_t + i * g
        h_t = o * np.tanh(c_t)
        h[:, t], c[:, t] = h_t, c_t
    return h, c


# ---------------------------------------------------------------- lstm_gate_gradients


def gates_textbook(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    """The textbook version (correct): the gate values, then one factor per block."""
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tc**2)
    return np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                           dh_next * tc * o * (1 - o)], axis=1)


def gates_block_assignment(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    """Preallocated dz, float64 casts first, each block written into its slice."""
    dh_next, dc_next, x_t, h_prev, c_prev = (np.array(a, dtype=np.float64)
                                             for a in (dh_next, dc_next, x_t, h_prev, c_prev))
    W, U, b = (np.array(a, dtype=np.float64) for a in (W, U, b))
    H = h_prev.shape[1]
    z = x_t @ W + h_prev @ U + b
    s = 0.5 * (1 + np.tanh(0.5 * z))  # sigmoid of every block; only i, f, o use it
    i, f, o = s[:, :H], s[:, H:2 * H], s[:, 3 * H:]
    g = np.tanh(z[:, 2 * H:3 * H])
    c = f * c_prev + i * g
    dc = dc_next + dh_next * o / np.cosh(c) ** 2
    dz = np.empty_like(z)
    dz[:, :H] = dc * g * i * (1 - i)
    dz[:, H:2 * H] = dc * c_prev * f * (1 - f)
    dz[:, 2 * H:3 * H] = dc * i * (1 - g * g)
    dz[:, 3 * H:] = dh_next * np.tanh(c) * o * (1 - o)
    return dz


def gates_per_sample(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    """One sample at a time, stacked at the end."""
    rows = []
    for n in range(np.shape(x_t)[0]):
        rows.append(gates_textbook(*(np.asarray(a, np.float64)[n:n + 1]
                                     for a in (dh_next, dc_next, x_t, h_prev, c_prev)), W, U, b)[0])
    return np.stack(rows)


def gates_without_dc_next(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    return gates_textbook(dh_next, np.zeros_like(dc_next), x_t, h_prev, c_prev, W, U, b)


def gates_without_activation_derivatives(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tc**2)
    return np.concatenate([dc * g, dc * c_prev, dc * i, dh_next * tc], axis=1)


def gates_sigmoid_derivative_for_g(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tc**2)
    return np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * g * (1 - g),
                           dh_next * tc * o * (1 - o)], axis=1)


def gates_ifog_order(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    dz = gates_textbook(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    H = dz.shape[1] // 4
    return np.concatenate([dz[:, :2 * H], dz[:, 3 * H:], dz[:, 2 * H:3 * H]], axis=1)


def gates_no_tanh_derivative(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o
    return np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                           dh_next * tc * o * (1 - o)], axis=1)


def gates_c_next_in_df(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    c_next = f * c_prev + i * g
    tc = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tc**2)
    return np.concatenate([dc * g * i * (1 - i), dc * c_next * f * (1 - f), dc * i * (1 - g**2),
                           dh_next * tc * o * (1 - o)], axis=1)


def gates_i_and_g_swapped(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tc**2)
    return np.concatenate([dc * i * i * (1 - i), dc * c_prev * f * (1 - f), dc * g * (1 - g**2),
                           dh_next * tc * o * (1 - o)], axis=1)


def gates_output_from_dc(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tc**2)
    return np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                           dc * tc * o * (1 - o)], axis=1)


def gates_mutates_dc_next(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next
    dc += dh_next * o * (1 - tc**2)  # in place: changes the caller's dc_next
    return np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                           dh_next * tc * o * (1 - o)], axis=1)


# ---------------------------------------------------------------- lstm_step_backward


def step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    """The textbook version (correct)."""
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    c_next = f * c_prev + i * g
    tc = np.tanh(c_next)
    do = dh_next * tc
    dc = dc_next + dh_next * o * (1 - tc**2)
    di, df, dg = dc * g, dc * c_prev, dc * i
    dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
    return dz @ W.T, dz @ U.T, dc * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def step_no_dc_next(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    return step_backward(dh_next, np.zeros_like(dc_next), x_t, h_prev, c_prev, W, U, b)


def step_no_forget_factor(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    dx, dh_prev, dc_prev, dW, dU, db = step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    f = forward_gates(x_t, h_prev, W, U, b)[1]
    return dx, dh_prev, dc_prev / f, dW, dU, db


def step_no_tanh_derivative(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o
    dz = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                    dh_next * tc * o * (1 - o)])
    return dz @ W.T, dz @ U.T, dc * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def step_sigmoid_derivative_for_g(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tc**2)
    dz = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * g * (1 - g),
                    dh_next * tc * o * (1 - o)])
    return dz @ W.T, dz @ U.T, dc * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def step_gate_order_in_dw(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tc**2)
    dzi, dzf, dzg, dzo = dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2), \
        dh_next * tc * o * (1 - o)
    dz = np.hstack([dzi, dzf, dzg, dzo])
    dz_params = np.hstack([dzi, dzf, dzo, dzg])  # i, f, o, g as in some other references
    return dz @ W.T, dz @ U.T, dc * f, x_t.T @ dz_params, h_prev.T @ dz_params, dz_params.sum(axis=0)


def step_cs231n_gate_order(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    H = h_prev.shape[1]
    z = x_t @ W + h_prev @ U + b
    i, f, o, g = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), sigmoid(z[:, 2 * H:3 * H]), np.tanh(z[:, 3 * H:])
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tc**2)
    dz = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dh_next * tc * o * (1 - o),
                    dc * i * (1 - g**2)])
    return dz @ W.T, dz @ U.T, dc * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def step_dc_prev_from_c_next(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    """Uses the new cell state where the old one belongs in the forget-gate gradient."""
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    c_next = f * c_prev + i * g
    tc = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tc**2)
    dz = np.hstack([dc * g * i * (1 - i), dc * c_next * f * (1 - f), dc * i * (1 - g**2),
                    dh_next * tc * o * (1 - o)])
    return dz @ W.T, dz @ U.T, dc * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def step_du_from_x(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    dx, dh_prev, dc_prev, dW, dU, db = step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    return dx, dh_prev, dc_prev, dW, dU.T, db


def step_mutates_dc_next(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next
    dc += dh_next * o * (1 - tc**2)  # in place: changes the caller's dc_next
    dz = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                    dh_next * tc * o * (1 - o)])
    return dz @ W.T, dz @ U.T, dc * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def step_float32(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    return tuple(a.astype(np.float32) for a in step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b))


def step_per_gate_blocks(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    """Four separate weight blocks, one matmul pair per gate, gradients written block by block."""
    x_t, h_prev, c_prev = (np.asarray(a, np.float64) for a in (x_t, h_prev, c_prev))
    dh_next, dc_next = np.asarray(dh_next, np.float64), np.asarray(dc_next, np.float64)
    W, U, b = np.asarray(W, np.float64), np.asarray(U, np.float64), np.asarray(b, np.float64)
    H = h_prev.shape[1]
    blocks = [slice(k * H, (k + 1) * H) for k in range(4)]
    a = [x_t @ W[:, s] + h_prev @ U[:, s] + b[s] for s in blocks]
    i, f, g, o = 1 / (1 + np.exp(-a[0])), 1 / (1 + np.exp(-a[1])), np.tanh(a[2]), 1 / (1 + np.exp(-a[3]))
    c_next = f * c_prev + i * g
    dtanh = 1 - np.tanh(c_next) ** 2
    dc = dc_next + dh_next * o * dtanh
    local = [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
             dh_next * np.tanh(c_next) * o * (1 - o)]
    dx, dh_prev = np.zeros_like(x_t), np.zeros_like(h_prev)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    for s, d in zip(blocks, local):
        dx += d @ W[:, s].T
        dh_prev += d @ U[:, s].T
        dW[:, s] = x_t.T @ d
        dU[:, s] = h_prev.T @ d
        db[s] = d.sum(axis=0)
    return dx, dh_prev, dc * f, dW, dU, db


def step_einsum_per_sample(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    """One sample at a time with einsum and a stable sigmoid written with tanh."""
    args = [np.asarray(a, np.float64) for a in (dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)]
    dh_next, dc_next, x_t, h_prev, c_prev, W, U, b = args
    H = h_prev.shape[1]
    outs = []
    for n in range(x_t.shape[0]):
        z = np.einsum("d,dk->k", x_t[n], W) + np.einsum("h,hk->k", h_prev[n], U) + b
        i, f, o = (0.5 * (1 + np.tanh(0.5 * z[k * H:(k + 1) * H])) for k in (0, 1, 3))
        g = np.tanh(z[2 * H:3 * H])
        c = f * c_prev[n] + i * g
        dc = dc_next[n] + dh_next[n] * o * (1 - np.tanh(c) ** 2)
        dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev[n] * f * (1 - f), dc * i * (1 - g**2),
                             dh_next[n] * np.tanh(c) * o * (1 - o)])
        outs.append((W @ dz, U @ dz, dc * f, np.outer(x_t[n], dz), np.outer(h_prev[n], dz), dz))
    dx, dh_prev, dc_prev = (np.stack([o[k] for o in outs]) for k in range(3))
    dW, dU, db = (sum(o[k] for o in outs) for k in range(3, 6))
    return dx, dh_prev, dc_prev, dW, dU, db


def step_float64_cast_first(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    args = [np.array(a, dtype=np.float64) for a in (dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)]
    return step_backward(*args)


# ---------------------------------------------------------------- lstm_backward


def chain(step, *, carry_dc=True, carry_dh=True, accumulate=True, zero_dh0=False, reverse=True):
    def backward(dh, x, h0, c0, W, U, b):
        N, T, D = x.shape
        H = h0.shape[1]
        h, c = lstm_forward(x, h0, c0, W, U, b)
        dx = np.zeros((N, T, D))
        dW, dU, db = np.zeros(W.shape), np.zeros(U.shape), np.zeros(b.shape)
        dh_prev, dc_prev = np.zeros((N, H)), np.zeros((N, H))
        for t in (reversed(range(T)) if reverse else range(T)):
            h_prev = h0 if t == 0 else h[:, t - 1]
            c_prev = c0 if t == 0 else c[:, t - 1]
            dh_t = dh[:, t] + dh_prev if carry_dh else dh[:, t]
            dc_t = dc_prev if carry_dc else np.zeros((N, H))
            dx[:, t], dh_prev, dc_prev, dW_t, dU_t, db_t = step(dh_t, dc_t, x[:, t], h_prev, c_prev, W, U, b)
            if accumulate:
                dW, dU, db = dW + dW_t, dU + dU_t, db + db_t
            else:
                dW, dU, db = dW_t, dU_t, db_t
        if zero_dh0:
            dh_prev = np.zeros((N, H))
        return dx, dh_prev, dc_prev, dW, dU, db

    return backward


def backward_off_by_one(dh, x, h0, c0, W, U, b):
    """Uses c[:, t] (the cell state the step produced) as the one entering step t."""
    N, T, D = x.shape
    H = h0.shape[1]
    h, c = lstm_forward(x, h0, c0, W, U, b)
    dx = np.zeros((N, T, D))
    dW, dU, db = np.zeros(W.shape), np.zeros(U.shape), np.zeros(b.shape)
    dh_prev, dc_prev = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        c_prev = c[:, t]
        dx[:, t], dh_prev, dc_prev, dW_t, dU_t, db_t = step_backward(
            dh[:, t] + dh_prev, dc_prev, x[:, t], h_prev, c_prev, W, U, b)
        dW, dU, db = dW + dW_t, dU + dU_t, db + db_t
    return dx, dh_prev, dc_prev, dW, dU, db


def backward_mutates_dh(dh, x, h0, c0, W, U, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h, c = lstm_forward(x, h0, c0, W, U, b)
    dx = np.zeros((N, T, D))
    dW, dU, db = np.zeros(W.shape), np.zeros(U.shape), np.zeros(b.shape)
    dc_prev = np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        c_prev = c0 if t == 0 else c[:, t - 1]
        dx[:, t], dh_prev, dc_prev, dW_t, dU_t, db_t = step_backward(
            dh[:, t], dc_prev, x[:, t], h_prev, c_prev, W, U, b)
        if t > 0:
            dh[:, t - 1] += dh_prev  # accumulates into the caller's array
        dW, dU, db = dW + dW_t, dU + dU_t, db + db_t
    return dx, dh_prev, dc_prev, dW, dU, db


def backward_stored_gates(dh, x, h0, c0, W, U, b):
    """Forward pass that keeps every gate, then a backward loop; parameter gradients with einsum."""
    dh, x, h0, c0, W, U, b = (np.asarray(a, np.float64) for a in (dh, x, h0, c0, W, U, b))
    N, T, D = x.shape
    H = h0.shape[1]
    hs, cs = [h0], [c0]
    cache = []
    for t in range(T):
        z = x[:, t] @ W + hs[-1] @ U + b
        i, f, o = (0.5 + 0.5 * np.tanh(0.5 * z[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
        g = np.tanh(z[:, 2 * H:3 * H])
        cs.append(f * cs[-1] + i * g)
        hs.append(o * np.tanh(cs[-1]))
        cache.append((i, f, g, o))
    dZ = np.zeros((N, T, 4 * H))
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        i, f, g, o = cache[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[:, t] + dh_next
        dc_t = dc_next + dh_t * o * (1 - tc**2)
        dZ[:, t, :H] = dc_t * g * i * (1 - i)
        dZ[:, t, H:2 * H] = dc_t * cs[t] * f * (1 - f)
        dZ[:, t, 2 * H:3 * H] = dc_t * i * (1 - g**2)
        dZ[:, t, 3 * H:] = dh_t * tc * o * (1 - o)
        dh_next = dZ[:, t] @ U.T
        dc_next = dc_t * f
    H_prev = np.stack(hs[:-1], axis=1)
    dx = np.einsum("ntk,dk->ntd", dZ, W)
    dW = np.einsum("ntd,ntk->dk", x, dZ)
    dU = np.einsum("nth,ntk->hk", H_prev, dZ)
    return dx, dh_next, dc_next, dW, dU, dZ.sum(axis=(0, 1))


WRONG = {
    "lstm_gate_gradients": {
        "dc_next ignored": (gates_without_dc_next, "the gradient dc_next arriving from the next step is not added"),
        "activation derivatives left out": (
            gates_without_activation_derivatives, "the derivatives of the activations are left out"),
        "sigmoid' for g": (gates_sigmoid_derivative_for_g, "the candidate g is differentiated like a sigmoid"),
        "blocks in the order i, f, o, g": (gates_ifog_order, "stacked as i, f, o, g instead of the Keras order"),
        "tanh'(c) missing": (gates_no_tanh_derivative, "the derivative of tanh(c_next)"),
        "c_next in the forget block": (gates_c_next_in_df, "the forget-gate block uses the new cell state"),
        "i and g swapped": (gates_i_and_g_swapped, "the input-gate and candidate blocks are swapped"),
        "output gate from dc": (gates_output_from_dc, "the output gate takes the cell gradient dc"),
        "names the one wrong block": (
            gates_sigmoid_derivative_for_g, "the candidate g (columns 2H:3H); the blocks i, f, o are right"),
        "mutates dc_next": (gates_mutates_dc_next, "changed its input dc_next in place"),
        "casts to float32": (lambda *a: gates_textbook(*a).astype(np.float32), "work in float64"),
    },
    "lstm_step_backward": {
        "dc_next ignored": (step_no_dc_next, "the gradient dc_next arriving from the next step is not added to dc"),
        "dc_prev without * f": (step_no_forget_factor, "dc_prev is dc without the factor f"),
        "tanh'(c) missing": (step_no_tanh_derivative, "the derivative of tanh"),
        "sigmoid' for g": (step_sigmoid_derivative_for_g, "the candidate g is differentiated like a sigmoid, g *"),
        "gate blocks out of Keras order in dW": (
            step_gate_order_in_dw, "the gate blocks of dW, dU and db are stacked as i, f, o, g instead of"),
        "gate order i, f, o, g throughout": (
            step_cs231n_gate_order, "the gates are sliced in the order i, f, o, g instead of the Keras orde"),
        "c_next instead of c_prev in df": step_dc_prev_from_c_next,
        "dU transposed": (step_du_from_x, "has shape (8, 2); expected"),
        "mutates dc_next": (step_mutates_dc_next, "changed its input dc_next in place"),
        "casts to float32": (step_float32, "work in float64"),
    },
    "lstm_backward": {
        "dc not carried back in time": (
            chain(step_backward, carry_dc=False), "the cell gradient dc is not carried back"),
        "recurrent gradient not added": (
            chain(step_backward, carry_dh=False), "coming back through the recurrence is not added"),
        "dW, dU, db not summed over time": (
            chain(step_backward, accumulate=False), "dW, dU and db are overwritten at every step"),
        "dh0 missing": (
            chain(step_backward, zero_dh0=True), "dh0 is left at zero"),
        "dc_prev without * f": (chain(step_no_forget_factor), "dc_prev is dc without the factor f"),
        "tanh'(c) missing": (chain(step_no_tanh_derivative), "the derivative of tanh"),
        "sigmoid' for g": (
            chain(step_sigmoid_derivative_for_g), "the candidate g is differentiated like a sigmoid, g *"),
        "gate blocks out of Keras order in dW": (
            chain(step_gate_order_in_dw), "the gate blocks of dW, dU and db are stacked as i, f, o, g instead of"),
        "loops forward in time": (chain(step_backward, reverse=False), "the time loop runs forwards"),
        "wrong cell state entering the step": backward_off_by_one,
        "mutates dh": (backward_mutates_dh, "changed its input dh in place"),
    },
}

CORRECT = {
    "lstm_gate_gradients": {
        "textbook, gate values": gates_textbook,
        "block slices, derivatives from z": gates_block_assignment,
        "one sample at a time": gates_per_sample,
    },
    "lstm_step_backward": {
        "per-gate weight blocks": step_per_gate_blocks,
        "one sample at a time with einsum": step_einsum_per_sample,
        "casts to float64 first": step_float64_cast_first,
    },
    "lstm_backward": {
        "chained step backward": chain(step_per_gate_blocks),
        "stored gates, einsum for the parameters": backward_stored_gates,
        "chained per-sample step": chain(step_einsum_per_sample),
    },
}


# ---------------------------------------------------------------- new families: replayed forward, t = 0, views


def _chain_with(prev_states, upstream=lambda dh, t, T: dh[:, t], forward_from=None):
    """BPTT through step_backward; ``prev_states(h0, c0, h, c, t)`` picks the states entering step t."""

    def backward(dh, x, h0, c0, W, U, b):
        N, T, D = x.shape
        H = h0.shape[1]
        h, c = lstm_forward(x, *(forward_from(h0, c0) if forward_from else (h0, c0)), W, U, b)
        dx = np.zeros((N, T, D))
        dW, dU, db = np.zeros(W.shape), np.zeros(U.shape), np.zeros(b.shape)
        dh_prev, dc_prev = np.zeros((N, H)), np.zeros((N, H))
        for t in reversed(range(T)):
            h_prev, c_prev = prev_states(h0, c0, h, c, t)
            dx[:, t], dh_prev, dc_prev, dW_t, dU_t, db_t = step_backward(
                upstream(dh, t, T) + dh_prev, dc_prev, x[:, t], h_prev, c_prev, W, U, b)
            dW, dU, db = dW + dW_t, dU + dU_t, db + db_t
        return dx, dh_prev, dc_prev, dW, dU, db

    return backward


def _given(h0, c0, h, c, t):
    return (h0, c0) if t == 0 else (h[:, t - 1], c[:, t - 1])


backward_replays_from_zeros = _chain_with(
    lambda h0, c0, h, c, t: (0 * h0, 0 * c0) if t == 0 else (h[:, t - 1], c[:, t - 1]),
    forward_from=lambda h0, c0: (np.zeros(h0.shape), np.zeros(c0.shape)))
backward_wraps_at_t0 = _chain_with(lambda h0, c0, h, c, t: (h[:, t - 1], c[:, t - 1]))
backward_last_dh_only = _chain_with(_given, upstream=lambda dh, t, T: dh[:, t] if t == T - 1 else 0.0)


def backward_returns_dc0_dh0(dh, x, h0, c0, W, U, b):
    dx, dh0, dc0, dW, dU, db = _chain_with(_given)(dh, x, h0, c0, W, U, b)
    return dx, dc0, dh0, dW, dU, db


def backward_time_major_views(dh, x, h0, c0, W, U, b):
    """Time-major views (T, N, .) of every sequence, the states entering each step stacked first."""
    h, c = lstm_forward(x, h0, c0, W, U, b)
    xs, dhs = np.swapaxes(x, 0, 1), np.swapaxes(dh, 0, 1)
    h_in = np.concatenate([np.asarray(h0, np.float64)[None], np.swapaxes(h, 0, 1)[:-1]])
    c_in = np.concatenate([np.asarray(c0, np.float64)[None], np.swapaxes(c, 0, 1)[:-1]])
    dx = np.zeros(xs.shape)
    grads = [np.zeros(np.shape(a)) for a in (W, U, b)]
    dh_prev, dc_prev = np.zeros(np.shape(h0)), np.zeros(np.shape(c0))
    for t in range(len(xs) - 1, -1, -1):
        dx[t], dh_prev, dc_prev, *step_grads = step_per_gate_blocks(dhs[t] + dh_prev, dc_prev, xs[t], h_in[t],
                                                                    c_in[t], W, U, b)
        grads = [g + s for g, s in zip(grads, step_grads)]
    return (np.swapaxes(dx, 0, 1).copy(), dh_prev, dc_prev, *grads)


def step_returns_dc_before_dh(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    dx, dh_prev, dc_prev, dW, dU, db = step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    return dx, dc_prev, dh_prev, dW, dU, db


def step_adds_into_dc_next(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = dc_next.reshape(dc_next.shape)  # a view of the caller's dc_next
    dc += dh_next * o * (1 - tanh_c**2)
    return step_backward(dh_next, dc - dh_next * o * (1 - tanh_c**2), x_t, h_prev, c_prev, W, U, b)


def step_tensordot(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b):
    x_t, h_prev, c_prev, dh_next, dc_next = (np.asarray(a, np.float64) for a in (x_t, h_prev, c_prev, dh_next,
                                                                                  dc_next))
    i, f, g, o = forward_gates(x_t, h_prev, W, U, b)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                         dh_next * tanh_c * o * (1 - o)], axis=1)
    return (np.tensordot(dz, W, axes=(1, 1)), np.tensordot(dz, U, axes=(1, 1)), dc * f,
            np.tensordot(x_t, dz, axes=(0, 0)), np.tensordot(h_prev, dz, axes=(0, 0)), dz.sum(0))


WRONG["lstm_step_backward"].update({
    "returns dc_prev before dh_prev": (step_returns_dc_before_dh, "returned in the wrong order"),
    "adds into the caller's dc_next": (step_adds_into_dc_next, "changed its input dc_next in place"),
})
WRONG["lstm_backward"].update({
    "forward replayed from zero states": (backward_replays_from_zeros, "replayed from zero states"),
    "h[:, t - 1] and c[:, t - 1] wrap at t = 0": (backward_wraps_at_t0, "at t = 0 are the last states"),
    "only the last step's dh": (backward_last_dh_only, "only the last step's upstream gradient"),
    "returns dc0 before dh0": (backward_returns_dc0_dh0, "returned in the wrong order"),
})
CORRECT["lstm_step_backward"]["np.tensordot"] = step_tensordot
CORRECT["lstm_backward"]["time-major views"] = backward_time_major_views
