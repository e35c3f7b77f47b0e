"""Hidden checks for sprint 05_parameter_counting: references, input generators and typical mistakes.

The counting references add up the sizes of the weight arrays each Keras layer creates (shape by
shape), rather than using the closed formulas the notebook derives, so that the two stay independent.

``diagnose_fit`` follows one documented rule of thumb, stated in the notebook and in ``ref_diagnose_fit``.
Its hidden cases are synthetic loss curves drawn from families that each sit clearly on one side of
every threshold (at least a few per cent away), so that no training run is involved.
"""

from __future__ import annotations

import numpy as np

from .framework import Case, Problem

SPRINT = "05_parameter_counting"

# The diagnose_fit rule of thumb (the notebook states the same numbers).
GAP = 1.2  # overfitting when the final validation loss is more than 20 % above the final training loss
RISE = 1.1  # ... or more than 10 % above the best (lowest) validation loss seen so far
HALF = 0.5  # underfitting when the final validation loss is still above half of the baseline loss
LABELS = ("overfitting", "underfitting", "good fit")


# ---------------------------------------------------------------- comparisons


def compare_count(got, expected, case) -> str | None:
    """A parameter count must be an integer (Python int or numpy integer) equal to the expected one."""
    if isinstance(got, np.ndarray) and got.ndim == 0:
        got = got[()]
    if isinstance(got, (bool, np.bool_)):
        return f"the count is the boolean {got!r}; it should be an int."
    if isinstance(got, (float, np.floating)):
        return (
            f"the count is the float {got!r}; a number of parameters is an integer: "
            "use integer arithmetic (*, + and //, never /) so that the result is an int."
        )
    if not isinstance(got, (int, np.integer)):
        return f"the count should be an int, but it is {type(got).__name__} ({got!r})."
    if int(got) != int(expected):
        return f"the count is {int(got):,}; expected {int(expected):,}."
    return None


def compare_label(got, expected, case) -> str | None:
    """The diagnosis is one of three exact strings."""
    if not isinstance(got, str):
        return f"the diagnosis should be a str, but it is {type(got).__name__} ({got!r})."
    if got not in LABELS:
        return (
            f"the diagnosis {got!r} is not one of {', '.join(repr(s) for s in LABELS)} "
            "(lower case, exactly as written)."
        )
    if got != expected:
        return f"the diagnosis is {got!r}; expected {expected!r}."
    return None


# ---------------------------------------------------------------- inputs


def dims(rng: np.random.Generator) -> list[tuple[int, int]]:
    """(input_dim, units) pairs: fixed corner cases (1 and 1, D != H both ways, the course's tables)
    plus fresh random ones, one of them with D and H of very different sizes."""
    # (3, 7) comes first: on it every typical mistake gives a different count, so the hint is specific.
    fixed = [(3, 7), (32, 32), (50, 128), (1, 1), (128, 128), (10, 1)]
    drawn = [tuple(int(v) for v in rng.integers(1, 300, 2)) for _ in range(2)]
    drawn.append((int(rng.integers(200, 2000)), int(rng.integers(1, 20))))
    return fixed + drawn


def label(D: int, H: int, **kwargs) -> str:
    return ", ".join([f"input_dim={D}", f"units={H}"] + [f"{k}={v}" for k, v in kwargs.items()])


def recurrent_cases(rng) -> list[Case]:
    cases = [Case((D, H), label=label(D, H)) for D, H in dims(rng)]
    D, H = (np.int64(v) for v in rng.integers(2, 300, 2))
    cases.append(Case((D, H), label=f"input_dim=np.int64({D}), units=np.int64({H}), numpy integers"))
    return cases


def _with_flag(D: int, H: int, flag: str, mode: str) -> Case:
    """A case whose boolean argument ``flag`` is given by name, by position, or left at its default."""
    if mode == "default":
        return Case((D, H), label=label(D, H) + f" ({flag} left at its default)")
    value = mode.endswith("True")
    if mode.startswith("named"):
        return Case((D, H), {flag: value}, label(D, H, **{flag: value}))
    return Case((D, H, value), label=label(D, H, **{flag: value}) + " (given by position)")


# The first case states the flag, so that a wrong default is told apart from an ignored flag.
FLAG_MODES = ("named True", "named False", "default", "positional False", "positional True",
              "default", "named False", "positional True", "default")


def gru_cases(rng) -> list[Case]:
    """Both bias layouts: reset_after given by name, by position, and left at its default."""
    return [_with_flag(D, H, "reset_after", mode) for (D, H), mode in zip(dims(rng), FLAG_MODES)]


