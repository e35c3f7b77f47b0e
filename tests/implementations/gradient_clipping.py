"""Implementations of sprint 06_gradient_clipping problems, written the way students write them."""

import functools
import math

import numpy as np

# ---------------------------------------------------------------- clip_by_value


def value_upper_only(grads, clip_value):
    return [np.minimum(g, clip_value) for g in grads]


def value_zero_to_v(grads, clip_value):
    return [np.clip(g, 0, clip_value) for g in grads]


def value_in_place(grads, clip_value):
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
    return list(grads)


def value_replaces_items(grads, clip_value):
    for i, g in enumerate(grads):
        grads[i] = np.clip(g, -clip_value, clip_value)
    return grads


def value_tuple(grads, clip_value):
    return tuple(np.clip(g, -clip_value, clip_value) for g in grads)


def value_by_norm(grads, clip_value):
    out = []
    for g in grads:
        norm = np.linalg.norm(g)
        out.append(g * clip_value / norm if norm > clip_value else g.copy())
    return out


def value_float32(grads, clip_value):
    return [np.clip(g, -clip_value, clip_value).astype(np.float32) for g in grads]


def value_first_only(grads, clip_value):
    return [np.clip(grads[0], -clip_value, clip_value)] + [g.copy() for g in grads[1:]]


def value_np_clip(grads, clip_value):
    return [np.clip(g, -clip_value, clip_value) for g in grads]  # a numpy scalar for a 0-d gradient


def value_where(grads, clip_value):
    out = []
    for g in grads:
        g = np.array(g, dtype=np.float64)
        out.append(np.where(g > clip_value, clip_value, np.where(g < -clip_value, -clip_value, g)))
    return out


def value_copy_then_mask(grads, clip_value):
    clipped = []
    for g in grads:
        c = g.astype(np.float64, copy=True)
        c[c > clip_value] = clip_value
        c[c < -clip_value] = -clip_value
        clipped.append(c)
    return clipped


# ---------------------------------------------------------------- clip_by_norm


def norm_elementwise(grad, clip_norm):
    return np.clip(grad, -clip_norm, clip_norm)


def norm_always_rescale(grad, clip_norm):
    return grad * clip_norm / np.linalg.norm(grad)


def norm_l1(grad, clip_norm):
    norm = np.sum(np.abs(grad))
    return grad * clip_norm / norm if norm > clip_norm else grad.copy()


def norm_squared(grad, clip_norm):
    norm = np.sum(grad**2)
    return grad * clip_norm / norm if norm > clip_norm else grad.copy()


def norm_nan_on_zero(grad, clip_norm):
    norm = np.sqrt(np.sum(grad**2))
    return grad / norm * min(norm, clip_norm)  # 0 / 0 for a zero gradient


def norm_in_place(grad, clip_norm):
    norm = np.sqrt(np.sum(grad**2))
    if norm > clip_norm:
        grad *= clip_norm / norm
    return grad


def norm_per_row(grad, clip_norm):
    norm = np.linalg.norm(grad, axis=-1, keepdims=True)
    return grad * np.minimum(1.0, clip_norm / np.maximum(norm, 1e-12))


def norm_spectral(grad, clip_norm):
    norm = np.linalg.norm(grad, 2) if np.ndim(grad) == 2 else np.linalg.norm(grad)
    return grad * clip_norm / norm if norm > clip_norm else grad.copy()


def norm_tf_formula(grad, clip_norm):
    grad = np.asarray(grad, dtype=np.float64)
    l2norm = np.sqrt(np.sum(grad * grad))
    return grad * clip_norm / np.maximum(l2norm, clip_norm)


def norm_einsum_branch(grad, clip_norm):
    flat = np.ravel(grad).astype(np.float64)
    norm = np.sqrt(np.einsum("i,i->", flat, flat))
    if norm <= clip_norm:
        return np.array(grad, dtype=np.float64)
    return (flat * (clip_norm / norm)).reshape(np.shape(grad))


def norm_unit_direction(grad, clip_norm):
    norm = np.linalg.norm(np.ravel(grad).astype(np.float64))
    if norm == 0:
        return np.zeros(np.shape(grad))
    direction = grad / norm
    return direction * min(norm, clip_norm)


# ---------------------------------------------------------------- global_norm


def gn_l1(grads):
    return float(sum(np.sum(np.abs(g)) for g in grads))


def gn_sum_of_norms(grads):
    return float(sum(np.linalg.norm(np.ravel(g)) for g in grads))


