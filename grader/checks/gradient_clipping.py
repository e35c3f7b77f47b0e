"""Hidden checks for sprint 06_gradient_clipping: references, input generators and typical mistakes.

Three of the four problems take a *list* of gradient arrays; the framework reports a function that
changes the caller's list or the arrays inside it.
"""

from __future__ import annotations

import numpy as np

from .framework import FLOAT_TOL, Case, Problem, compare_array, compare_scalar, float_case

SPRINT = "06_gradient_clipping"

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
TINY = "entries of order 1e-16 (a norm at machine-epsilon scale)"


def lowest_precision(arrays) -> np.dtype:
    """float32 when any array of the list is float32 (it sets the tolerance), else float64."""
    return F32 if any(np.asarray(a).dtype == F32 for a in arrays) else F64


def list_case(arrays, dtype, label: str, *rest) -> Case:
    """A case whose first argument is a list of ``arrays`` cast to ``dtype``."""
    dtype = np.dtype(dtype)
    grads = [np.asarray(a, dtype=np.float64).astype(dtype) for a in arrays]
    return Case((grads, *rest), {}, f"{label}, {dtype.name}", dtype)


def shapes_label(arrays) -> str:
    return "shapes " + ", ".join(str(tuple(np.shape(a))) for a in arrays)


# ---------------------------------------------------------------- inputs


def random_shape(rng, ndim: int) -> tuple[int, ...]:
    return tuple(int(v) for v in rng.integers(1, 5, ndim))


def random_grads(rng, count: int, scale: float = 1.0) -> list[np.ndarray]:
    """``count`` gradients of random rank 0 to 3, each with its own size of entries."""
    return [
        rng.normal(0, scale * rng.uniform(0.3, 3.0), random_shape(rng, int(rng.integers(0, 4))))
        for _ in range(count)
    ]


def signed_scalar(rng, low: float, high: float) -> np.ndarray:
    """A 0-d array (a scalar gradient) of magnitude in [low, high) and random sign."""
    return np.array(rng.choice([-1.0, 1.0]) * rng.uniform(low, high))


def l2(arrays) -> float:
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(a, np.float64))) for a in arrays)))


def value_cases(rng) -> list[Case]:
    """Gradient lists where some entries lie beyond +v, some beyond -v, and some inside."""
    cases = [
        list_case([rng.normal(0, 2, (2, 3, 4)), rng.normal(0, 2, 5)], F64, "3-D and 1-D gradients", 1.0),
        list_case([signed_scalar(rng, 2, 4), rng.normal(0, 1, (3, 2))], F32, "a 0-d and a 2-D gradient", 0.5),
        list_case([rng.normal(0, 0.01, (4, 3))], F64, "all entries far inside [-v, v]", 100.0),
        list_case([np.zeros((3, 3)), rng.normal(0, 2, (2, 2))], F32, "a zero gradient and another", 0.3),
        list_case([rng.normal(0, 1e3, (2, 5)), rng.normal(0, 1e3, (5, 2))], F32, "huge entries", 1e-2),
        list_case([np.array([-5.0])], F64, "one gradient of one entry", 2.0),
    ]
    for dtype in (F64, F32):
        grads = random_grads(rng, int(rng.integers(2, 5)), scale=2.0)
        grads.append(rng.normal(0, 2.0, (3, 1, 2)))  # one more tensor with entries of both signs
        cases.append(list_case(grads, dtype, shapes_label(grads), float(rng.uniform(0.5, 1.5))))
    return cases