def embedding_cases(rng) -> list[Case]:
    fixed = [(7, 300), (10000, 32), (400001, 50), (1, 1), (256, 4)]
    drawn = [tuple(int(v) for v in rng.integers([2, 1], [50000, 512])) for _ in range(3)]
    cases = [Case((V, E), label=f"input_dim={V}, output_dim={E}") for V, E in fixed + drawn]
    V, E = int(rng.integers(60000, 90000)), int(rng.integers(40000, 60000))
    cases.append(Case((V, E), label=f"input_dim={V}, output_dim={E}: a count above 2**31"))
    V, E = (np.int64(v) for v in rng.integers([2, 1], [5000, 300]))
    cases.append(Case((V, E), label=f"input_dim=np.int64({V}), output_dim=np.int64({E}), numpy integers"))
    return cases


def dense_cases(rng) -> list[Case]:
    """With the bias given by name, by position, left at its default, and switched off."""
    return [_with_flag(D, H, "use_bias", mode) for (D, H), mode in zip(dims(rng), FLAG_MODES)]


def bidirectional_cases(rng) -> list[Case]:
    """Counts of real recurrent layers (the course's tables) and random ones, one as a numpy integer."""
    fixed = [8320, 131584, 1, 4851]
    drawn = [int(ref_lstm_params(*(int(v) for v in rng.integers(1, 200, 2)))) for _ in range(2)]
    drawn += [int(rng.integers(2, 10**6))]
    cases = [Case((p,), label=f"layer_params={p}") for p in fixed + drawn]
    numpy_int = np.int64(rng.integers(2, 10**5))
    cases.append(Case((numpy_int,), label=f"layer_params=np.int64({int(numpy_int)})"))
    return cases


# ---- synthetic loss curves for diagnose_fit


def _geometric(start: float, end: float, n: int) -> np.ndarray:
    """n values falling (or rising) geometrically from start to end, both included."""
    if n == 1:
        return np.array([end])
    return start * (end / start) ** (np.arange(n) / (n - 1))


def _u_shaped(start: float, low: float, end: float, n: int, rng) -> np.ndarray:
    """Falls from start to its minimum low, then rises to end (n >= 4)."""
    m = int(rng.integers(2, n - 1))  # index of the minimum, neither first nor last
    return np.concatenate([_geometric(start, low, m + 1), _geometric(low, end, n - m)[1:]])


