"""Hidden checks for sprint 09_training_and_inspecting: references, input generators and typical mistakes.

Shape letters: T time steps (characters), H cells, V words in a vocabulary, E embedding size.

Most problems compare with a reference on fresh inputs. Two draw random numbers, and correct
implementations may consume the generator differently, so their checks are statistical:

- ``glorot_uniform``: every value inside [-l, l], l = sqrt(6 / (fan_in + fan_out)), and the sample's
  empirical distribution within the Kolmogorov-Smirnov bound of U(-l, l). The bound is chosen so that
  a correct sample fails with probability below 2e-9 (Dvoretzky-Kiefer-Wolfowitz: P(D > t) <=
  2 exp(-2 n t^2)); the samples hold 12,000 values or more, so every typical mistake (a limit off by
  a factor sqrt(2) or more, a one-sided interval, a normal distribution) is far outside it.
- ``orthogonal``: orthonormal rows or columns to 1e-6, and a test of the sign folding: for a matrix
  drawn like Keras's (QR with the signs of R's diagonal folded into Q), the diagonal entries have
  mean 0, and s = mean(diag) * sqrt(n k) (n the long side, k the short one) has a standard deviation
  near 0.9; without the folding, numpy's QR puts s near -0.58 sqrt(k) (-5 to -8.6 for the three
  large shapes drawn here). The three values are combined, sum(s) / sqrt(3): about N(0, 0.9) when
  correct (|.| > 6 with probability below 1e-10), below -9 without the folding. The limit is 6.

For both, pairs of calls with generators in the same state must return the same array, and calls
with different states different arrays: the result must depend on ``rng`` and on nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..wire import ModelSpec
from .framework import Case, Outcome, Problem, compare_output, describe_type, float_case

SPRINT = "09_training_and_inspecting"

KS_ALPHA = 2e-9  # false-alarm probability of the Kolmogorov-Smirnov test of one sample
SIGN_LIMIT = 6.0  # |mean(diag) * sqrt(n k)| above this fails the sign-folding test


# ================================================================ references


def ref_softsign(z):
    z = np.asarray(z)
    return z / (1 + np.abs(z))  # |z| / (1 + |z|) < 1: never overflows


def ref_softsign_derivative(z):
    z = np.asarray(z)
    s = 1 / (1 + np.abs(z))  # in (0, 1]: squaring it only underflows, to 0
    return s * s


def glorot_limit(shape) -> float:
    fan_in, fan_out = shape
    return math.sqrt(6.0 / (fan_in + fan_out))


def ref_glorot_uniform(shape, rng):
    limit = glorot_limit(shape)
    return rng.uniform(-limit, limit, size=tuple(shape))  # (fan_in, fan_out)


def ref_orthogonal(shape, rng):
    rows, cols = shape
    a = rng.normal(size=(max(rows, cols), min(rows, cols)))  # tall: QR gives orthonormal columns
    q, r = np.linalg.qr(a)  # q (n, k), r (k, k)
    q = q * np.sign(np.diag(r))  # fold the signs of R's diagonal in: Haar-distributed
    return q if rows >= cols else q.T  # (rows, cols)


def ref_adagrad_step(w, g, accumulator, learning_rate, epsilon=1e-7):
    w, g, accumulator = (np.asarray(a) for a in (w, g, accumulator))
    accumulator = accumulator + g * g
    w = w - learning_rate * g / np.sqrt(accumulator + epsilon)  # epsilon inside the root
    return w, accumulator


def ref_rmsprop_step(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-7):
    w, g, velocity = (np.asarray(a) for a in (w, g, velocity))
    velocity = rho * velocity + (1 - rho) * g * g
    w = w - learning_rate * g / np.sqrt(velocity + epsilon)  # epsilon inside the root
    return w, velocity


def ref_adam_step(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g, m, v = (np.asarray(a) for a in (w, g, m, v))
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)  # bias correction in the step size
    w = w - alpha * m / (np.sqrt(v) + epsilon)  # epsilon outside the root, on the uncorrected v
    return w, m, v


def ref_early_stopping(val_losses, patience, min_delta=0.0):
    wait_limit = max(patience, 1)
    best, best_epoch = math.inf, 0
    losses = [float(x) for x in np.asarray(val_losses, dtype=np.float64).ravel()]
    for epoch, loss in enumerate(losses):
        if loss < best - min_delta:  # improves on the best so far by more than min_delta
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= wait_limit:
            return epoch, best_epoch
    return len(losses) - 1, best_epoch


def ref_unit_feature_correlation(h, feature):
    h = np.asarray(h, dtype=np.float64)  # (T, H)
    f = np.asarray(feature, dtype=np.float64)  # (T,)
    r = np.zeros(h.shape[1])
    if np.all(f == f[0]):
        return r
    varying = ~np.all(h == h[:1], axis=0)  # (H,): cells whose values are not all equal
    hc = h[:, varying] - h[:, varying].mean(axis=0)  # (T, H')
    fc = f - f.mean()  # (T,)
    r[varying] = (fc @ hc) / np.sqrt((hc * hc).sum(axis=0) * (fc @ fc))
    return r


def ref_build_pretrained_classifier(embedding_matrix, units, n_classes):
    import keras
    from keras import layers

    V, E = np.shape(embedding_matrix)
    tokens = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(V, E, embeddings_initializer=keras.initializers.Constant(np.asarray(embedding_matrix)),
                         trainable=False)(tokens)  # (N, T, E), frozen
    x = layers.LSTM(units)(x)  # (N, units)
    return keras.Model(tokens, layers.Dense(n_classes, activation="softmax")(x))


# ================================================================ inputs


def softsign_cases(rng) -> list[Case]:
    """Several shapes, float32 and float64, zeros, and magnitudes up to 1e300 (1e38 in float32)."""
    cases = []
    for shape, dtype in [((7,), np.float64), ((3, 4), np.float32), ((2, 3, 5), np.float64), ((1, 1), np.float64),
                         ((0,), np.float64), ((6, 2), np.float32)]:
        z = rng.normal(0, rng.uniform(0.5, 5), size=shape)
        cases.append(float_case((z,), dtype, f"z of shape {shape}"))
    z = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -3.0, 1e-300, -1e-12])
    cases.append(float_case((z,), np.float64, "zeros, plus and minus one, tiny values"))
    big = rng.uniform(1, 10, size=(2, 4)) * 10.0 ** rng.integers(150, 300, size=(2, 4)) * rng.choice([-1, 1], (2, 4))
    cases.append(float_case((big,), np.float64, "magnitudes between 1e150 and 1e300"))
    big32 = rng.uniform(1, 3, size=5) * 10.0 ** rng.integers(20, 38, size=5) * rng.choice([-1, 1], 5)
    cases.append(float_case((big32,), np.float32, "magnitudes between 1e20 and 3e38"))
    return cases


@dataclass
class RandomCase(Case):
    """A case of a random-array problem. Cases that share ``pair`` got generators in the same state
    (``same=True``: the answers must be equal) or in different states (``same=False``: they must differ)."""

    pair: list | None = None
    same: bool = True
    statistical: bool = True  # large enough for the distribution tests
    stats: list | None = None  # shared by the large cases: their sign statistics (orthogonal)
    stats_total: int = 0


def random_array_cases(shapes_big, shapes_small):
    def generate(rng) -> list[RandomCase]:
        def seed():
            return np.random.default_rng(int(rng.integers(2**63)))

        stats: list = []
        cases = [RandomCase((shape, seed()), label=f"shape {shape}", stats=stats, stats_total=len(shapes_big))
                 for shape in shapes_big]
        cases += [RandomCase((shape, seed()), label=f"shape {shape}", statistical=False) for shape in shapes_small]
        shape = shapes_small[0]
        state = int(rng.integers(2**63))
        same: list = []
        for _ in range(2):
            cases.append(RandomCase((shape, np.random.default_rng(state)), pair=same, statistical=False,
                                    label=f"shape {shape}, two generators in the same state"))
        different: list = []
        for _ in range(2):
            cases.append(RandomCase((shape, seed()), pair=different, same=False, statistical=False,
                                    label=f"shape {shape}, two generators in different states"))
        return cases

    return generate


GLOROT_SHAPES = [(100, 120), (30, 400), (400, 30), (1, 12000)]
GLOROT_SMALL = [(3, 5), (1, 1), (8, 2)]
ORTHOGONAL_SHAPES = [(150, 150), (200, 80), (80, 200)]
ORTHOGONAL_SMALL = [(4, 6), (1, 1), (7, 3), (1, 5), (5, 1), (3, 3)]


def _state_like(rng, shape, scale):
    """An optimiser state as after a few steps: non-negative, of mixed magnitudes."""
    return scale * rng.uniform(0, 1, size=shape) ** 2


def adagrad_cases(rng) -> list[Case]:
    cases = []
    for shape, dtype, eps in [((5,), np.float64, None), ((3, 4), np.float32, None), ((1,), np.float64, 1e-3),
                              ((2, 3, 2), np.float64, 0.5), ((4, 2), np.float32, 1e-2), ((6,), np.float64, 2.0)]:
        w, g = rng.normal(0, 1, shape), rng.normal(0, rng.uniform(0.1, 2), shape)
        acc = 0.1 + _state_like(rng, shape, rng.uniform(0, 3))  # Keras starts at 0.1
        lr = float(rng.choice([0.01, 0.1, 0.5]))
        kwargs = {} if eps is None else {"epsilon": eps}
        cases.append(float_case((w, g, acc, lr), dtype, f"shape {shape}, learning_rate={lr}, "
                                f"epsilon={'default' if eps is None else eps}", kwargs))
    shape = (4,)
    cases.append(float_case((rng.normal(0, 1, shape), 1e-4 * rng.normal(0, 1, shape), np.zeros(shape), 0.1),
                            np.float64, "an accumulator of zeros and tiny gradients (epsilon matters)"))
    return cases


def rmsprop_cases(rng) -> list[Case]:
    cases = []
    for shape, dtype, rho, eps in [((5,), np.float64, None, None), ((3, 4), np.float32, 0.8, None),
                                   ((1,), np.float64, 0.95, 1e-2), ((2, 3, 2), np.float64, 0.5, 0.3),
                                   ((4, 2), np.float32, None, 1e-2), ((6,), np.float64, 0.7, 1.5)]:
        w, g = rng.normal(0, 1, shape), rng.normal(0, rng.uniform(0.1, 2), shape)
        vel = _state_like(rng, shape, rng.uniform(0, 3))
        lr = float(rng.choice([0.001, 0.01, 0.1]))
        kwargs = {k: x for k, x in (("rho", rho), ("epsilon", eps)) if x is not None}
        cases.append(float_case((w, g, vel, lr), dtype, f"shape {shape}, learning_rate={lr}, rho="
                                f"{'default' if rho is None else rho}, epsilon={'default' if eps is None else eps}",
                                kwargs))
    shape = (3,)
    cases.append(float_case((rng.normal(0, 1, shape), 1e-4 * rng.normal(0, 1, shape), np.zeros(shape), 0.01),
                            np.float64, "a velocity of zeros and tiny gradients (epsilon matters)"))
    return cases


def adam_cases(rng) -> list[Case]:
    cases = []
    for shape, dtype, t, betas, eps in [((5,), np.float64, 1, None, None), ((3, 4), np.float32, 2, None, None),
                                        ((1,), np.float64, 7, (0.8, 0.99), 1e-2), ((2, 3, 2), np.float64, 3, None, 0.5),
                                        ((4, 2), np.float32, 25, (0.5, 0.9), None), ((6,), np.float64, 1, None, 0.1),
                                        ((3,), np.float64, 12, (0.95, 0.98), 1e-3)]:
        w, g = rng.normal(0, 1, shape), rng.normal(0, rng.uniform(0.1, 2), shape)
        if t == 1:
            m, v = np.zeros(shape), np.zeros(shape)  # Keras starts both at 0
        else:
            m, v = rng.normal(0, 0.5, shape), _state_like(rng, shape, rng.uniform(0.1, 2))
        lr = float(rng.choice([0.001, 0.01, 0.1]))
        kwargs = {} if eps is None else {"epsilon": eps}
        if betas:
            kwargs.update(beta_1=betas[0], beta_2=betas[1])
        label = f"shape {shape}, t={t}, learning_rate={lr}" + "".join(f", {k}={x}" for k, x in kwargs.items())
        cases.append(float_case((w, g, m, v, t, lr), dtype, label, kwargs))
    return cases


def _losses(rng, n):
    """Validation losses on a grid of 0.01 (no two within min_delta's rounding), a noisy decreasing curve
    that turns up: the situation early stopping is made for."""
    epochs = np.arange(n)
    turn = rng.integers(2, max(3, n))
    curve = 2.0 * np.exp(-epochs / rng.uniform(2, 6)) + 0.02 * np.maximum(0, epochs - turn)
    noise = rng.integers(-4, 5, size=n) * 0.01
    return np.round(1.0 + curve + noise, 2)


def early_stopping_cases(rng) -> list[Case]:
    """Fixed situations first (each singles out a mistake), then noisy curves of 8 to 30 epochs."""
    cases = []
    fixed = [
        ([1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.5], 3, 0.0, "a plateau of equal losses"),
        ([1.0, 0.9, 0.8, 0.7, 0.6], 2, 0.0, "always improving"),
        ([0.5, 0.6, 0.7, 0.8, 0.9, 1.0], 2, 0.0, "never improving after the first epoch"),
        ([0.7], 3, 0.0, "a single epoch"),
        ([1.0, 0.95, 0.91, 0.88, 0.86, 0.85, 0.87, 0.9], 2, 0.03, "small improvements below min_delta"),
        ([1.0, 1.1, 0.9, 1.2, 1.3], 0, 0.0, "patience 0"),
        ([2.0, 1.5, 1.6, 1.7, 1.4, 1.45, 1.5, 1.46], 3, 0.0, "an improvement just before patience runs out"),
    ]
    for losses, patience, min_delta, label in fixed:
        kwargs = {"min_delta": min_delta} if min_delta else {}
        cases.append(Case((list(losses), patience), kwargs, label=f"{label}: {losses}, patience={patience}"
                          + (f", min_delta={min_delta}" if min_delta else "")))
    for n, patience, min_delta in [(12, 2, 0.0), (20, 3, 0.0), (15, 1, 0.0), (25, 5, 0.035), (18, 2, 0.015),
                                   (10, 0, 0.0), (30, 4, 0.025), (8, 20, 0.0)]:
        losses = _losses(rng, n)
        as_list = bool(rng.integers(2))
        values = [float(x) for x in losses] if as_list else losses
        kwargs = {"min_delta": min_delta} if min_delta else {}
        cases.append(Case((values, patience), kwargs, label=f"{n} epochs as a {'list' if as_list else 'numpy array'}"
                          f", patience={patience}, min_delta={min_delta}"))
    return cases


def correlation_cases(rng) -> list[Case]:
    cases = []
    for T, H, dtype in [(50, 6, np.float64), (200, 16, np.float32), (2, 3, np.float64), (40, 1, np.float64)]:
        h = np.tanh(rng.normal(0, 1.5, size=(T, H)))  # (T, H), like cell activations
        feature = rng.integers(0, 2, size=T).astype(np.float64)  # a binary feature, e.g. "inside a string"
        if T > 2:
            h[:, 0] = 0.3 * feature - 0.1 + 0.05 * rng.normal(size=T)  # one cell that follows the feature
        if T == 2:
            feature = np.array([0.0, 1.0])
        cases.append(float_case((h, feature), dtype, f"T={T}, H={H}, a binary feature"))
    T, H = 60, 8
    h = np.tanh(rng.normal(0, 1, size=(T, H)))
    depth = rng.integers(0, 4, size=T) * 4.0  # indentation depth, in spaces
    h[:, 2] = 0.1  # a cell stuck at 0.1: its floating-point standard deviation is not exactly 0
    h[:, 5] = -1.0  # saturated
    cases.append(float_case((h, depth), np.float64, f"T={T}, H={H}, cells 2 and 5 constant (0.1 and -1.0)"))
    h = np.tanh(rng.normal(0, 1, size=(30, 4)))
    cases.append(float_case((h, np.full(30, 0.1)), np.float64, "T=30, H=4, a constant feature (all 0.1)"))
    f = rng.normal(size=25)
    h = np.stack([2 * f + 1, -0.5 * f, f * f, 0.5 + 1e-9 * f], axis=1)  # (25, 4)
    cases.append(float_case((h, f), np.float64, "T=25, H=4, cells that are the feature scaled (r = +1 and -1), "
                            "one of them by 1e-9"))
    h = 1000.0 + np.tanh(rng.normal(size=(40, 5)))
    cases.append(float_case((h, rng.normal(size=40) + 50.0), np.float64, "T=40, H=5, large offsets"))
    return cases


def classifier_cases(rng) -> list[Case]:
    cases = []
    for V, E, units, n_classes, dtype in [(30, 8, 6, 3, np.float32), (12, 5, 4, 2, np.float64),
                                          (50, 3, 7, 5, np.float32)]:
        matrix = rng.normal(0, 1, size=(V, E)).astype(dtype)  # (V, E)
        cases.append(Case((matrix, units, n_classes), label=f"V={V}, E={E}, units={units}, n_classes={n_classes}, "
                          f"{np.dtype(dtype).name} matrix", dtype=np.dtype(np.float32)))
    return cases


# ================================================================ comparisons


STABILITY_HINTS = {
    "overflow": "(1 + |z|) ** 2 overflows beyond |z| = 1e154 (1.8e19 in float32); square 1 / (1 + |z|) instead, "
                "which lies in (0, 1].",
    "divide": "np.where computes both branches on every element, so a branch such as z / (1 + z) or z / (1 - z) "
              "divides by zero at z = -1 or 1 even where it is not chosen; z / (1 + |z|) needs no branches.",
}


class SafeProblem(Problem):
    """A problem whose point is numerical stability: no numpy warning for any finite input, with a hint."""

    def judge(self, case: Case, outcome: Outcome) -> str | None:
        if outcome.error_type == "FloatingPointError":
            hint = STABILITY_HINTS["overflow" if "overflow" in outcome.error else "divide"]
            return (f"{self.name} is not numerically stable: numpy reported '{outcome.error}' (case: {case.label}; in "
                    f"a notebook this is a RuntimeWarning). Hint: {hint}")
        return super().judge(case, outcome)


def _ks_distance(sample: np.ndarray, cdf) -> float:
    """The Kolmogorov-Smirnov distance between the sample's empirical distribution and ``cdf``."""
    x = np.sort(sample.ravel().astype(np.float64))
    n = len(x)
    F = cdf(x)
    return float(max(np.max(np.arange(1, n + 1) / n - F), np.max(F - np.arange(n) / n)))


def _ks_limit(n: int) -> float:
    return math.sqrt(math.log(2 / KS_ALPHA) / (2 * n))  # DKW: P(D > limit) <= KS_ALPHA


def uniform_cdf(a: float, b: float):
    return lambda x: np.clip((x - a) / (b - a), 0.0, 1.0)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def normal_cdf(std: float):
    return lambda x: 0.5 * (1 + _erf(x / (std * math.sqrt(2))))


# hint -> distribution of the typical mistake, as a function of (fan_in, fan_out)
GLOROT_MISTAKES = {
    "the limit is sqrt(1 / (fan_in + fan_out)): the 6 is missing":
        lambda fi, fo: uniform_cdf(-math.sqrt(1 / (fi + fo)), math.sqrt(1 / (fi + fo))),
    "the limit is sqrt(2 / (fan_in + fan_out)), the standard deviation of Glorot's normal variant: "
    "the uniform limit is sqrt(6 / (fan_in + fan_out))":
        lambda fi, fo: uniform_cdf(-math.sqrt(2 / (fi + fo)), math.sqrt(2 / (fi + fo))),
    "only fan_in is used (sqrt(6 / fan_in)): Glorot averages both fans":
        lambda fi, fo: uniform_cdf(-math.sqrt(6 / fi), math.sqrt(6 / fi)),
    "only fan_out is used (sqrt(6 / fan_out)): Glorot averages both fans":
        lambda fi, fo: uniform_cdf(-math.sqrt(6 / fo), math.sqrt(6 / fo)),
    "the limit is 6 / (fan_in + fan_out), without the square root":
        lambda fi, fo: uniform_cdf(-6 / (fi + fo), 6 / (fi + fo)),
    "the values come from a normal distribution with standard deviation sqrt(2 / (fan_in + fan_out)) "
    "instead of a uniform one":
        lambda fi, fo: normal_cdf(math.sqrt(2 / (fi + fo))),
    "the values come from U(0, l) instead of U(-l, l) (rng.random() * l is never negative)":
        lambda fi, fo: uniform_cdf(0.0, glorot_limit((fi, fo))),
    "the values come from U(-1, 1): the limit is missing":
        lambda fi, fo: uniform_cdf(-1.0, 1.0),
}


def sign_statistic(got, shape) -> float:
    """mean(diag) * sqrt(n k) for an (n, k) matrix with orthonormal columns: about N(0, 0.9) when the signs
    of R's diagonal are folded in, near -0.58 sqrt(k) when they are not (numpy's QR biases the diagonal)."""
    k, n = min(shape), max(shape)
    q = got if shape[0] >= shape[1] else got.T  # (n, k)
    return float(np.mean(np.diag(q[:k])) * math.sqrt(n * k))


def sign_message(stats: list[float]) -> str | None:
    combined = sum(stats) / math.sqrt(len(stats))  # about N(0, 0.9) for a correct implementation
    if abs(combined) <= SIGN_LIMIT:
        return None
    return (f"the diagonals of the {len(stats)} large matrices are biased: mean(diag) * sqrt(n k), combined over "
            f"them, is {combined:.1f}, while matrices drawn like Keras's Orthogonal stay within +-{SIGN_LIMIT:g}. "
            "Hint: the signs of R's diagonal are not folded into Q (q * np.sign(np.diag(r))): numpy's QR biases "
            "Q's diagonal, and the matrix is not uniformly distributed over the orthogonal matrices.")


def _array_basics(got, shape) -> str | None:
    if not isinstance(got, np.ndarray):
        return f"the result should be a numpy array, but it is {describe_type(got)}."
    if got.dtype.kind != "f":
        return f"the result has dtype {got.dtype}; it should be a floating-point array."
    if got.shape != tuple(shape):
        return f"the result has shape {got.shape}; expected {tuple(shape)}."
    if not np.all(np.isfinite(got)):
        return "the result contains NaN or inf."
    return None


def glorot_distribution(got, shape, statistical: bool) -> str | None:
    """Range, then (for a large sample) the Kolmogorov-Smirnov test; the hint names the mistake whose
    distribution the sample fits."""
    fan_in, fan_out = shape
    limit = glorot_limit(shape)
    if not statistical:
        top = float(np.max(np.abs(got)))
        if top > limit * (1 + 1e-12):
            return f"a value is {top:.4g} in absolute value, outside [-l, l] with l = {limit:.4g}."
        return None
    hint = ""
    for description, mistake in GLOROT_MISTAKES.items():
        if _ks_distance(got, mistake(fan_in, fan_out)) <= _ks_limit(got.size):
            hint = f" Hint: your values look like what you get when {description}."
            break
    top = float(np.max(np.abs(got)))
    if top > limit * (1 + 1e-12):
        return (f"a value is {top:.4g} in absolute value, outside [-l, l] with l = sqrt(6 / ({fan_in} + {fan_out})) "
                f"= {limit:.4g}.{hint}")
    d = _ks_distance(got, uniform_cdf(-limit, limit))
    if d > _ks_limit(got.size):
        return (f"the {got.size} values are not spread like U(-l, l) with l = {limit:.4g}: the largest gap between "
                f"their cumulative distribution and the uniform one is {d:.3f} (a correct sample stays below "
                f"{_ks_limit(got.size):.3f} with probability 1 - 2e-9).{hint}")
    return None


def orthogonal_distribution(got, shape, statistical: bool) -> str | None:
    """Orthonormal rows or columns (the sign-folding test is ``sign_statistic``, over several matrices)."""
    rows, cols = shape
    k, n = min(shape), max(shape)
    q = got if rows >= cols else got.T  # (n, k), columns orthonormal
    gram = q.T.astype(np.float64) @ q  # (k, k)
    error = float(np.max(np.abs(gram - np.eye(k))))
    if error > 1e-6:
        which = "columns" if rows >= cols else "rows"
        hint = ""
        if rows != cols and abs(np.mean(np.sum(got.astype(np.float64) ** 2, axis=1 if rows < cols else 0)) - 1) > 0.05:
            hint = (f" Hint: for a {rows} x {cols} shape only the {k} {which} can be orthonormal; draw a "
                    f"{n} x {k} normal matrix, take its QR, and transpose when there are fewer rows than columns.")
        elif np.allclose(np.diag(gram), np.diag(gram).mean(), rtol=1e-6) and abs(np.diag(gram).mean() - 1) > 1e-6:
            hint = (" Hint: the matrix is orthogonal up to a scale factor: use Q itself, without multiplying it "
                    "(gain 1).")
        return (f"the {which} are not orthonormal: (the matrix's Gram matrix) - I has an entry of {error:.3g}; "
                f"expected below 1e-6.{hint}")
    if statistical and np.allclose(q[:k], np.eye(k), atol=1e-6):
        return "the matrix is the identity, which is not random at all: draw it from rng."
    return None


class RandomArrayProblem(Problem):
    """``glorot_uniform`` and ``orthogonal``: judged by the array's range and distribution, and by pairs
    of calls with generators in the same (or different) states; never by exact values."""

    distribution: object = None

    def __init__(self, *args, distribution, **kwargs):
        super().__init__(*args, **kwargs)
        self.distribution = distribution

    def judge(self, case: RandomCase, outcome: Outcome) -> str | None:
        where = f" (case: {case.label})"
        if outcome.error is not None or outcome.mutated:
            return super().judge(case, outcome)
        shape = case.args[0]
        got = outcome.value
        message = _array_basics(got, shape)
        if message is None and case.dtype == np.float64 and got.dtype != np.float64:
            message = "the result should be float64 (numpy's default): do not cast to a lower precision."
        if message is None:
            message = self.distribution(got, shape, case.statistical)
        if message is None and case.statistical and self.name == "orthogonal":
            case.stats.append(sign_statistic(got, shape))
            if len(case.stats) == case.stats_total:
                message = sign_message(case.stats)
        if message is None and case.pair is not None:
            case.pair.append(got)
            if len(case.pair) == 2:
                equal = np.array_equal(case.pair[0], case.pair[1])
                if case.same and not equal:
                    message = ("two generators in the same state gave different arrays: draw every random number "
                               "from the rng argument (rng.uniform, rng.normal), not from np.random or a generator "
                               "of your own.")
                elif not case.same and equal:
                    message = ("two generators in different states gave the same array: the result must be random, "
                               "drawn from the rng argument (not a fixed seed, not a fixed matrix).")
        return None if message is None else f"{self.name}: {message}{where}"


def optimiser_compare(names, nan_hint: str):
    """Compare the returned arrays; the tolerance allows Keras's float32 hyperparameters (a relative
    error of about 1e-5 of the change each array went through). ``nan_hint`` explains NaN or inf."""

    def compare(got, expected, case) -> str | None:
        message = compare_output(names, got, expected, case.dtype)
        if message is None or not isinstance(got, tuple) or len(got) != len(expected):
            return message
        if "NaN or inf" in message:
            return f"{message} Hint: {nan_hint}"
        inputs = {"w": case.args[0], names[1]: case.args[2]} | ({"v": case.args[3]} if len(names) == 3 else {})
        for name, g, e in zip(names, got, expected):
            structural = compare_output((name,), g, e, case.dtype)
            if structural is None:
                continue
            if not isinstance(g, np.ndarray) or g.shape != e.shape or not np.all(np.isfinite(g)):
                return structural
            if case.dtype == np.float64 and g.dtype != np.float64:
                return structural
            change = np.max(np.abs(e - np.asarray(inputs[name], dtype=np.float64))) if e.size else 0.0
            if np.max(np.abs(g.astype(np.float64) - e), initial=0.0) > 2e-5 * change:
                return structural
        return None

    return compare


def compare_early_stopping(got, expected, case) -> str | None:
    if not isinstance(got, tuple) or len(got) != 2:
        return f"the function should return a tuple (stopped_epoch, best_epoch), but it returned {describe_type(got)}."
    for name, g, e in zip(("stopped_epoch", "best_epoch"), got, expected):
        if isinstance(g, (bool, np.bool_)) or not isinstance(g, (int, np.integer)):
            return f"{name} should be an int, but it is {g!r} ({type(g).__name__})."
        if g != e:
            return f"{name} is {g}; expected {e}."
    return None


def compare_correlation(got, expected, case) -> str | None:
    h, feature = case.args
    if isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype.kind == "f" \
            and not np.all(np.isfinite(got)):
        bad = int(np.argwhere(~np.isfinite(got))[0][0])
        constant_feature = np.all(feature == feature[0])
        what = "the feature's values are all equal" if constant_feature else f"cell {bad}'s values are all equal"
        return (f"r[{bad}] is {got[bad]} where {what}: the correlation is undefined there (0 / 0), and the contract "
                "says to return 0. Test equality (np.all(x == x[0])) before dividing.")
    return compare_output(("r",), got, expected, case.dtype)


def _classifier_expected(V, E, units, n_classes):
    lstm = 4 * units * (E + units + 1)
    dense = units * n_classes + n_classes
    return V * E + lstm + dense, lstm + dense


def compare_classifier(got, expected, case) -> str | None:
    matrix, units, n_classes = case.args
    V, E = np.shape(matrix)
    if not isinstance(got, ModelSpec):
        return f"the function should return a keras Model, but it returned {describe_type(got)}."
    if not got.built:
        return ("the model is not built, so it has no weights yet: start it with keras.Input(shape=(None,)) "
                "(integer sequences of any length).")
    kinds = [s["type"] for s in got.layers]
    if kinds != ["Embedding", "LSTM", "Dense"]:
        return f"the model's layers are {kinds}; expected ['Embedding', 'LSTM', 'Dense'] (Dropout layers are ignored)."
    emb, lstm, dense = got.layers
    if (emb["input_dim"], emb["output_dim"]) != (V, E):
        return (f"the Embedding is Embedding({emb['input_dim']}, {emb['output_dim']}); expected Embedding({V}, {E}), "
                "the shape of embedding_matrix.")
    if lstm["units"] != units or lstm["return_sequences"]:
        return (f"the LSTM has {lstm['units']} units and return_sequences={lstm['return_sequences']}; expected "
                f"LSTM({units}) returning only its last state.")
    if dense["units"] != n_classes or dense["activation"] != "softmax":
        return (f"the output layer is Dense({dense['units']}, activation={dense['activation']!r}); expected "
                f"Dense({n_classes}, activation='softmax').")
    details = got.details or {}
    shape = tuple(details.get("input", ()))
    if shape != (None,):
        return (f"the model's input has shape {(None,) + shape}; expected (None, None): keras.Input(shape=(None,)) "
                "takes sequences of any length.")
    embeddings = details.get("embeddings") or [{}]
    info = embeddings[0]
    if info.get("mask_zero"):
        return ("the Embedding has mask_zero=True: the contract asks for no mask (index 0 is a word like the others "
                "here).")
    stored = info.get("matrix")
    if not isinstance(stored, np.ndarray) or stored.shape != (V, E):
        return "the Embedding's weights could not be read back."
    if not np.allclose(stored.astype(np.float64), np.asarray(matrix, dtype=np.float64), rtol=1e-6, atol=1e-6):
        return ("the Embedding's weights are not embedding_matrix: pass "
                "embeddings_initializer=keras.initializers.Constant(embedding_matrix), or call "
                "set_weights([embedding_matrix]) on the built layer.")
    total, trainable = _classifier_expected(V, E, units, n_classes)
    if got.count != total:
        return f"the model has {got.count:,} parameters; expected {total:,}."
    if info.get("trainable") or details.get("trainable_count") == total:
        return (f"the Embedding is trainable ({details.get('trainable_count', 0):,} trainable parameters; expected "
                f"{trainable:,}): freeze it with trainable=False, or training overwrites the pretrained vectors.")
    if details.get("trainable_count") != trainable:
        return (f"the model has {details.get('trainable_count', 0):,} trainable parameters; expected {trainable:,}, "
                "those of the LSTM and the Dense layer: freeze only the Embedding, not the whole model.")
    return None


# ================================================================ mistakes


def _abs_missing_softsign(z):
    return np.asarray(z) / (1 + np.asarray(z))


def _adagrad(w, g, acc, lr, epsilon=1e-7, *, inside=True, new=True, square=True, sqrt=True, reset=False):
    w, g, acc = (np.asarray(a, dtype=np.float64) for a in (w, g, acc))
    new_acc = (0 if reset else acc) + (g * g if square else g)
    used = new_acc if new else acc
    denominator = np.sqrt(used + epsilon) if inside else np.sqrt(used) + epsilon
    if not sqrt:
        denominator = used + epsilon
    return w - lr * g / denominator, new_acc


def _rmsprop(w, g, vel, lr, rho=0.9, epsilon=1e-7, *, inside=True, new=True, swap=False, square=True, sqrt=True):
    w, g, vel = (np.asarray(a, dtype=np.float64) for a in (w, g, vel))
    keep = 1 - rho if swap else rho
    new_vel = keep * vel + (1 - keep) * (g * g if square else np.abs(g))
    used = new_vel if new else vel
    denominator = np.sqrt(used + epsilon) if inside else np.sqrt(used) + epsilon
    if not sqrt:
        denominator = used + epsilon
    return w - lr * g / denominator, new_vel


def _adam(w, g, m, v, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, *, mode="keras", t_shift=0):
    w, g, m, v = (np.asarray(a, dtype=np.float64) for a in (w, g, m, v))
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    t = t + t_shift
    if mode == "no_correction":
        return w - lr * m / (np.sqrt(v) + epsilon), m, v
    if mode == "inside":
        alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        return w - alpha * m / np.sqrt(v + epsilon), m, v
    if mode == "hats":  # the paper's form: epsilon added to the root of the corrected v
        m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
        return w - lr * m_hat / (np.sqrt(v_hat) + epsilon), m, v
    if mode == "return_hats":
        alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        return w - alpha * m / (np.sqrt(v) + epsilon), m / (1 - beta_1**t), v / (1 - beta_2**t)
    alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v


def _stopping(val_losses, patience, min_delta=0.0, *, extra=0, better=None, best_rule="last", never=None,
              one_based=False, previous=False):
    losses = [float(x) for x in np.asarray(val_losses, dtype=np.float64).ravel()]
    better = better or (lambda loss, best: loss < best - min_delta)
    wait_limit = max(patience, 1)
    best, best_epoch, stopped = math.inf, 0, None
    for epoch, loss in enumerate(losses):
        reference = losses[epoch - 1] if previous and epoch else best
        if better(loss, reference) or epoch == 0:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= wait_limit + extra:
            stopped = epoch
            break
    if stopped is None:
        stopped = len(losses) - 1 if never is None else never(losses)
    if best_rule == "argmin":
        best_epoch = int(np.argmin(losses[:stopped + 1]))
    shift = 1 if one_based else 0
    return stopped + shift, best_epoch + shift


def _corr_std_test(h, feature):
    h, f = np.asarray(h, dtype=np.float64), np.asarray(feature, dtype=np.float64)
    r = np.zeros(h.shape[1])
    if np.isclose(np.std(f), 0):
        return r
    for j in range(h.shape[1]):
        if not np.isclose(np.std(h[:, j]), 0):
            r[j] = np.mean((h[:, j] - h[:, j].mean()) * (f - f.mean())) / (np.std(h[:, j]) * np.std(f))
    return r


def _corr_scaled(h, feature, factor):
    return ref_unit_feature_correlation(h, feature) * factor(len(feature))


def _cosine(h, feature):
    h, f = np.asarray(h, dtype=np.float64), np.asarray(feature, dtype=np.float64)
    norms = np.sqrt((h * h).sum(axis=0) * (f @ f))
    with np.errstate(all="ignore"):
        return np.where(norms > 0, (f @ h) / np.where(norms > 0, norms, 1), 0.0)


def _covariance(h, feature):
    h, f = np.asarray(h, dtype=np.float64), np.asarray(feature, dtype=np.float64)
    return (f - f.mean()) @ (h - h.mean(axis=0)) / len(f)


# ================================================================ problems

OPT2 = ("w", "accumulator")

PROBLEMS = [
    SafeProblem(
        name="softsign",
        sprint=SPRINT,
        generate=softsign_cases,
        reference=ref_softsign,
        output_names=("softsign(z)",),
        arg_names=("z",),
        strict_fp=True,
        mistakes={
            "the absolute value is missing (z / (1 + z))": _abs_missing_softsign,
            "tanh is used instead of softsign": lambda z: np.tanh(np.asarray(z, dtype=np.float64)),
            "z is squared in the denominator (z / (1 + z**2))": lambda z: np.asarray(z) / (1 + np.asarray(z) ** 2),
            "the derivative is returned instead of the function": ref_softsign_derivative,
            "the denominator is 1 - |z|": lambda z: np.asarray(z) / (1 - np.abs(z)),
        },
    ),
    SafeProblem(
        name="softsign_derivative",
        sprint=SPRINT,
        generate=softsign_cases,
        reference=ref_softsign_derivative,
        output_names=("softsign'(z)",),
        arg_names=("z",),
        strict_fp=True,
        mistakes={
            "the square is missing (1 / (1 + |z|))": lambda z: 1 / (1 + np.abs(z)),
            "tanh's derivative formula is used (1 - softsign(z)**2)": lambda z: 1 - ref_softsign(z) ** 2,
            "the absolute value is missing (1 / (1 + z)**2)": lambda z: 1 / (1 + np.asarray(z, dtype=np.float64)) ** 2,
            "the sigmoid's derivative formula is used (s * (1 - s))": lambda z: ref_softsign(z) * (1 - ref_softsign(z)),
            "the function is returned instead of its derivative": ref_softsign,
            "the derivative is negated": lambda z: -ref_softsign_derivative(z),
        },
    ),
    RandomArrayProblem(
        name="glorot_uniform",
        sprint=SPRINT,
        generate=random_array_cases(GLOROT_SHAPES, GLOROT_SMALL),
        reference=ref_glorot_uniform,
        output_names=("weights",),
        arg_names=("shape", "rng"),
        distribution=glorot_distribution,
    ),
    RandomArrayProblem(
        name="orthogonal",
        sprint=SPRINT,
        generate=random_array_cases(ORTHOGONAL_SHAPES, ORTHOGONAL_SMALL),
        reference=ref_orthogonal,
        output_names=("weights",),
        arg_names=("shape", "rng"),
        distribution=orthogonal_distribution,
    ),
    Problem(
        name="adagrad_step",
        sprint=SPRINT,
        generate=adagrad_cases,
        reference=ref_adagrad_step,
        output_names=OPT2,
        arg_names=("w", "g", "accumulator"),
        compare=optimiser_compare(OPT2, "NaN comes from the square root of a negative number: accumulate g**2, "
                                        "which is never negative, not g."),
        mistakes={
            "epsilon is added outside the square root (Keras's Adagrad adds it inside: sqrt(accumulator + epsilon))":
                lambda *a, **k: _adagrad(*a, **k, inside=False),
            "the old accumulator is used in the step: add g**2 first, then divide by its root":
                lambda *a, **k: _adagrad(*a, **k, new=False),
            "g is accumulated instead of g**2": lambda *a, **k: _adagrad(*a, **k, square=False),
            "the square root is missing": lambda *a, **k: _adagrad(*a, **k, sqrt=False),
            "the accumulator given is ignored (it restarts from 0 at every step)":
                lambda *a, **k: _adagrad(*a, **k, reset=True),
            "the step is added instead of subtracted (w + lr * g / ...)":
                lambda w, g, acc, lr, epsilon=1e-7: (lambda r: (2 * np.asarray(w, np.float64) - r[0], r[1]))(
                    ref_adagrad_step(w, g, acc, lr, epsilon)),
        },
    ),
    Problem(
        name="rmsprop_step",
        sprint=SPRINT,
        generate=rmsprop_cases,
        reference=ref_rmsprop_step,
        output_names=("w", "velocity"),
        arg_names=("w", "g", "velocity"),
        compare=optimiser_compare(("w", "velocity"), "NaN comes from the square root of a negative number: "
                                                     "average g**2, which is never negative, not g."),
        mistakes={
            "epsilon is added outside the square root (Keras's RMSprop adds it inside: sqrt(velocity + epsilon))":
                lambda *a, **k: _rmsprop(*a, **k, inside=False),
            "the old velocity is used in the step: update it first, then divide by its root":
                lambda *a, **k: _rmsprop(*a, **k, new=False),
            "rho and 1 - rho are swapped (the velocity keeps rho of its old value: rho * v + (1 - rho) * g**2)":
                lambda *a, **k: _rmsprop(*a, **k, swap=True),
            "|g| is averaged instead of g**2": lambda *a, **k: _rmsprop(*a, **k, square=False),
            "the square root is missing": lambda *a, **k: _rmsprop(*a, **k, sqrt=False),
        },
    ),
    Problem(
        name="adam_step",
        sprint=SPRINT,
        generate=adam_cases,
        reference=ref_adam_step,
        output_names=("w", "m", "v"),
        arg_names=("w", "g", "m", "v"),
        compare=optimiser_compare(("w", "m", "v"), "with t counted from 0, 1 - beta_1**t is 0 at the first step "
                                                   "(a division by zero); t is 1-based: the first step has t = 1."),
        mistakes={
            "the bias correction is missing (Keras multiplies the step size by sqrt(1 - beta_2**t) / (1 - beta_1**t))":
                lambda *a, **k: _adam(*a, **k, mode="no_correction"),
            "epsilon is added inside the square root (Keras's Adam adds it outside: sqrt(v) + epsilon)":
                lambda *a, **k: _adam(*a, **k, mode="inside"),
            "epsilon is added to the root of the corrected v (the paper's m_hat / (sqrt(v_hat) + epsilon)); Keras "
            "adds it to the root of the uncorrected v, with the correction in the step size":
                lambda *a, **k: _adam(*a, **k, mode="hats"),
            "the bias-corrected m_hat and v_hat are returned instead of m and v (return the running averages)":
                lambda *a, **k: _adam(*a, **k, mode="return_hats"),
            "the step number is off by one (t + 1 in the correction; t is already 1 at the first step)":
                lambda *a, **k: _adam(*a, **k, t_shift=1),
            "the step number is off by one (t - 1 in the correction)":
                lambda *a, **k: _adam(*a, **k, t_shift=-1),
        },
    ),
    Problem(
        name="early_stopping",
        sprint=SPRINT,
        generate=early_stopping_cases,
        reference=ref_early_stopping,
        output_names=("stopped_epoch", "best_epoch"),
        arg_names=("val_losses",),
        compare=compare_early_stopping,
        mistakes={
            "training stops one epoch too late (patience + 1 epochs without improvement)":
                lambda *a, **k: _stopping(*a, **k, extra=1),
            "training stops one epoch too early (patience - 1 epochs without improvement)":
                lambda *a, **k: _stopping(*a, **k, extra=-1),
            "min_delta is applied the wrong way (loss < best + min_delta counts as an improvement)":
                lambda v, p, min_delta=0.0: _stopping(v, p, min_delta, better=lambda x, b: x < b + min_delta),
            "a loss equal to the best counts as an improvement (<= instead of <)":
                lambda v, p, min_delta=0.0: _stopping(v, p, min_delta, better=lambda x, b: x <= b - min_delta),
            "the epochs are counted from 1 (the contract counts them from 0, like Keras's epoch argument)":
                lambda *a, **k: _stopping(*a, **k, one_based=True),
            "best_epoch is the epoch of the lowest loss, ignoring min_delta (it is the last epoch that improved by "
            "more than min_delta)": lambda *a, **k: _stopping(*a, **k, best_rule="argmin"),
            "each loss is compared with the previous epoch's instead of the best so far":
                lambda *a, **k: _stopping(*a, **k, previous=True),
            "stopped_epoch is 0 when training never stops early (that is Keras's attribute; the contract asks for "
            "the last epoch)": lambda *a, **k: _stopping(*a, **k, never=lambda losses: 0),
        },
    ),
    Problem(
        name="unit_feature_correlation",
        sprint=SPRINT,
        generate=correlation_cases,
        reference=ref_unit_feature_correlation,
        output_names=("r",),
        arg_names=("h", "feature"),
        compare=compare_correlation,
        mistakes={
            "a cell counts as constant when its standard deviation is small (np.isclose(std, 0)); only a cell whose "
            "values are all equal gives 0 (test np.all(x == x[0])); 0.5 + 1e-9 * feature has r = 1": _corr_std_test,
            "the standard deviations use ddof=0 and the covariance ddof=1 (or the other way round)":
                lambda h, f: _corr_scaled(h, f, lambda T: T / (T - 1)),
            "the standard deviations use ddof=1 and the covariance ddof=0":
                lambda h, f: _corr_scaled(h, f, lambda T: (T - 1) / T),
            "the values are not centred (this is the cosine similarity, not Pearson's correlation)": _cosine,
            "the covariance is returned, not divided by the standard deviations": _covariance,
            "the absolute value of the correlation is returned":
                lambda h, f: np.abs(ref_unit_feature_correlation(h, f)),
        },
    ),
    Problem(
        name="build_pretrained_classifier",
        sprint=SPRINT,
        generate=classifier_cases,
        reference=ref_build_pretrained_classifier,
        output_names=("model",),
        arg_names=("embedding_matrix",),
        compare=compare_classifier,
    ),
]