def norm_cases(rng) -> list[Case]:
    """One gradient, with clip_norm far below, below, exactly at and far above its norm."""
    cases = []

    def add(grad, dtype, label, clip_of_norm):
        grad = np.asarray(grad, np.float64).astype(dtype)
        clip_norm = float(clip_of_norm(l2([grad])))
        cases.append(float_case((grad, clip_norm), dtype, f"{label}, shape {grad.shape}"))

    rows = rng.normal(0, 1, (3, 4)) * np.array([[1.0], [3.0], [0.2]])  # rows of very different norms
    add(rows, F64, "norm 10 times clip_norm", lambda n: n / 10)
    add(rng.normal(0, 1, 5), F32, "norm far below clip_norm", lambda n: 10 * n)
    add(rng.normal(0, 1, (2, 3, 4)), F32, "norm twice clip_norm", lambda n: n / 2)
    add(np.zeros((4, 3)), F64, "a zero gradient", lambda n: 1.0)
    add(np.zeros(3), F32, "a zero gradient", lambda n: 0.5)
    add(signed_scalar(rng, 2, 5), F64, "a 0-d gradient above clip_norm", lambda n: 1.0)
    add(rng.normal(0, 1, (2, 5)), F64, "norm exactly clip_norm", lambda n: n)
    add(rng.normal(0, 1, (1, 6)), F32, "norm 1000 times clip_norm", lambda n: n / 1000)
    grad = rng.normal(0, 2, random_shape(rng, int(rng.integers(2, 4))))
    ratio = rng.uniform(0.2, 0.8)
    add(grad, F64, "norm above clip_norm", lambda n: ratio * n)
    add(rng.normal(0, 1e-16, (3, 2)), F64, f"{TINY}, clip_norm half the norm", lambda n: n / 2)
    add(rng.normal(0, 1e-16, 4), F64, f"{TINY}, clip_norm twice the norm", lambda n: 2 * n)
    return cases


def global_norm_cases(rng) -> list[Case]:
    cases = [
        list_case([rng.normal(0, 1, (2, 3, 4)), rng.normal(0, 3, 5), signed_scalar(rng, 1, 3)], F64,
                  "3-D, 1-D and 0-d gradients"),
        list_case([rng.normal(0, 1, (3, 2))], F32, "one 2-D gradient"),
        list_case([np.zeros((2, 2)), rng.normal(0, 1, 4), rng.normal(0, 2, (1, 3))], F64,
                  "a zero gradient among others"),
        list_case([np.zeros(3), np.zeros(())], F32, "only zero gradients"),
        list_case([rng.normal(0, 1e3, (4, 4)), rng.normal(0, 1e3, 4)], F64, "huge entries"),
        list_case([signed_scalar(rng, 1, 4)], F64, "a single 0-d gradient"),
        Case(([],), {}, "an empty list of gradients (its global norm is 0.0, as tf.linalg.global_norm([]))"),
        list_case([rng.normal(0, 1e-16, (2, 3)), rng.normal(0, 1e-16, 3)], F64, TINY),
    ]
    for dtype in (F32, F64):
        grads = random_grads(rng, int(rng.integers(2, 5)))
        grads.append(rng.normal(0, 1, (2, 2)))
        cases.append(list_case(grads, dtype, shapes_label(grads)))
    return cases


def global_clip_cases(rng) -> list[Case]:
    cases = []

    def add(grads, dtype, label, clip_of_norm):
        grads = [np.asarray(g, np.float64).astype(dtype) for g in grads]
        cases.append(list_case(grads, dtype, f"{label}, {shapes_label(grads)}", float(clip_of_norm(l2(grads)))))

    add([rng.normal(0, 1, (3, 4)), rng.normal(0, 4, 4), rng.normal(0, 0.3, (2, 2, 3))], F64,
        "global norm 10 times clip_norm", lambda n: n / 10)
    add([rng.normal(0, 1, (5, 2)), rng.normal(0, 1, 2)], F32, "global norm far below clip_norm", lambda n: 10 * n)
    add([rng.normal(0, 1, (2, 3)), rng.normal(0, 2, 3)], F64, "global norm exactly clip_norm", lambda n: n)
    add([np.zeros((3, 3)), np.zeros(3)], F64, "only zero gradients", lambda n: 1.0)
    add([np.zeros((2, 2)), rng.normal(0, 1, 3)], F32, "a zero gradient among others", lambda n: n / 3)
    add([signed_scalar(rng, 1, 3), rng.normal(0, 1, 4)], F32, "a 0-d gradient in the list", lambda n: n / 2)
    add([rng.normal(0, 1, (1, 5))], F64, "a single gradient", lambda n: n / 4)
    add([rng.normal(0, 1e3, (2, 4)), rng.normal(0, 1e3, (4, 1))], F64, "huge gradients", lambda n: 1.0)
    grads = random_grads(rng, int(rng.integers(2, 5))) + [rng.normal(0, 1, (3, 2))]
    ratio = rng.uniform(0.2, 0.6)
    add(grads, F32, "global norm above clip_norm", lambda n: ratio * n)
    add([rng.normal(0, 1e-16, (2, 3)), rng.normal(0, 1e-16, 3)], F64, f"{TINY}, clip_norm a third of it",
        lambda n: n / 3)
    cases.append(Case(([], float(rng.uniform(0.5, 2.0))), {}, "an empty list of gradients (tf.clip_by_global_norm "
                                                              "returns [] and a global norm of 0.0)"))
    return cases