def _curves(rng, family: str):
    """(train, val, baseline) for one family of synthetic curves; the comments give the margins to the
    rule, with b the baseline loss (the loss of a model that has learnt nothing)."""
    u = rng.uniform
    E = int(rng.integers(6, 40))
    b = float(np.exp(u(np.log(0.05), np.log(5.0))))  # a loss can be on any scale
    t0 = b * u(1.0, 1.3)  # the first epoch has learnt little: both losses start near b or above
    v0 = t0 * u(1.0, 1.15)
    if family == "good fit":  # v <= 0.4 b, v/t in [0.85, 1.15], validation never rises
        v = b * u(0.1, 0.4)
        t = v / u(0.85, 1.15)
        val = _geometric(v0, v, E)
    elif family == "overfitting: gap":  # v/t in [1.3, 3], validation never rises
        v = b * u(0.1, 0.4)
        t = v / u(1.3, 3.0)
        val = _geometric(v0, v, E)
    elif family == "overfitting: rise":  # v/vmin in [1.15, 1.5], v/t in [0.85, 1.12], v <= 0.45 b
        low = b * u(0.15, 0.3)
        v = low * u(1.15, 1.5)
        t = v / u(0.85, 1.12)
        val = _u_shaped(v0, low, v, E, rng)
    elif family == "underfitting":  # v/b in [0.6, 0.95], v/t in [0.9, 1.12], validation never rises
        v = b * u(0.6, 0.95)
        t = v / u(0.9, 1.12)
        val = _geometric(v0, v, E)
    elif family == "underfitting after a poor start":  # first epoch far above b: v <= 0.4 v0, v/b in [0.6, 0.9]
        t0 = b * u(2.5, 4.0)
        v0 = t0 * u(0.95, 1.1)
        v = b * u(0.6, 0.9)
        t = v / u(0.9, 1.12)
        val = _geometric(v0, v, E)
    elif family == "good fit after one fast epoch":  # v0 already low: v/v0 in [0.6, 0.9], v/b <= 0.3
        v0 = b * u(0.2, 0.3)
        t0 = v0 * u(0.95, 1.1)
        v = v0 * u(0.6, 0.9)
        t = v / u(0.85, 1.12)
        val = _geometric(v0, v, E)
    elif family == "overfitting while still high":  # v/b in [0.6, 0.9] but v/t in [1.35, 2]
        v = b * u(0.6, 0.9)
        t = v / u(1.35, 2.0)
        val = _geometric(v0, v, E)
    elif family == "overfitting on a tiny scale":  # losses near 0.01: v/t in [1.5, 3], v - t < 0.03
        b = u(0.03, 0.06)
        t0, v0 = b * u(0.9, 1.1), b * u(0.9, 1.1)
        v = u(0.008, 0.012)
        t = v / u(1.5, 3.0)
        val = _geometric(v0, v, E)
    elif family == "good fit on a large scale":  # losses near 10: v/t in [1.05, 1.15], v - t > 0.3
        b = u(30.0, 60.0)
        t0 = b * u(0.95, 1.1)
        v0 = t0 * u(0.95, 1.1)
        t = u(6.0, 10.0)
        v = t * u(1.05, 1.15)
        val = _geometric(v0, v, E)
    elif family == "good fit with a small rise":  # v/vmin in [1.02, 1.07], v/t in [0.8, 1.1]
        low = b * u(0.1, 0.3)
        v = low * u(1.02, 1.07)
        t = v / u(0.8, 1.1)
        val = _u_shaped(v0, low, v, E, rng)
    elif family == "good fit with dropout":  # v <= 0.4 b, but t well above half the baseline, v < t
        v = b * u(0.25, 0.4)
        t = b * u(0.6, 0.9)
        val = _geometric(v0, v, E)
    elif family == "one epoch":  # a single value each: v/b in [0.9, 1.1], v/t in [0.9, 1.1]
        E = 1
        v = b * u(0.9, 1.1)
        t = v / u(0.9, 1.1)
        val = np.array([v])
    else:
        raise ValueError(family)
    train = _geometric(t0, t, E)
    return train, val, b


FAMILIES = (
    "good fit",
    "overfitting: gap",
    "overfitting: rise",
    "underfitting",
    "underfitting after a poor start",
    "good fit after one fast epoch",
    "overfitting while still high",
    "overfitting on a tiny scale",
    "good fit on a large scale",
    "good fit with a small rise",
    "good fit with dropout",
    "one epoch",
)


def fit_cases(rng) -> list[Case]:
    """One pair of curves per family, as lists (like Keras's history), float64 or float32 arrays; the
    baseline as a Python float or a numpy scalar."""
    cases = []
    for i, family in enumerate(FAMILIES):
        train, val, baseline = _curves(rng, family)
        form = ("list", "float64", "float32")[i % 3]
        if form == "list":
            args = ([float(x) for x in train], [float(x) for x in val], float(baseline))
        else:
            args = (train.astype(form), val.astype(form), np.dtype(form).type(baseline))
        cases.append(Case(args, label=f"{family}, {len(train)} epochs, given as {form}"))
    return cases


# ---------------------------------------------------------------- references


def _size(*shape: int) -> int:
    size = 1
    for n in shape:
        size *= int(n)
    return size


def ref_simple_rnn_params(input_dim, units):
    D, H = int(input_dim), int(units)
    return _size(D, H) + _size(H, H) + _size(H)  # Wx (D, H), Wh (H, H), b (H,)


def ref_lstm_params(input_dim, units):
    D, H = int(input_dim), int(units)
    return _size(D, 4 * H) + _size(H, 4 * H) + _size(4 * H)  # W (D, 4H), U (H, 4H), b (4H,)


def ref_gru_params(input_dim, units, reset_after=True):
    D, H = int(input_dim), int(units)
    bias = _size(2, 3 * H) if reset_after else _size(3 * H)  # b (2, 3H) or (3H,)
    return _size(D, 3 * H) + _size(H, 3 * H) + bias  # W (D, 3H), U (H, 3H)


def ref_embedding_params(input_dim, output_dim):
    return _size(input_dim, output_dim)  # one row of output_dim numbers per token, no bias


def ref_dense_params(input_dim, units, use_bias=True):
    return _size(input_dim, units) + (_size(units) if use_bias else 0)  # kernel (D, H), bias (H,)


def ref_bidirectional_params(layer_params):
    forward, backward = int(layer_params), int(layer_params)  # two independent copies of the layer
    return forward + backward