def gn_no_sqrt(grads):
    return float(sum(np.sum(g**2) for g in grads))


def gn_max(grads):
    return float(max(np.linalg.norm(np.ravel(g)) for g in grads))


def gn_rms(grads):
    flat = np.concatenate([np.ravel(g) for g in grads])
    return float(np.sqrt(np.mean(flat**2)))


def gn_per_tensor_list(grads):
    return [float(np.linalg.norm(np.ravel(g))) for g in grads]


def gn_first_only(grads):
    return float(np.linalg.norm(np.ravel(grads[0])))


def gn_vdot(grads):
    total = 0.0
    for g in grads:
        g = np.asarray(g, dtype=np.float64)
        total += np.vdot(g, g)
    return float(np.sqrt(total))


def gn_concatenate(grads):
    return float(np.linalg.norm(np.concatenate([np.ravel(g).astype(np.float64) for g in grads])))


def gn_hypot(grads):
    norms = [np.linalg.norm(np.ravel(g).astype(np.float64)) for g in grads]
    return float(functools.reduce(np.hypot, norms, 0.0))


# ---------------------------------------------------------------- clip_by_global_norm


def _gn(grads):
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(g, dtype=np.float64))) for g in grads)))


def gclip_per_tensor(grads, clip_norm):
    clipped = []
    for g in grads:
        norm = np.linalg.norm(np.ravel(g))
        clipped.append(g * clip_norm / norm if norm > clip_norm else g.copy())
    return clipped, _gn(grads)


def gclip_norm_after(grads, clip_norm):
    norm = _gn(grads)
    scale = clip_norm / norm if norm > clip_norm else 1.0
    clipped = [g * scale for g in grads]
    return clipped, _gn(clipped)


def gclip_scales_up(grads, clip_norm):
    norm = _gn(grads)
    return [g * (clip_norm / norm) for g in grads], norm


def gclip_by_value(grads, clip_norm):
    return [np.clip(g, -clip_norm, clip_norm) for g in grads], _gn(grads)


def gclip_in_place(grads, clip_norm):
    norm = _gn(grads)
    if norm > clip_norm:
        for g in grads:
            g *= clip_norm / norm
    return list(grads), norm


def gclip_tuple(grads, clip_norm):
    norm = _gn(grads)
    scale = clip_norm / norm if norm > clip_norm else 1.0
    return tuple(g * scale for g in grads), norm


def gclip_nan_on_zero(grads, clip_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g / norm * min(norm, clip_norm) for g in grads], norm


def gclip_l1(grads, clip_norm):
    norm = float(sum(np.sum(np.abs(g)) for g in grads))
    scale = clip_norm / norm if norm > clip_norm else 1.0
    return [g * scale for g in grads], norm


def gclip_swapped(grads, clip_norm):
    norm = _gn(grads)
    scale = clip_norm / norm if norm > clip_norm else 1.0
    return norm, [g * scale for g in grads]


def gclip_tf_formula(grads, clip_norm):
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    use_norm = np.sqrt(sum(np.sum(g * g) for g in grads))
    with np.errstate(divide="ignore"):
        scale = clip_norm * np.minimum(1.0 / use_norm, 1.0 / clip_norm)  # 1/0 = inf is harmless here
    return [g * scale for g in grads], float(use_norm)


def gclip_flatten_split(grads, clip_norm):
    shapes = [np.shape(g) for g in grads]
    flat = np.concatenate([np.ravel(g).astype(np.float64) for g in grads])
    norm = float(np.linalg.norm(flat))
    if norm > clip_norm:
        flat = flat * (clip_norm / norm)
    pieces = np.split(flat, np.cumsum([int(np.prod(s)) for s in shapes])[:-1])
    return [p.reshape(s) for p, s in zip(pieces, shapes)], norm


def gclip_reuse_clip_by_norm_idea(grads, clip_norm):
    norm = _gn(grads)
    factor = 1.0 if norm <= clip_norm else clip_norm / norm
    clipped = []
    for g in grads:
        c = np.array(g, dtype=np.float64, copy=True)
        c *= factor
        clipped.append(c)
    return clipped, norm