# ---------------------------------------------------------------- references


def ref_clip_by_value(grads, clip_value):
    v = float(clip_value)
    out = [np.array(g, dtype=np.float64) for g in grads]  # new arrays; 0-d stays an array
    for g in out:
        np.clip(g, -v, v, out=g)
    return out


def ref_clip_by_norm(grad, clip_norm):
    g = np.array(grad, dtype=np.float64)  # a new array
    norm = np.sqrt(np.sum(g * g))  # L2 norm of every entry of the tensor
    if norm > clip_norm:
        g *= clip_norm / norm
    return g


def ref_global_norm(grads):
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(g, dtype=np.float64))) for g in grads)))


def ref_clip_by_global_norm(grads, clip_norm):
    norm = ref_global_norm(grads)
    scale = clip_norm / norm if norm > clip_norm else 1.0
    out = [np.array(g, dtype=np.float64) for g in grads]
    for g in out:
        g *= scale
    return out, norm


# ---------------------------------------------------------------- comparisons


def describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return type(value).__name__


def as_array(got, expected: np.ndarray):
    """A numpy scalar where a 0-d array is expected counts as that 0-d array (np.clip returns one)."""
    if expected.ndim == 0 and isinstance(got, (float, np.floating)):
        return np.asarray(got)
    return got


def tiny_scale(expected) -> float | None:
    """The size of ``expected`` when it is tiny (below 1e-6, not 0), else None."""
    size = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    return size if 0 < size < 1e-6 else None


def compare_values(name: str, got, expected: np.ndarray, dtype) -> str | None:
    """compare_array, relative to the size of ``expected`` when that is tiny: a tolerance made for numbers
    of order 1 would accept any answer at machine-epsilon scale."""
    size = tiny_scale(expected)
    if size is None or not isinstance(got, np.ndarray) or got.dtype.kind != "f":
        return compare_array(name, got, expected, dtype)
    message = compare_array(name, got / size, expected / size, dtype)
    return message and f"{message[:-1]}, in units of {size:.3g}, the size of the expected values."


def compare_norm(name: str, got, expected: float, dtype) -> str | None:
    """compare_scalar, and relative to ``expected`` when that is tiny."""
    message = compare_scalar(name, got, expected, dtype)
    if message is None and tiny_scale(expected) is not None:
        rtol = FLOAT_TOL[np.dtype(dtype)][0] if np.dtype(dtype) in FLOAT_TOL else 2e-4
        if not np.isclose(float(got), expected, rtol=rtol, atol=0):
            return f"{name} is {float(got):.8g}; expected {expected:.8g}."
    return message


EPSILON_HINT = (" Hint: at norms this small, an epsilon added to the norm (clip_norm / (norm + 1e-6)) or a "
                "test such as norm < 1e-8 changes the result: compare norm > clip_norm and divide by the norm "
                "itself, as tf.clip_by_norm does.")