def ref_diagnose_fit(train_losses, val_losses, baseline_loss):
    """The course's rule of thumb, applied to the per-epoch losses (equal lengths, at least one epoch).

    1. "overfitting" when the final validation loss is more than 20 % above the final training loss,
       or more than 10 % above the lowest validation loss seen: v > 1.2 t or v > 1.1 min(val);
    2. otherwise "underfitting" when the final validation loss is still more than half of the
       baseline loss, the loss of a model that has learnt nothing: v > 0.5 b;
    3. otherwise "good fit".
    """
    train = np.asarray(train_losses, dtype=np.float64)
    val = np.asarray(val_losses, dtype=np.float64)
    baseline = float(baseline_loss)
    t, v = train[-1], val[-1]
    if v > GAP * t or v > RISE * val.min():
        return "overfitting"
    if v > HALF * baseline:
        return "underfitting"
    return "good fit"


# ---------------------------------------------------------------- typical mistakes (also used as hints)


def _over(t, v, val):
    return v > GAP * t or v > RISE * min(val)


def fit_gap_only(train, val, b):
    t, v = train[-1], val[-1]
    return "overfitting" if v > GAP * t else ("underfitting" if v > HALF * b else "good fit")


def fit_rise_only(train, val, b):
    v = val[-1]
    return "overfitting" if v > RISE * min(val) else ("underfitting" if v > HALF * b else "good fit")


def fit_absolute_gap(train, val, b):
    t, v = train[-1], val[-1]
    if v - t > 0.2 or v > RISE * min(val):
        return "overfitting"
    return "underfitting" if v > HALF * b else "good fit"


def fit_any_rise(train, val, b):
    t, v = train[-1], val[-1]
    if v > GAP * t or v > min(val):
        return "overfitting"
    return "underfitting" if v > HALF * b else "good fit"


def fit_underfitting_first(train, val, b):
    t, v = train[-1], val[-1]
    if v > HALF * b:
        return "underfitting"
    return "overfitting" if _over(t, v, val) else "good fit"


def fit_first_epoch_as_baseline(train, val, b):
    t, v = train[-1], val[-1]
    if _over(t, v, val):
        return "overfitting"
    return "underfitting" if v > HALF * val[0] else "good fit"


def fit_underfitting_on_train(train, val, b):
    t, v = train[-1], val[-1]
    if _over(t, v, val):
        return "overfitting"
    return "underfitting" if t > HALF * b else "good fit"


def fit_whole_baseline(train, val, b):
    t, v = train[-1], val[-1]
    if _over(t, v, val):
        return "overfitting"
    return "underfitting" if v > b else "good fit"


def fit_equal_means_underfitting(train, val, b):
    t, v = train[-1], val[-1]
    if _over(t, v, val):
        return "overfitting"
    return "underfitting" if abs(v - t) <= 0.2 * t else "good fit"


# ---------------------------------------------------------------- problems

COUNT = dict(sprint=SPRINT, compare=compare_count, output_names=("the count",))