WRONG = {
    "clip_by_value": {
        "upper bound only": (value_upper_only, "only the upper bound is applied"),
        "clips to [0, v]": (value_zero_to_v, "the entries are clipped to [0, v] instead of [-v, v]"),
        "clips the caller's arrays in place": (value_in_place, "changed its input grads in place"),
        "replaces the items of the caller's list": (value_replaces_items, "changed its input grads in place"),
        "returns a tuple": (value_tuple, "should be a list"),
        "rescales by the norm": (value_by_norm, "rescaled by its norm instead of being clipped"),
        "casts to float32": (value_float32, "work in float64"),
        "clips the first gradient only": (value_first_only, "only the first gradient of the list is clipped"),
    },
    "clip_by_norm": {
        "element-wise clipping": (norm_elementwise, "clipping by value, not by norm"),
        "rescales gradients below the threshold too": (norm_always_rescale, "even when its norm is already smaller"),
        "L1 norm": (norm_l1, "the norm is the L1 norm"),
        "squared norm": (norm_squared, "the square root is missing"),
        "division by zero on a zero gradient": (norm_nan_on_zero, "0 / 0 is nan"),
        "scales the caller's array in place": (norm_in_place, "changed its input grad in place"),
        "norm of each row": (norm_per_row, "each row is clipped by its own norm"),
        "spectral norm of a matrix": (norm_spectral, "largest singular value"),
    },
    "global_norm": {
        "L1 norm": (gn_l1, "absolute values are added"),
        "sum of per-tensor norms": (gn_sum_of_norms, "the norms of the tensors are added"),
        "no square root": (gn_no_sqrt, "the square root is missing"),
        "largest per-tensor norm": (gn_max, "only the largest per-tensor norm is kept"),
        "root mean square": (gn_rms, "the squares are averaged"),
        "list of per-tensor norms": (gn_per_tensor_list, "should be a number"),
        "first gradient only": (gn_first_only, "only the first gradient of the list is used"),
    },
    "clip_by_global_norm": {
        "per-tensor clipping": (gclip_per_tensor, "each tensor is clipped by its own norm"),
        "returns the norm after clipping": (gclip_norm_after, "the returned norm is measured after clipping"),
        "rescales gradients below the threshold too": (gclip_scales_up, "even when they were below it"),
        "element-wise clipping": (gclip_by_value, "the gradients are clipped entry by entry"),
        "scales the caller's arrays in place": (gclip_in_place, "changed its input grads in place"),
        "returns a tuple of arrays": (gclip_tuple, "should be a list"),
        "division by zero on zero gradients": (gclip_nan_on_zero, "0 / 0 is nan"),
        "L1 global norm": (gclip_l1, "the global norm is an L1 norm"),
        "returns (norm, list)": (gclip_swapped, "should be a list"),
    },
}

CORRECT = {
    "clip_by_value": {
        "np.clip in a list comprehension": value_np_clip,
        "nested np.where": value_where,
        "copy, then boolean masks": value_copy_then_mask,
    },
    "clip_by_norm": {
        "tf formula t * c / max(norm, c)": norm_tf_formula,
        "einsum norm, flatten and reshape": norm_einsum_branch,
        "unit direction times clipped length, zero handled": norm_unit_direction,
    },
    "global_norm": {
        "np.vdot per tensor": gn_vdot,
        "hypot of per-tensor norms": gn_hypot,
    },
    "clip_by_global_norm": {
        "tf formula with 1 / norm": gclip_tf_formula,
        "one factor, float64 copies": gclip_reuse_clip_by_norm_idea,
    },
}


# ---------------------------------------------------------------- new families: aliasing, edges, TensorFlow


def value_returns_input_when_inside(grads, clip_value):
    out = []
    for g in grads:
        inside = np.all(np.abs(g) <= clip_value)
        out.append(g if inside else np.clip(g, -clip_value, clip_value))  # the caller's array when unchanged
    return out


def value_returns_caller_list(grads, clip_value):
    for i, g in enumerate(grads):
        grads[i] = np.clip(g, -clip_value, clip_value)
    return grads


def value_tensorflow(grads, clip_value):
    import tensorflow as tf

    return [tf.clip_by_value(tf.constant(np.asarray(g, np.float64)), -clip_value, clip_value).numpy() for g in grads]


def norm_returns_input_below(grad, clip_norm):
    norm = np.sqrt(np.sum(np.square(grad, dtype=np.float64)))
    return grad if norm <= clip_norm else grad * (clip_norm / norm)


def norm_python_division(grad, clip_norm):
    norm = float(np.linalg.norm(np.ravel(grad)))
    scale = min(1.0, clip_norm / norm)  # ZeroDivisionError for a zero gradient
    return np.asarray(grad, np.float64) * scale


def norm_epsilon(grad, clip_norm):
    norm = np.sqrt(np.sum(np.square(grad, dtype=np.float64)))
    return np.asarray(grad, np.float64) * min(1.0, clip_norm / (norm + 1e-6))