def compare_list(name: str, got, expected: list, originals) -> str | None:
    if not isinstance(got, list):
        return f"{name} should be a list with one array per gradient, but it is {describe(got)}."
    if len(got) != len(expected):
        return f"{name} should hold {len(expected)} arrays (one per gradient), but it holds {len(got)}."
    for i, (g, e, original) in enumerate(zip(got, expected, originals)):
        message = compare_values(f"{name}[{i}]", as_array(g, e), e, np.asarray(original).dtype)
        if message:
            return message
    return None


def compare_clip_by_value(got, expected, case: Case) -> str | None:
    return compare_list("clipped", got, expected, case.args[0])


def compare_clip_by_norm(got, expected, case: Case) -> str | None:
    message = compare_values("the clipped gradient", as_array(got, expected), expected, case.dtype)
    if message and "wrong values" in message and TINY in case.label:
        message += EPSILON_HINT
    return with_zero_hint(message, case)


def compare_clip_by_global_norm(got, expected, case: Case) -> str | None:
    if not isinstance(got, tuple) or len(got) != 2:
        return f"the function should return a tuple (clipped_list, global_norm), but it returned {describe(got)}."
    message = compare_list("clipped_list", got[0], expected[0], case.args[0]) or compare_norm(
        "the returned global_norm", got[1], expected[1], case.dtype
    )
    if message and ("wrong values" in message or "expected" in message) and TINY in case.label:
        message += EPSILON_HINT
    return with_zero_hint(message, case)


def with_zero_hint(message: str | None, case: Case) -> str | None:
    if message and "NaN or inf" in message and "zero" in case.label:
        message += (" Hint: the norm of all-zero gradients is 0, and 0 / 0 is nan: scale only when the norm "
                    "is above clip_norm (tf.clip_by_norm computes t * clip_norm / max(norm, clip_norm)).")
    return message


def compare_global_norm(got, expected, case: Case) -> str | None:
    return compare_norm("global_norm", got, expected, case.dtype)


# ---------------------------------------------------------------- typical mistakes (for hints)


def _as64(grads):
    return [np.asarray(g, dtype=np.float64) for g in grads]


def _l1(grads):
    return float(sum(np.sum(np.abs(g)) for g in _as64(grads)))


def _scaled(grads, scale):
    return [np.asarray(g * scale, dtype=np.float64) for g in _as64(grads)]


ZERO_NORM_HINTS = {
    "ZeroDivisionError": "a norm of 0 (all-zero gradients, or an empty list) was divided by: scale only when "
                         "the norm is above clip_norm, so that nothing is divided by 0.",
    "zero-size array to reduction operation": "the list of gradients may be empty (the contract allows it, "
                                              "as TensorFlow does): its global norm is 0.0; np.concatenate "
                                              "and max of an empty list fail.",
    "need at least one array to concatenate": "the list of gradients may be empty (the contract allows it, "
                                              "as TensorFlow does): its global norm is 0.0; np.concatenate "
                                              "of an empty list fails.",
}

