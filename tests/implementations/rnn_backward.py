"""Implementations of sprint 02_rnn_backward problems, written the way students write them."""

import numpy as np

# ---------------------------------------------------------------- rnn_step_backward


def step_correct_plain(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def step_deriv_from_h_prev(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next * (1 - h_prev**2)
    return da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def step_no_deriv(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next
    return da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def step_tanh_twice(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next * (1 - np.tanh(h_next) ** 2)
    return da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def step_wh_not_transposed(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def step_dwh_transposed(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x_t.T @ da, da.T @ h_prev, da.sum(axis=0)


def step_db_mean(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.mean(axis=0)


def step_in_place(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next
    da *= 1 - h_next**2
    return da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def step_einsum(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = np.einsum("nh,nh->nh", np.asarray(dh_next, np.float64), 1 - np.asarray(h_next, np.float64) ** 2)
    return (
        np.einsum("nh,dh->nd", da, Wx),
        np.einsum("nh,kh->nk", da, Wh),
        np.einsum("nd,nh->dh", x_t, da),
        np.einsum("nk,nh->kh", h_prev, da),
        np.einsum("nh->h", da),
    )


def step_fused(dh_next, x_t, h_prev, h_next, Wx, Wh):
    """One stacked matrix [Wx; Wh] acting on the concatenated input [x_t, h_prev]."""
    D = x_t.shape[1]
    xh = np.concatenate([x_t, h_prev], axis=1).astype(np.float64)  # (N, D + H)
    W = np.concatenate([Wx, Wh], axis=0).astype(np.float64)  # (D + H, H)
    da = dh_next.astype(np.float64) * (1 - h_next.astype(np.float64) ** 2)
    dxh = da @ W.T  # (N, D + H)
    dW = xh.T @ da  # (D + H, H)
    return dxh[:, :D], dxh[:, D:], dW[:D], dW[D:], np.ones(len(da)) @ da


def step_per_sample(dh_next, x_t, h_prev, h_next, Wx, Wh):
    N, D = x_t.shape
    H = Wh.shape[0]
    dx, dh = np.zeros((N, D)), np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    for n in range(N):
        da = dh_next[n] * (1 - h_next[n] ** 2)
        dx[n], dh[n] = Wx @ da, Wh @ da
        dWx += np.outer(x_t[n], da)
        dWh += np.outer(h_prev[n], da)
        db += da
    return dx, dh, dWx, dWh, db


# ---------------------------------------------------------------- rnn_backward


def _prev(h0, h, t):
    return h[:, t - 1] if t > 0 else h0


def seq_correct(dh, x, h0, h, Wx, Wh):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros_like(Wx, dtype=float), np.zeros_like(Wh, dtype=float), np.zeros(Wh.shape[0])
    dnext = np.zeros_like(h0, dtype=float)
    for t in reversed(range(T)):
        dx[:, t], dnext, dwx, dwh, dbt = step_correct_plain(dh[:, t] + dnext, x[:, t], _prev(h0, h, t),
                                                              h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dnext, dWx, dWh, db


def seq_vectorised_params(dh, x, h0, h, Wx, Wh):
    """The loop only carries the recurrence; the parameter gradients are one einsum each afterwards."""
    x, h0, h, dh = (np.asarray(a, np.float64) for a in (x, h0, h, dh))
    T = x.shape[1]
    da = np.zeros_like(h)
    g = np.zeros_like(h0)
    t = T - 1
    while t >= 0:
        da[:, t] = (dh[:, t] + g) * (1 - h[:, t] ** 2)
        g = da[:, t] @ Wh.T
        t -= 1
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)  # (N, T, H)
    dx = da @ Wx.T  # (N, T, D)
    return (dx, g, np.einsum("ntd,nth->dh", x, da), np.einsum("ntk,nth->kh", h_prev, da),
            da.sum(axis=(0, 1)))


def seq_float32_friendly(dh, x, h0, h, Wx, Wh):
    return seq_correct(*(np.asarray(a, dtype=np.float64) for a in (dh, x, h0, h, Wx, Wh)))


def seq_dwh_last_only(dh, x, h0, h, Wx, Wh):
    dx, dh0, dWx, dWh, db = seq_correct(dh, x, h0, h, Wx, Wh)
    T = x.shape[1]
    g = dh[:, T - 1] * (1 - h[:, T - 1] ** 2)
    return dx, dh0, dWx, _prev(h0, h, T - 1).T @ g, db


def seq_no_recurrence(dh, x, h0, h, Wx, Wh):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    for t in reversed(range(T)):
        dx[:, t], _, dwx, dwh, dbt = step_correct_plain(dh[:, t], x[:, t], _prev(h0, h, t), h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, np.zeros_like(h0), dWx, dWh, db


def seq_recurrence_replaces_dh(dh, x, h0, h, Wx, Wh):
    """The gradient from the future replaces the upstream gradient instead of adding to it."""
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    dnext = None
    for t in reversed(range(T)):
        g = dh[:, t] if dnext is None else dnext
        dx[:, t], dnext, dwx, dwh, dbt = step_correct_plain(g, x[:, t], _prev(h0, h, t), h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dnext, dWx, dWh, db


def seq_deriv_from_h_prev(dh, x, h0, h, Wx, Wh):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    dnext = np.zeros_like(h0)
    for t in reversed(range(T)):
        hp = _prev(h0, h, t)
        dx[:, t], dnext, dwx, dwh, dbt = step_deriv_from_h_prev(dh[:, t] + dnext, x[:, t], hp, h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dnext, dWx, dWh, db


def seq_wh_not_transposed(dh, x, h0, h, Wx, Wh):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    dnext = np.zeros_like(h0)
    for t in reversed(range(T)):
        hp = _prev(h0, h, t)
        dx[:, t], dnext, dwx, dwh, dbt = step_wh_not_transposed(dh[:, t] + dnext, x[:, t], hp, h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dnext, dWx, dWh, db


def seq_forwards(dh, x, h0, h, Wx, Wh):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    dnext = np.zeros_like(h0)
    for t in range(T):
        hp = _prev(h0, h, t)
        dx[:, t], dnext, dwx, dwh, dbt = step_correct_plain(dh[:, t] + dnext, x[:, t], hp, h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dnext, dWx, dWh, db


def seq_dh0_short(dh, x, h0, h, Wx, Wh):
    """Returns the gradient arriving at step 0's output instead of passing it through step 0."""
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    dnext = np.zeros_like(h0)
    for t in reversed(range(T)):
        g = dh[:, t] + dnext
        dx[:, t], dnext, dwx, dwh, dbt = step_correct_plain(g, x[:, t], _prev(h0, h, t), h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, g, dWx, dWh, db


def seq_h_prev_off_by_one(dh, x, h0, h, Wx, Wh):
    """Uses h[:, t] as the previous state of step t (the state it produces)."""
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    dnext = np.zeros_like(h0)
    for t in reversed(range(T)):
        dx[:, t], dnext, dwx, dwh, dbt = step_correct_plain(dh[:, t] + dnext, x[:, t], h[:, t], h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dnext, dWx, dWh, db


# ---------------------------------------------------------------- numerical_gradient


def numgrad_cs231n(f, x, eps=1e-5):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + eps
        fxph = f()
        x[ix] = old - eps
        fxmh = f()
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * eps)
        it.iternext()
    return grad


def numgrad_flat_view(f, x, eps=1e-5):
    flat = x.reshape(-1)  # a view on x: writes reach x, which f reads
    grad = np.empty(flat.size)
    for i in range(flat.size):
        keep = flat[i].item()
        flat[i] = keep + eps
        up = float(f())
        flat[i] = keep - eps
        down = float(f())
        flat[i] = keep
        grad[i] = 0.5 * (up - down) / eps
    return grad.reshape(x.shape)


def numgrad_forward(f, x, eps=1e-5):
    grad = np.zeros_like(x, dtype=float)
    fx = f()
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + eps
        grad[ix] = (f() - fx) / eps
        x[ix] = old
    return grad


def numgrad_not_restored(f, x, eps=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for ix in np.ndindex(x.shape):
        x[ix] += eps
        fp = f()
        x[ix] -= 2 * eps
        fm = f()
        grad[ix] = (fp - fm) / (2 * eps)
    return grad


def numgrad_undo_by_adding(f, x, eps=1e-5):
    """Undoes the perturbation arithmetically: x + eps - 2*eps + eps is not always x again."""
    grad = np.zeros_like(x, dtype=float)
    for ix in np.ndindex(x.shape):
        x[ix] += eps
        fp = f()
        x[ix] -= 2 * eps
        fm = f()
        x[ix] += eps
        grad[ix] = (fp - fm) / (2 * eps)
    return grad


def numgrad_copy(f, x, eps=1e-5):
    x = x.astype(np.float64)  # a copy: f never sees the perturbation
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + eps
        fp = f()
        x[ix] = old - eps
        fm = f()
        x[ix] = old
        grad[ix] = (fp - fm) / (2 * eps)
    return grad


def numgrad_ignores_eps(f, x, eps=1e-5):
    h = 1e-5
    grad = np.zeros_like(x, dtype=float)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        fp = f()
        x[ix] = old - h
        fm = f()
        x[ix] = old
        grad[ix] = (fp - fm) / (2 * h)
    return grad


def numgrad_divides_by_eps(f, x, eps=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + eps
        fp = f()
        x[ix] = old - eps
        fm = f()
        x[ix] = old
        grad[ix] = (fp - fm) / eps
    return grad


def numgrad_first_element_only(f, x, eps=1e-5):
    grad = np.zeros_like(x, dtype=float)
    ix = (0,) * x.ndim
    old = x[ix]
    x[ix] = old + eps
    fp = f()
    x[ix] = old - eps
    fm = f()
    x[ix] = old
    grad[ix] = (fp - fm) / (2 * eps)
    return grad


def numgrad_1d_only(f, x, eps=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad


# ---------------------------------------------------------------- relative_error


def relerr_vectorised(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def relerr_loop(a, b):
    worst = 0.0
    for u, v in zip(np.ravel(a).tolist(), np.ravel(b).tolist()):
        worst = max(worst, abs(u - v) / max(1e-8, abs(u) + abs(v)))
    return worst


def relerr_no_abs(a, b):
    return float(np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def relerr_mean(a, b):
    return float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def relerr_no_guard(a, b):
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))


def relerr_global(a, b):
    return float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))))


def relerr_array(a, b):
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def relerr_signed_denominator(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b))))


# ---------------------------------------------------------------- gradient_norm_through_time


def norms_loop(Wh, h, dh_last):
    T = h.shape[1]
    norms = np.zeros(T)
    g = np.asarray(dh_last, np.float64)
    norms[T - 1] = np.sqrt(np.sum(g**2))
    for t in range(T - 1, 0, -1):
        g = (g * (1 - h[:, t] ** 2)) @ Wh.T
        norms[t - 1] = np.sqrt(np.sum(g**2))
    return norms


def norms_list_reversed(Wh, h, dh_last):
    out, g = [], dh_last.astype(np.float64)
    for t in reversed(range(h.shape[1])):
        out.append(np.linalg.norm(g, "fro"))
        g = np.einsum("nk,hk->nh", g * (1 - h[:, t] ** 2), Wh)
    return np.array(out[::-1])


def _norms(Wh, h, dh_last, factor, right, per_sample=False):
    T = h.shape[1]
    norms = np.zeros(T)
    g = dh_last
    for t in range(T - 1, -1, -1):
        norms[t] = np.linalg.norm(g, axis=1).sum() if per_sample else np.linalg.norm(g)
        g = (g * factor(h, t)) @ right(Wh)
    return norms


def norms_no_deriv(Wh, h, dh_last):
    return _norms(Wh, h, dh_last, lambda h, t: 1.0, lambda W: W.T)


def norms_wh(Wh, h, dh_last):
    return _norms(Wh, h, dh_last, lambda h, t: 1 - h[:, t] ** 2, lambda W: W)


def norms_reversed(Wh, h, dh_last):
    return norms_loop(Wh, h, dh_last)[::-1]


def norms_off_by_one(Wh, h, dh_last):
    return _norms(Wh, h, dh_last, lambda h, t: 1 - h[:, t - 1] ** 2 if t > 0 else 1.0, lambda W: W.T)


def norms_per_sample(Wh, h, dh_last):
    return _norms(Wh, h, dh_last, lambda h, t: 1 - h[:, t] ** 2, lambda W: W.T, per_sample=True)


def norms_abs_sum(Wh, h, dh_last):
    """An L1 norm instead of the Frobenius norm."""
    T = h.shape[1]
    norms = np.zeros(T)
    g = dh_last
    for t in range(T - 1, -1, -1):
        norms[t] = np.abs(g).sum()
        g = (g * (1 - h[:, t] ** 2)) @ Wh.T
    return norms


# ---------------------------------------------------------------- rnn_backward_windowed


def win_by_windows(dh, x, h0, h, Wx, Wh, window):
    """Full BPTT on each window separately, starting from the (detached) real state before it."""
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    for s in range(0, T, window):
        e = min(s + window, T)
        start = h0 if s == 0 else h[:, s - 1]
        dxw, _, dwx, dwh, dbw = seq_correct(dh[:, s:e], x[:, s:e], start, h[:, s:e], Wx, Wh)
        dx[:, s:e] = dxw
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbw
    return dx, dWx, dWh, db


def _win_loop(dh, x, h0, h, Wx, Wh, window, cut, first_step_dwh=True, h_prev_zero_at_start=False):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx = np.zeros(Wx.shape)
    dWh = np.zeros(Wh.shape)
    db = np.zeros(Wh.shape[0])
    dnext = np.zeros(h0.shape)
    for t in range(T - 1, -1, -1):
        if cut(t, T, window):
            dnext = np.zeros(h0.shape)
        start_of_window = t % window == 0
        hp = _prev(h0, h, t)
        if h_prev_zero_at_start and start_of_window and t > 0:
            hp = np.zeros(h0.shape)
        dx[:, t], dnext, dwx, dwh, dbt = step_correct_plain(dh[:, t] + dnext, x[:, t], hp, h[:, t], Wx, Wh)
        dWx += dwx
        db += dbt
        if first_step_dwh or not start_of_window:
            dWh += dwh
    return dx, dWx, dWh, db


def win_mask(dh, x, h0, h, Wx, Wh, window):
    dh, x, h0, h, Wx, Wh = (np.asarray(a, np.float64) for a in (dh, x, h0, h, Wx, Wh))
    return _win_loop(dh, x, h0, h, Wx, Wh, window, lambda t, T, w: (t + 1) % w == 0)


def win_full_bptt(dh, x, h0, h, Wx, Wh, window):
    return _win_loop(dh, x, h0, h, Wx, Wh, window, lambda t, T, w: False)


def win_off_by_one_late(dh, x, h0, h, Wx, Wh, window):
    return _win_loop(dh, x, h0, h, Wx, Wh, window, lambda t, T, w: t % w == 0)


def win_off_by_one_early(dh, x, h0, h, Wx, Wh, window):
    return _win_loop(dh, x, h0, h, Wx, Wh, window, lambda t, T, w: (t + 2) % w == 0)


def win_from_end(dh, x, h0, h, Wx, Wh, window):
    return _win_loop(dh, x, h0, h, Wx, Wh, window, lambda t, T, w: (T - 1 - t) % w == 0)


def win_skip_first_dwh(dh, x, h0, h, Wx, Wh, window):
    return _win_loop(dh, x, h0, h, Wx, Wh, window, lambda t, T, w: (t + 1) % w == 0, first_step_dwh=False)


def win_zero_state(dh, x, h0, h, Wx, Wh, window):
    return _win_loop(dh, x, h0, h, Wx, Wh, window, lambda t, T, w: (t + 1) % w == 0,
                     h_prev_zero_at_start=True)


def win_leak_one_step(dh, x, h0, h, Wx, Wh, window):
    """Cuts the recurrence, but still lets the upstream dh of the next window's first step through."""
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    dnext = np.zeros(h0.shape)
    for t in reversed(range(T)):
        if (t + 1) % window == 0 and t + 1 < T:
            dnext = (dh[:, t + 1] * (1 - h[:, t + 1] ** 2)) @ Wh.T
        dx[:, t], dnext, dwx, dwh, dbt = step_correct_plain(dh[:, t] + dnext, x[:, t], _prev(h0, h, t),
                                                              h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dWx, dWh, db


WRONG = {
    "rnn_step_backward": {
        "tanh derivative from h_prev": (
            step_deriv_from_h_prev, "the tanh derivative is taken from h_prev instead of h_next"),
        "no tanh derivative": (step_no_deriv, "the tanh derivative"),
        "1 - tanh(h_next)**2": (step_tanh_twice, "the derivative is written 1 - tanh"),
        "dh_prev with Wh instead of Wh.T": (step_wh_not_transposed, "dh_prev is computed with Wh instead of Wh"),
        "dWh transposed": (step_dwh_transposed, "dWh is transposed"),
        "db averaged over the batch": (step_db_mean, "db is averaged over the batch"),
        "mutates dh_next": (step_in_place, "changed its input dh_next in place"),
    },
    "rnn_backward": {
        "dWh from the last step only": (
            seq_dwh_last_only, "dWh keeps only the last time step instead of summing over time"),
        "no gradient through the recurrence": (seq_no_recurrence, "no gradient flows back through the recurrence"),
        "recurrence replaces dh[:, t]": (
            seq_recurrence_replaces_dh, "only the last step's upstream gradient dh[:, -1] is used"),
        "tanh derivative from h_prev": (
            seq_deriv_from_h_prev, "the tanh derivative is taken from h_prev instead of the state h_t of t"),
        "Wh instead of Wh.T": (seq_wh_not_transposed, "the recurrent gradient is multiplied by Wh instead of Wh"),
        "time loop forwards": (seq_forwards, "the time loop runs forwards instead of backwards"),
        "dh0 missing the last hop": (
            seq_dh0_short, "dh0 is the gradient reaching h_1, missing the last hop through step 0"),
        "h_t used as the previous state": (
            seq_h_prev_off_by_one, "the wrong state is used as the previous state"),
    },
    "numerical_gradient": {
        "forward differences": (numgrad_forward, "forward differences"),
        "x not restored": (numgrad_not_restored, "left x different from how it found it"),
        "x restored by adding eps back": (numgrad_undo_by_adding, "left x different from how it found it"),
        "perturbs a copy": (numgrad_copy, "a copy of x is perturbed, which f never reads"),
        "ignores eps": (numgrad_ignores_eps, "eps is ignored"),
        "divides by eps": (numgrad_divides_by_eps, "the difference is divided by eps instead of 2*eps"),
        "first element only": numgrad_first_element_only,
        "1-D arrays only": numgrad_1d_only,
    },
    "relative_error": {
        "no abs": (relerr_no_abs, "the absolute value of a - b is left out"),
        "mean instead of max": (relerr_mean, "the mean is taken instead of the maximum"),
        "no 1e-8 guard": (relerr_no_guard, "expected a finite number"),
        "global denominator": (relerr_global, "one global denominator is used instead of one per element"),
        "returns an array": (relerr_array, "should be a number"),
        "|a + b| as the denominator": (relerr_signed_denominator, "the denominator is |a + b|"),
    },
    "gradient_norm_through_time": {
        "no tanh derivative": (norms_no_deriv, "the tanh derivative"),
        "Wh instead of Wh.T": (norms_wh, "the gradient is multiplied by Wh instead of Wh"),
        "reversed order": (norms_reversed, "the norms are in reverse order"),
        "derivative from h_{t-1}": (norms_off_by_one, "the derivative at step t uses h_{t-1} instead of h_t"),
        "per-sample norms summed": (norms_per_sample, "one norm per sample is computed and the norms are added"),
        "L1 norm": (norms_abs_sum, "the L1 norm"),
    },
    "rnn_backward_windowed": {
        "full BPTT (gradient leaks across windows)": (win_full_bptt, "gradients flow across window boundaries"),
        "windows one step late": win_off_by_one_late,
        "windows one step early": win_off_by_one_early,
        "windows aligned from the end": (win_from_end, "aligned with the end of the sequence"),
        "first step of a window skips dWh": win_skip_first_dwh,
        "zero state at the start of a window": (win_zero_state, "uses a zero state instead of the real"),
        "upstream dh of the next window leaks one step": win_leak_one_step,
    },
}

CORRECT = {
    "rnn_step_backward": {
        "einsum": step_einsum,
        "fused [Wx; Wh] matmul": step_fused,
        "one sample at a time": step_per_sample,
    },
    "rnn_backward": {
        "loop over the step function": seq_correct,
        "parameter gradients vectorised after the loop": seq_vectorised_params,
        "casts to float64 first": seq_float32_friendly,
    },
    "numerical_gradient": {
        "np.nditer over multi-indices": numgrad_cs231n,
        "flat view of x": numgrad_flat_view,
    },
    "relative_error": {
        "vectorised": relerr_vectorised,
        "python loop": relerr_loop,
    },
    "gradient_norm_through_time": {
        "loop filling from the end": norms_loop,
        "list reversed, einsum": norms_list_reversed,
    },
    "rnn_backward_windowed": {
        "full BPTT per window": win_by_windows,
        "one loop with a reset mask": win_mask,
    },
}


# ---------------------------------------------------------------- new families: views, edges, BPTT slips


def step_dx_with_wx(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next * (1 - h_next**2)
    return da @ Wx, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def step_db_keeps_batch(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0, keepdims=True)


def step_da_in_place(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = dh_next.reshape(dh_next.shape)  # a view, not a copy
    da *= 1 - h_next**2
    return da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def step_tensordot(dh_next, x_t, h_prev, h_next, Wx, Wh):
    da = np.multiply(dh_next, 1.0 - np.square(h_next), dtype=np.float64)  # (N, H)
    return (np.tensordot(da, Wx, axes=(1, 1)), np.tensordot(da, Wh, axes=(1, 1)),
            np.tensordot(x_t, da, axes=(0, 0)), np.tensordot(h_prev, da, axes=(0, 0)), np.add.reduce(da, axis=0))


def _seq(dh, x, h0, h, Wx, Wh, prev, upstream):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(Wh.shape[0])
    dnext = np.zeros(h0.shape)
    for t in reversed(range(T)):
        dx[:, t], dnext, dwx, dwh, dbt = step_correct_plain(upstream(dh, t) + dnext, x[:, t], prev(h0, h, t),
                                                              h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dnext, dWx, dWh, db


def seq_wraps_at_t0(dh, x, h0, h, Wx, Wh):
    return _seq(dh, x, h0, h, Wx, Wh, lambda h0, h, t: h[:, t - 1], lambda dh, t: dh[:, t])


def seq_zero_state_at_t0(dh, x, h0, h, Wx, Wh):
    return _seq(dh, x, h0, h, Wx, Wh, lambda h0, h, t: h[:, t - 1] if t else 0 * h0, lambda dh, t: dh[:, t])


def seq_last_dh_only(dh, x, h0, h, Wx, Wh):
    T = x.shape[1]
    return _seq(dh, x, h0, h, Wx, Wh, _prev, lambda dh, t: dh[:, t] if t == T - 1 else 0.0)


def seq_accumulates_into_dh(dh, x, h0, h, Wx, Wh):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(Wh.shape[0])
    for t in reversed(range(T)):
        dx[:, t], dprev, dwx, dwh, dbt = step_correct_plain(dh[:, t], x[:, t], _prev(h0, h, t), h[:, t], Wx, Wh)
        if t > 0:
            dh[:, t - 1] += dprev  # writes into the caller's dh
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dprev, dWx, dWh, db


def seq_time_major_views(dh, x, h0, h, Wx, Wh):
    """Time-major views of every sequence, then one loop over their first axis."""
    dh_t, x_t, h_t = (np.swapaxes(np.asarray(a, np.float64), 0, 1) for a in (dh, x, h))  # (T, N, .)
    h_prev = np.concatenate([np.asarray(h0, np.float64)[None], h_t[:-1]])  # (T, N, H)
    dx_t = np.empty_like(x_t)
    dWx, dWh, db = np.zeros(np.shape(Wx)), np.zeros(np.shape(Wh)), np.zeros(np.shape(Wh)[0])
    g = np.zeros(np.shape(h0))
    for t in range(len(x_t) - 1, -1, -1):
        da = (dh_t[t] + g) * (1 - h_t[t] ** 2)
        dx_t[t], g = da @ np.transpose(Wx), da @ np.transpose(Wh)
        dWx += x_t[t].T @ da
        dWh += h_prev[t].T @ da
        db += da.sum(0)
    return np.swapaxes(dx_t, 0, 1).copy(), g, dWx, dWh, db


def numgrad_flat_setitem(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + eps  # x.flat writes into x, whatever its memory layout
        up = f()
        x.flat[i] = old - eps
        down = f()
        x.flat[i] = old
        grad.flat[i] = (up - down) / (2 * eps)
    return grad


def numgrad_ravel(f, x, eps=1e-5):
    flat = x.ravel()  # a view only when x is contiguous
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad.reshape(x.shape)


def relerr_added_floor(a, b):
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + 1e-8)))


def relerr_python_max(a, b):
    return float(np.max(np.abs(a - b) / max(1e-8, np.abs(a) + np.abs(b))))


def relerr_where(a, b):
    den = np.abs(a).astype(np.float64) + np.abs(b)
    return float(np.max(np.abs(np.subtract(a, b, dtype=np.float64)) / np.where(den > 1e-8, den, 1e-8)))


def relerr_clip(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float((np.abs(a - b) / np.clip(np.abs(a) + np.abs(b), 1e-8, None)).max())


def norms_mutates_dh_last(Wh, h, dh_last):
    T = h.shape[1]
    norms = np.zeros(T)
    g = dh_last
    for t in range(T - 1, -1, -1):
        norms[t] = np.linalg.norm(g)
        g *= 1 - h[:, t] ** 2  # the first pass writes into the caller's dh_last
        g = g @ Wh.T
    return norms


def norms_of_the_previous(Wh, h, dh_last):
    T = h.shape[1]
    norms, g = np.zeros(T), np.asarray(dh_last, np.float64)
    for t in range(T - 1, -1, -1):
        g = (g * (1 - h[:, t] ** 2)) @ Wh.T
        norms[t] = np.linalg.norm(g)  # the norm one step too far back
    return norms


def norms_sqrt_of_sum(Wh, h, dh_last):
    T = h.shape[1]
    norms, g = [], np.array(dh_last, dtype=np.float64)
    for t in reversed(range(T)):
        norms.append(np.sqrt(np.einsum("nh,nh->", g, g)))
        g = np.einsum("nh,kh->nk", g * (1 - h[:, t] ** 2), Wh)
    return np.array(norms[::-1])


def win_mutates_dh(dh, x, h0, h, Wx, Wh, window):
    T = x.shape[1]
    N, _, D = x.shape
    dx, dWx, dWh, db = np.zeros((N, T, D)), np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(Wh.shape[0])
    for t in reversed(range(T)):
        dx[:, t], dprev, dwx, dwh, dbt = step_correct_plain(dh[:, t], x[:, t], _prev(h0, h, t), h[:, t], Wx, Wh)
        if t > 0 and t % window:
            dh[:, t - 1] += dprev  # writes into the caller's dh
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dWx, dWh, db


def win_wraps_at_t0(dh, x, h0, h, Wx, Wh, window):
    N, T, D = x.shape
    dx, dWx, dWh, db = np.zeros((N, T, D)), np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(Wh.shape[0])
    g = np.zeros(h0.shape)
    for t in reversed(range(T)):
        if (t + 1) % window == 0:
            g = np.zeros(h0.shape)
        dx[:, t], g, dwx, dwh, dbt = step_correct_plain(dh[:, t] + g, x[:, t], h[:, t - 1], h[:, t], Wx, Wh)
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbt
    return dx, dWx, dWh, db


def win_split_arrays(dh, x, h0, h, Wx, Wh, window):
    """np.array_split into windows, each through full BPTT from its own start state."""
    T = x.shape[1]
    h_all = np.concatenate([np.asarray(h0, np.float64)[:, None], np.asarray(h, np.float64)], axis=1)
    out = None
    for idx in np.array_split(np.arange(T), range(window, T, window)):
        s, e = idx[0], idx[-1] + 1
        dx, _, dWx, dWh, db = seq_correct(dh[:, s:e], x[:, s:e], h_all[:, s], h[:, s:e], Wx, Wh)
        out = [dx, dWx, dWh, db] if out is None else [
            np.concatenate([out[0], dx], axis=1), out[1] + dWx, out[2] + dWh, out[3] + db]
    return tuple(out)


WRONG["rnn_step_backward"].update({
    "dx_t with Wx instead of Wx.T": (step_dx_with_wx, "used transposed"),
    "db keeps the batch axis": (step_db_keeps_batch, "db has shape"),
    "da computed in place in dh_next": (step_da_in_place, "changed its input dh_next in place"),
})
WRONG["rnn_backward"].update({
    "h[:, t - 1] wraps to the last state at t = 0": (seq_wraps_at_t0, "h[:, -1], the last state"),
    "zeros instead of h0 before step 0": (seq_zero_state_at_t0, "taken as zeros instead of h0"),
    "only the last step's dh": (seq_last_dh_only, "only the last step's upstream gradient"),
    "adds the recurrence into the caller's dh": (seq_accumulates_into_dh, "changed its input dh in place"),
})
WRONG["numerical_gradient"]["flat view of x (a copy for non-contiguous x)"] = (numgrad_flat_view, "are copies when x")
WRONG["numerical_gradient"]["x.ravel() (a copy for non-contiguous x)"] = (numgrad_ravel, "are copies when x")
del CORRECT["numerical_gradient"]["flat view of x"]
WRONG["relative_error"].update({
    "1e-8 added to the denominator": (relerr_added_floor, "1e-8 is added to the denominator"),
    "Python max on arrays": (relerr_python_max, "np.maximum(1e-8"),
})
WRONG["gradient_norm_through_time"].update({
    "multiplies dh_last in place": (norms_mutates_dh_last, "changed its input dh_last in place"),
    "norm one step too far back": (norms_of_the_previous, "each norm is taken after the step back"),
})
WRONG["rnn_backward_windowed"].update({
    "adds the recurrence into the caller's dh": (win_mutates_dh, "changed its input dh in place"),
    "h[:, t - 1] wraps to the last state at t = 0": (win_wraps_at_t0, "h[:, -1], the last state"),
})
CORRECT["rnn_step_backward"]["np.tensordot"] = step_tensordot
CORRECT["rnn_backward"]["time-major views"] = seq_time_major_views
CORRECT["numerical_gradient"]["x.flat item assignment"] = numgrad_flat_setitem
CORRECT["relative_error"].update({"np.where floor": relerr_where, "np.clip floor": relerr_clip})
CORRECT["gradient_norm_through_time"]["einsum, sqrt of the sum of squares"] = norms_sqrt_of_sum
CORRECT["rnn_backward_windowed"]["np.array_split into windows"] = win_split_arrays