PROBLEMS = [
    Problem(
        name="simple_rnn_params",
        generate=recurrent_cases,
        reference=ref_simple_rnn_params,
        arg_names=("input_dim", "units"),
        mistakes={
            "the bias is left out": lambda D, H: D * H + H * H,
            "the recurrent weights are counted as units x input_dim instead of units x units":
                lambda D, H: 2 * D * H + H,
            "the recurrent weights Wh are left out": lambda D, H: D * H + H,
            "two bias vectors are counted (that is PyTorch's layout, not Keras's)":
                lambda D, H: D * H + H * H + 2 * H,
        },
        **COUNT,
    ),
    Problem(
        name="lstm_params",
        generate=recurrent_cases,
        reference=ref_lstm_params,
        arg_names=("input_dim", "units"),
        mistakes={
            "only three blocks are counted (an LSTM has four: i, f, c and o)":
                lambda D, H: 3 * (D * H + H * H + H),
            "only one block is counted (that is a SimpleRNN)": lambda D, H: D * H + H * H + H,
            "the biases are left out": lambda D, H: 4 * (D * H + H * H),
            "the bias is counted once for the whole layer instead of once per block":
                lambda D, H: 4 * (D * H + H * H) + H,
            "the recurrent weights are counted as units x input_dim instead of units x units":
                lambda D, H: 4 * (2 * D * H + H),
            "two bias vectors per block are counted (that is PyTorch's layout, not Keras's)":
                lambda D, H: 4 * (D * H + H * H + 2 * H),
        },
        **COUNT,
    ),
    Problem(
        name="gru_params",
        generate=gru_cases,
        reference=ref_gru_params,
        arg_names=("input_dim", "units", "reset_after"),
        mistakes={
            "reset_after defaults to False (Keras's default is True)":
                lambda D, H, reset_after=False: 3 * (D * H + H * H + (2 if reset_after else 1) * H),
            "reset_after is ignored and one bias row is always counted":
                lambda D, H, reset_after=True: 3 * (D * H + H * H + H),
            "reset_after is ignored and two bias rows are always counted":
                lambda D, H, reset_after=True: 3 * (D * H + H * H + 2 * H),
            "four blocks are counted (a GRU has three: z, r and the candidate)":
                lambda D, H, reset_after=True: 4 * (D * H + H * H + (2 if reset_after else 1) * H),
            "the recurrent weights are counted as units x input_dim instead of units x units":
                lambda D, H, reset_after=True: 3 * (2 * D * H + (2 if reset_after else 1) * H),
            "the biases are left out": lambda D, H, reset_after=True: 3 * (D * H + H * H),
        },
        **COUNT,
    ),
    Problem(
        name="embedding_params",
        generate=embedding_cases,
        reference=ref_embedding_params,
        arg_names=("input_dim", "output_dim"),
        mistakes={
            "a bias vector of output_dim numbers (or one extra row) is added; an Embedding has neither":
                lambda V, E: V * E + E,
            "the two sizes are added instead of multiplied": lambda V, E: V + E,
            "a bias per token is added": lambda V, E: V * E + V,
            "the product wraps around: 32-bit integers (np.int32) overflow above 2**31 - 1; use Python "
            "ints": lambda V, E: int(np.array(V, np.int64).astype(np.int32) * np.array(E, np.int32)),
        },
        **COUNT,
    ),
    Problem(
        name="dense_params",
        generate=dense_cases,
        reference=ref_dense_params,
        arg_names=("input_dim", "units", "use_bias"),
        mistakes={
            "use_bias defaults to False (Keras's default is True)":
                lambda D, H, use_bias=False: D * H + (H if use_bias else 0),
            "the bias is never counted": lambda D, H, use_bias=True: D * H,
            "the bias is counted even with use_bias=False": lambda D, H, use_bias=True: D * H + H,
            "the bias is given input_dim numbers instead of units": lambda D, H, use_bias=True:
                D * H + (D if use_bias else 0),
            "the bias is counted as one extra input and one extra unit": lambda D, H, use_bias=True:
                (D + 1) * (H + 1) if use_bias else D * H,
        },
        **COUNT,
    ),
    Problem(
        name="bidirectional_params",
        generate=bidirectional_cases,
        reference=ref_bidirectional_params,
        arg_names=("layer_params",),
        mistakes={
            "the count is not doubled (a Bidirectional layer holds two copies of the layer)": lambda p: p,
            "the count is multiplied by 4 instead of 2": lambda p: 4 * p,
            "the count is squared instead of doubled": lambda p: p * p,
            "one extra parameter is added for merging the two directions": lambda p: 2 * p + 1,
        },
        **COUNT,
    ),
    Problem(
        name="diagnose_fit",
        sprint=SPRINT,
        generate=fit_cases,
        reference=ref_diagnose_fit,
        output_names=("the diagnosis",),
        arg_names=("train_losses", "val_losses", "baseline_loss"),
        compare=compare_label,
        mistakes={
            "a validation loss rising from its minimum is not treated as overfitting": fit_gap_only,
            "a final validation loss far above the training loss is not treated as overfitting":
                fit_rise_only,
            "the gap is measured as a difference (v - t) instead of relative to the training loss":
                fit_absolute_gap,
            "any rise of the validation loss, even below the 10 % tolerance, counts as overfitting":
                fit_any_rise,
            "underfitting is tested before overfitting": fit_underfitting_first,
            "underfitting is judged against the first epoch's validation loss instead of baseline_loss "
            "(a model that learns within its first epoch is then called underfitting)":
                fit_first_epoch_as_baseline,
            "underfitting is judged on the training loss instead of the validation loss":
                fit_underfitting_on_train,
            "underfitting is tested with v > baseline_loss instead of v > 0.5 * baseline_loss":
                fit_whole_baseline,
            "validation about equal to training is called underfitting whatever the loss level":
                fit_equal_means_underfitting,
            "train_losses and val_losses are swapped": lambda train, val, b: ref_diagnose_fit(val, train, b),
        },
    ),
]