PROBLEMS = [
    Problem(
        name="clip_by_value",
        sprint=SPRINT,
        generate=value_cases,
        reference=ref_clip_by_value,
        output_names=("clipped",),
        arg_names=("grads", "clip_value"),
        compare=compare_clip_by_value,
        mistakes={
            "only the upper bound is applied (np.minimum(g, v)); entries below -v must become -v":
                lambda grads, v: [np.minimum(g, v) for g in _as64(grads)],
            "the entries are clipped to [0, v] instead of [-v, v]":
                lambda grads, v: [np.clip(g, 0, v) for g in _as64(grads)],
            "each gradient is rescaled by its norm instead of being clipped entry by entry":
                lambda grads, v: [ref_clip_by_norm(g, v) for g in grads],
            "only the first gradient of the list is clipped":
                lambda grads, v: ref_clip_by_value(grads[:1], v) + _as64(grads[1:]),
        },
    ),
    Problem(
        name="clip_by_norm",
        sprint=SPRINT,
        generate=norm_cases,
        reference=ref_clip_by_norm,
        output_names=("clipped",),
        arg_names=("grad", "clip_norm"),
        compare=compare_clip_by_norm,
        error_hints=dict(ZERO_NORM_HINTS),
        mistakes={
            "every entry is clipped to [-clip_norm, clip_norm] (clipping by value, not by norm)":
                lambda g, c: np.clip(np.asarray(g, np.float64), -c, c),
            "the gradient is rescaled to length clip_norm even when its norm is already smaller":
                lambda g, c: np.asarray(g, np.float64) * c / np.sqrt(np.sum(np.square(g, dtype=np.float64))),
            "the norm is the L1 norm (sum of absolute values); it must be the L2 norm":
                lambda g, c: _scaled([g], min(1.0, c / _l1([g])))[0],
            "the square root is missing: the squared norm is used in place of the norm":
                lambda g, c: _scaled([g], min(1.0, c / ref_global_norm([g]) ** 2))[0],
            "each row is clipped by its own norm; the norm must cover the whole tensor":
                lambda g, c: np.asarray(g, np.float64) * np.minimum(
                    1.0, c / np.linalg.norm(np.asarray(g, np.float64), axis=-1, keepdims=True)),
            "np.linalg.norm(grad, 2) is used: for a matrix that is the largest singular value, "
            "not the L2 norm of all its entries":
                lambda g, c: _scaled([g], min(1.0, c / np.linalg.norm(np.asarray(g, np.float64), 2)))[0],
        },
    ),
    Problem(
        name="global_norm",
        sprint=SPRINT,
        generate=global_norm_cases,
        reference=ref_global_norm,
        output_names=("global_norm",),
        arg_names=("grads",),
        compare=compare_global_norm,
        error_hints=dict(ZERO_NORM_HINTS),
        mistakes={
            "absolute values are added (an L1 norm); add the squares and take one square root":
                _l1,
            "the norms of the tensors are added; add their squared norms, then take the square root":
                lambda grads: float(sum(ref_global_norm([g]) for g in grads)),
            "the square root is missing":
                lambda grads: ref_global_norm(grads) ** 2,
            "only the largest per-tensor norm is kept":
                lambda grads: float(max(ref_global_norm([g]) for g in grads)),
            "the squares are averaged (a root mean square); they must be summed":
                lambda grads: float(np.sqrt(np.mean(np.concatenate([np.ravel(g) for g in _as64(grads)]) ** 2))),
            "only the first gradient of the list is used":
                lambda grads: ref_global_norm(grads[:1]),
        },
    ),
    Problem(
        name="clip_by_global_norm",
        sprint=SPRINT,
        generate=global_clip_cases,
        reference=ref_clip_by_global_norm,
        output_names=("clipped_list", "global_norm"),
        arg_names=("grads", "clip_norm"),
        compare=compare_clip_by_global_norm,
        error_hints=dict(ZERO_NORM_HINTS),
        mistakes={
            "each tensor is clipped by its own norm (per-tensor clipping, like Keras clipnorm); "
            "all tensors must be scaled by the same factor clip_norm / global_norm":
                lambda grads, c: ([ref_clip_by_norm(g, c) for g in grads], ref_global_norm(grads)),
            "the returned norm is measured after clipping; return the global norm before clipping":
                lambda grads, c: (ref_clip_by_global_norm(grads, c)[0],
                                  ref_global_norm(ref_clip_by_global_norm(grads, c)[0])),
            "the gradients are rescaled to global norm clip_norm even when they were below it":
                lambda grads, c: (_scaled(grads, c / ref_global_norm(grads)), ref_global_norm(grads)),
            "the gradients are clipped entry by entry (clipping by value)":
                lambda grads, c: (ref_clip_by_value(grads, c), ref_global_norm(grads)),
            "the global norm is an L1 norm (sum of absolute values); it must be the L2 norm":
                lambda grads, c: (_scaled(grads, min(1.0, c / _l1(grads))), _l1(grads)),
        },
    ),
]