def norm_skips_tiny(grad, clip_norm):
    norm = np.sqrt(np.sum(np.square(grad, dtype=np.float64)))
    if norm < 1e-8:  # "too small to matter"
        return np.array(grad, dtype=np.float64)
    return np.asarray(grad, np.float64) * min(1.0, clip_norm / norm)


def norm_tensorflow(grad, clip_norm):
    import tensorflow as tf

    return tf.clip_by_norm(tf.constant(np.asarray(grad, np.float64)), clip_norm).numpy()


def norm_ravel_view(grad, clip_norm):
    flat = np.array(grad, dtype=np.float64).ravel()  # a view of a fresh copy
    norm = np.sqrt(flat @ flat)
    if norm > clip_norm:
        flat *= clip_norm / norm
    return flat.reshape(np.shape(grad))


def gn_python_floats(grads):
    return math.sqrt(sum(float(np.sum(np.square(g))) for g in grads))


def gn_epsilon(grads):
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(g, np.float64))) for g in grads) + 1e-12))


def gn_tensorflow(grads):
    import tensorflow as tf

    return float(tf.linalg.global_norm([tf.constant(np.asarray(g, np.float64)) for g in grads]).numpy())


def gclip_returns_inputs_below(grads, clip_norm):
    norm = float(np.sqrt(sum(np.sum(np.square(np.asarray(g, np.float64))) for g in grads)))
    if norm <= clip_norm:
        return list(grads), norm  # a new list, but the caller's arrays
    return [np.asarray(g, np.float64) * (clip_norm / norm) for g in grads], norm


def gclip_python_division(grads, clip_norm):
    norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads))
    scale = min(1.0, clip_norm / norm)  # ZeroDivisionError for all-zero gradients
    return [np.asarray(g, np.float64) * scale for g in grads], norm


def gclip_epsilon(grads, clip_norm):
    norm = float(np.sqrt(sum(np.sum(np.square(np.asarray(g, np.float64))) for g in grads)))
    scale = min(1.0, clip_norm / (norm + 1e-6))
    return [np.asarray(g, np.float64) * scale for g in grads], norm


def gclip_tensorflow(grads, clip_norm):
    import tensorflow as tf

    clipped, norm = tf.clip_by_global_norm([tf.constant(np.asarray(g, np.float64)) for g in grads], clip_norm)
    return [c.numpy() for c in clipped], float(norm.numpy())


def gclip_tf_formula(grads, clip_norm):
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    scale = clip_norm / max(norm, clip_norm)  # tf's formula: never divides by 0
    return [np.multiply(g, scale, dtype=np.float64) for g in grads], norm


WRONG["clip_by_value"].update({
    "returns the caller's array when nothing is clipped": (value_returns_input_when_inside, "not a copy"),
    "fills and returns the caller's list": (value_returns_caller_list, "changed its input grads in place"),
})
WRONG["clip_by_norm"].update({
    "returns the caller's array below the threshold": (norm_returns_input_below, "not a copy"),
    "ZeroDivisionError on a zero gradient": (norm_python_division, "scale only when the norm is above"),
    "epsilon added to the norm": (norm_epsilon, "an epsilon added to the norm"),
    "skips norms below 1e-8": (norm_skips_tiny, "an epsilon added to the norm"),
})
WRONG["global_norm"].update({
    "np.concatenate fails on an empty list": (gn_concatenate, "the list of gradients may be empty"),
    "epsilon under the square root": (gn_epsilon, "global_norm is"),
})
WRONG["clip_by_global_norm"].update({
    "np.concatenate fails on an empty list": (gclip_flatten_split, "the list of gradients may be empty"),
    "returns the caller's arrays below the threshold": (gclip_returns_inputs_below, "not a copy"),
    "ZeroDivisionError on all-zero gradients": (gclip_python_division, "scale only when the norm is above"),
    "epsilon added to the global norm": (gclip_epsilon, "an epsilon added to the norm"),
})
CORRECT["clip_by_value"]["tf.clip_by_value"] = value_tensorflow
CORRECT["clip_by_norm"].update({"tf.clip_by_norm": norm_tensorflow, "ravel view of a copy": norm_ravel_view})
CORRECT["global_norm"].update({"Python floats and math.sqrt": gn_python_floats, "tf.linalg.global_norm": gn_tensorflow})
CORRECT["clip_by_global_norm"].update({"tf.clip_by_global_norm": gclip_tensorflow, "tf's formula": gclip_tf_formula})
