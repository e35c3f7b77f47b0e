"""Implementations of sprint 09_training_and_inspecting problems, written the way students write them.

``HINTS[problem][description]`` is a phrase the check's message must contain for that wrong
implementation: the message names the mistake, not only that the answer is wrong.
"""

import math

import numpy as np

# ---------------------------------------------------------------- softsign


def softsign_no_abs(z):
    return z / (1 + z)


def softsign_tanh(z):
    return np.tanh(z)


def softsign_square(z):
    return z / (1 + z**2)


def softsign_minus(z):
    return z / (1 - np.abs(z))


def softsign_in_place(z):
    z /= 1 + np.abs(z)
    return z


def softsign_float32(z):
    return (z / (1 + np.abs(z))).astype(np.float32)


def softsign_plain(z):
    return z / (1 + np.abs(z))


def softsign_sign_form(z):
    a = np.abs(z)
    return np.sign(z) * a / (1 + a)


def softsign_inverse(z):
    return z * (1 / (1 + np.abs(z)))


def softsign_where(z):
    return np.where(z >= 0, z / (1 + z), z / (1 - z))


# ---------------------------------------------------------------- softsign_derivative


def derivative_no_square(z):
    return 1 / (1 + np.abs(z))


def derivative_overflows(z):
    return 1 / (1 + np.abs(z)) ** 2  # (1 + |z|)**2 overflows beyond 1e154


def derivative_tanh_formula(z):
    s = z / (1 + np.abs(z))
    return 1 - s**2


def derivative_no_abs(z):
    s = 1 / (1 + z)
    return s * s


def derivative_sigmoid_formula(z):
    s = z / (1 + np.abs(z))
    return s * (1 - s)


def derivative_negated(z):
    s = 1 / (1 + np.abs(z))
    return -s * s


def derivative_square_of_inverse(z):
    return (1 / (1 + np.abs(z))) ** 2


def derivative_from_softsign(z):
    s = np.abs(z / (1 + np.abs(z)))  # |softsign(z)|
    return (1 - s) ** 2  # 1 - |s| = 1 / (1 + |z|)


def derivative_divide_twice(z):
    d = 1 + np.abs(z)
    return 1 / d / d


# ---------------------------------------------------------------- glorot_uniform


def glorot_no_six(shape, rng):
    limit = np.sqrt(1 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def glorot_fan_in(shape, rng):
    limit = np.sqrt(6 / shape[0])
    return rng.uniform(-limit, limit, size=shape)


def glorot_normal(shape, rng):
    return rng.normal(0, np.sqrt(2 / (shape[0] + shape[1])), size=shape)


def glorot_positive(shape, rng):
    limit = np.sqrt(6 / (shape[0] + shape[1]))
    return rng.random(shape) * limit


def glorot_global_random(shape, rng):
    limit = np.sqrt(6 / (shape[0] + shape[1]))
    return np.random.uniform(-limit, limit, size=shape)


def glorot_fixed_seed(shape, rng):
    limit = np.sqrt(6 / (shape[0] + shape[1]))
    return np.random.default_rng(0).uniform(-limit, limit, size=shape)


def glorot_no_root(shape, rng):
    limit = 6 / (shape[0] + shape[1])
    return rng.uniform(-limit, limit, size=shape)


def glorot_std_as_limit(shape, rng):
    limit = np.sqrt(2 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def glorot_uniform_call(shape, rng):
    fan_in, fan_out = shape
    limit = math.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def glorot_scaled_random(shape, rng):
    limit = np.sqrt(6 / (shape[0] + shape[1]))
    return (2 * rng.random(shape) - 1) * limit


def glorot_transposed_draw(shape, rng):
    limit = np.sqrt(6 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape[::-1]).T.copy()


# ---------------------------------------------------------------- orthogonal


def _haar_tall(rng, n, k):
    q, r = np.linalg.qr(rng.normal(size=(n, k)))
    return q * np.sign(np.diag(r))


def orthogonal_no_signs(shape, rng):
    rows, cols = shape
    q, _ = np.linalg.qr(rng.normal(size=(max(rows, cols), min(rows, cols))))
    return q if rows >= cols else q.T


def orthogonal_square_only(shape, rng):
    q, r = np.linalg.qr(rng.normal(size=shape))  # reduced QR: (rows, min) — wrong shape when rows < cols
    return q * np.sign(np.diag(r))


def orthogonal_gaussian(shape, rng):
    return rng.normal(size=shape) / np.sqrt(max(shape))


def orthogonal_eye(shape, rng):
    return np.eye(*shape)


def orthogonal_global_random(shape, rng):
    rows, cols = shape
    q, r = np.linalg.qr(np.random.normal(size=(max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    return q if rows >= cols else q.T


def orthogonal_gain(shape, rng):
    rows, cols = shape
    q = _haar_tall(rng, max(rows, cols), min(rows, cols))
    return 1.5 * (q if rows >= cols else q.T)


def orthogonal_wide_not_transposed(shape, rng):
    rows, cols = shape
    q = _haar_tall(rng, max(rows, cols), min(rows, cols))
    return q if rows >= cols else q.reshape(rows, cols)


def orthogonal_keras_way(shape, rng):
    rows, cols = shape
    flat = (max(rows, cols), min(rows, cols))
    q, r = np.linalg.qr(rng.normal(0.0, 1.0, flat))
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return q


def orthogonal_svd(shape, rng):
    u, _, vt = np.linalg.svd(rng.normal(size=shape), full_matrices=False)
    return u @ vt  # the orthogonal factor of the polar decomposition: also uniformly distributed


def orthogonal_wide_directly(shape, rng):
    rows, cols = shape
    if rows >= cols:
        return _haar_tall(rng, rows, cols)
    return _haar_tall(rng, cols, rows).T


# ---------------------------------------------------------------- adagrad_step


def adagrad_eps_outside(w, g, accumulator, learning_rate, epsilon=1e-7):
    acc = accumulator + g**2
    return w - learning_rate * g / (np.sqrt(acc) + epsilon), acc


def adagrad_old_accumulator(w, g, accumulator, learning_rate, epsilon=1e-7):
    w_new = w - learning_rate * g / np.sqrt(accumulator + epsilon)
    return w_new, accumulator + g**2


def adagrad_no_square(w, g, accumulator, learning_rate, epsilon=1e-7):
    acc = accumulator + g
    return w - learning_rate * g / np.sqrt(acc + epsilon), acc


def adagrad_no_root(w, g, accumulator, learning_rate, epsilon=1e-7):
    acc = accumulator + g**2
    return w - learning_rate * g / (acc + epsilon), acc


def adagrad_restarts(w, g, accumulator, learning_rate, epsilon=1e-7):
    acc = g**2
    return w - learning_rate * g / np.sqrt(acc + epsilon), acc


def adagrad_in_place(w, g, accumulator, learning_rate, epsilon=1e-7):
    accumulator += g**2
    w -= learning_rate * g / np.sqrt(accumulator + epsilon)
    return w, accumulator


def adagrad_plus(w, g, accumulator, learning_rate, epsilon=1e-7):
    acc = accumulator + g**2
    return w + learning_rate * g / np.sqrt(acc + epsilon), acc


def adagrad_plain(w, g, accumulator, learning_rate, epsilon=1e-7):
    acc = accumulator + g * g
    return w - learning_rate * g / np.sqrt(acc + epsilon), acc


def adagrad_copies(w, g, accumulator, learning_rate, epsilon=1e-7):
    acc = accumulator.copy()
    acc += np.square(g)
    w = w.copy()
    w -= learning_rate * g * (acc + epsilon) ** -0.5
    return w, acc


# ---------------------------------------------------------------- rmsprop_step


def rmsprop_eps_outside(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-7):
    v = rho * velocity + (1 - rho) * g**2
    return w - learning_rate * g / (np.sqrt(v) + epsilon), v


def rmsprop_old_velocity(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-7):
    w_new = w - learning_rate * g / np.sqrt(velocity + epsilon)
    return w_new, rho * velocity + (1 - rho) * g**2


def rmsprop_rho_swapped(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-7):
    v = (1 - rho) * velocity + rho * g**2
    return w - learning_rate * g / np.sqrt(v + epsilon), v


def rmsprop_abs(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-7):
    v = rho * velocity + (1 - rho) * np.abs(g)
    return w - learning_rate * g / np.sqrt(v + epsilon), v


def rmsprop_no_root(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-7):
    v = rho * velocity + (1 - rho) * g**2
    return w - learning_rate * g / (v + epsilon), v


def rmsprop_default_eps_1e8(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-8):
    v = rho * velocity + (1 - rho) * g**2
    return w - learning_rate * g / np.sqrt(v + epsilon), v


def rmsprop_in_place(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-7):
    velocity *= rho
    velocity += (1 - rho) * g**2
    return w - learning_rate * g / np.sqrt(velocity + epsilon), velocity


def rmsprop_plain(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-7):
    v = rho * velocity + (1 - rho) * g * g
    return w - learning_rate * g / np.sqrt(v + epsilon), v


def rmsprop_keras_order(w, g, velocity, learning_rate, rho=0.9, epsilon=1e-7):
    v = velocity + (1 - rho) * (np.square(g) - velocity)  # the same average, written as a correction
    increment = learning_rate * g / np.sqrt(v + epsilon)
    return w - increment, v


# ---------------------------------------------------------------- adam_step


def adam_no_correction(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    return w - learning_rate * m / (np.sqrt(v) + epsilon), m, v


def adam_eps_inside(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / np.sqrt(v + epsilon), m, v


def adam_paper(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def adam_returns_hats(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m_hat, v_hat


def adam_t_plus_one(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    t = t + 1
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v


def adam_zero_based(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    step = t - 1  # counted from 0: the first step divides by zero
    alpha = learning_rate * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v


def adam_in_place(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m *= beta_1
    m += (1 - beta_1) * g
    v *= beta_2
    v += (1 - beta_2) * g**2
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v


def adam_keras(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    m = m + (g - m) * (1 - beta_1)
    v = v + (np.square(g) - v) * (1 - beta_2)
    return w - m * alpha / (np.sqrt(v) + epsilon), m, v


def adam_float32_hyperparameters(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """As Keras does it: the learning rate and the betas rounded to float32 first."""
    lr, b1, b2 = (float(np.float32(x)) for x in (learning_rate, beta_1, beta_2))
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v


def adam_plain(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v


# ---------------------------------------------------------------- early_stopping


def _stop_loop(val_losses, patience, min_delta, *, limit=None, improves=None, from_one=False, best_low=False,
               never=None):
    best, best_epoch, wait = np.inf, 0, 0
    limit = max(patience, 1) if limit is None else limit
    improves = improves or (lambda loss, best: loss < best - min_delta)
    for epoch, loss in enumerate(val_losses):
        if improves(loss, best):
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= limit:
                break
    else:
        epoch = len(val_losses) - 1 if never is None else never
    if best_low:
        best_epoch = int(np.argmin(val_losses[:epoch + 1]))
    return (epoch + 1, best_epoch + 1) if from_one else (epoch, best_epoch)


def stop_late(val_losses, patience, min_delta=0.0):
    return _stop_loop(val_losses, patience, min_delta, limit=max(patience, 1) + 1)


def stop_early(val_losses, patience, min_delta=0.0):
    return _stop_loop(val_losses, patience, min_delta, limit=max(patience, 1) - 1)


def stop_one_based(val_losses, patience, min_delta=0.0):
    return _stop_loop(val_losses, patience, min_delta, from_one=True)


def stop_min_delta_wrong_way(val_losses, patience, min_delta=0.0):
    return _stop_loop(val_losses, patience, min_delta, improves=lambda loss, best: loss < best + min_delta)


def stop_ties_improve(val_losses, patience, min_delta=0.0):
    return _stop_loop(val_losses, patience, min_delta, improves=lambda loss, best: loss <= best - min_delta)


def stop_best_is_argmin(val_losses, patience, min_delta=0.0):
    return _stop_loop(val_losses, patience, min_delta, best_low=True)


def stop_never_zero(val_losses, patience, min_delta=0.0):
    return _stop_loop(val_losses, patience, min_delta, never=0)


def stop_previous_epoch(val_losses, patience, min_delta=0.0):
    best_epoch, wait = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[epoch - 1] - min_delta:
            best_epoch, wait = epoch, 0
        else:
            wait += 1
            if wait >= max(patience, 1):
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


def stop_floats(val_losses, patience, min_delta=0.0):
    stopped, best = _stop_loop(val_losses, patience, min_delta)
    return float(stopped), float(best)


def stop_loop(val_losses, patience, min_delta=0.0):
    return _stop_loop(list(val_losses), patience, min_delta)


def stop_keras_like(val_losses, patience, min_delta=0.0):
    """The bookkeeping of keras.callbacks.EarlyStopping.on_epoch_end."""
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, current in enumerate(val_losses):
        wait += 1
        if current + min_delta < best:  # Keras: monitor_op(current - (-min_delta), best)
            best, best_epoch, wait = current, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


def stop_array(val_losses, patience, min_delta=0.0):
    losses = np.asarray(val_losses, dtype=float)
    best_epoch = 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < losses[best_epoch] - min_delta:
            best_epoch = epoch
        elif epoch - best_epoch >= max(patience, 1):
            return epoch, best_epoch
    return len(losses) - 1, best_epoch


# ---------------------------------------------------------------- unit_feature_correlation


def corr_nan_for_constant(h, feature):
    hc = h - h.mean(axis=0)
    fc = feature - feature.mean()
    return (fc @ hc) / np.sqrt((hc**2).sum(axis=0) * (fc @ fc))


def corr_std_test(h, feature):
    r = np.zeros(h.shape[1])
    if feature.std() < 1e-8:
        return r
    for j in range(h.shape[1]):
        if h[:, j].std() > 1e-8:
            r[j] = np.corrcoef(h[:, j], feature)[0, 1]
    return r


def corr_mixed_ddof(h, feature):
    r = np.zeros(h.shape[1])
    if np.all(feature == feature[0]):
        return r
    for j in range(h.shape[1]):
        x = h[:, j]
        if not np.all(x == x[0]):
            cov = np.sum((x - x.mean()) * (feature - feature.mean())) / (len(x) - 1)
            r[j] = cov / (x.std() * feature.std())
    return r


def corr_not_centred(h, feature):
    r = np.zeros(h.shape[1])
    if np.all(feature == feature[0]):
        return r
    for j in range(h.shape[1]):
        x = h[:, j]
        if not np.all(x == x[0]):
            r[j] = x @ feature / np.sqrt((x @ x) * (feature @ feature))
    return r


def corr_covariance(h, feature):
    return (feature - feature.mean()) @ (h - h.mean(axis=0)) / len(feature)


def corr_absolute(h, feature):
    r = np.zeros(h.shape[1])
    if np.all(feature == feature[0]):
        return r
    for j in range(h.shape[1]):
        if not np.all(h[:, j] == h[0, j]):
            r[j] = abs(np.corrcoef(h[:, j], feature)[0, 1])
    return r


def corr_over_cells(h, feature):
    r = np.zeros(h.shape[1])
    for j in range(h.shape[1]):
        r[j] = np.corrcoef(h[:, j], feature)[0, 1] if h.shape[0] > 1 else 0.0
    return np.nan_to_num(r)  # NaN turned into 0 after the fact: a std of 1e-17 still gives a value


def corr_corrcoef(h, feature):
    r = np.zeros(h.shape[1])
    if np.all(feature == feature[0]):
        return r
    for j in range(h.shape[1]):
        if not np.all(h[:, j] == h[0, j]):
            r[j] = np.corrcoef(h[:, j], feature)[0, 1]
    return r


def corr_vectorised(h, feature):
    h = np.asarray(h, dtype=np.float64)
    f = np.asarray(feature, dtype=np.float64)
    constant = np.all(h == h[0], axis=0) | np.all(f == f[0])  # (H,)
    hz = (h - h.mean(axis=0)) / np.where(constant, 1.0, h.std(axis=0))
    fz = (f - f.mean()) / (f.std() if not np.all(f == f[0]) else 1.0)
    return np.where(constant, 0.0, (fz @ hz) / len(f))


# ---------------------------------------------------------------- build_pretrained_classifier


def _classifier(matrix, units, n_classes, *, trainable=False, mask_zero=False, load=True, input_shape=(None,),
                activation="softmax", freeze_all=False, return_sequences=False):
    import keras
    from keras import layers

    V, E = matrix.shape
    init = keras.initializers.Constant(matrix) if load else "uniform"
    model = keras.Sequential([
        keras.Input(shape=input_shape, dtype="int32"),
        layers.Embedding(V, E, embeddings_initializer=init, trainable=trainable, mask_zero=mask_zero),
        layers.LSTM(units, return_sequences=return_sequences),
        layers.Dense(n_classes, activation=activation),
    ])
    if freeze_all:
        model.trainable = False
    return model


def classifier_trainable(matrix, units, n_classes):
    return _classifier(matrix, units, n_classes, trainable=True)


def classifier_mask_zero(matrix, units, n_classes):
    return _classifier(matrix, units, n_classes, mask_zero=True)


def classifier_not_loaded(matrix, units, n_classes):
    return _classifier(matrix, units, n_classes, load=False)


def classifier_fixed_length(matrix, units, n_classes):
    return _classifier(matrix, units, n_classes, input_shape=(20,))


def classifier_sigmoid(matrix, units, n_classes):
    return _classifier(matrix, units, n_classes, activation="sigmoid")


def classifier_all_frozen(matrix, units, n_classes):
    return _classifier(matrix, units, n_classes, freeze_all=True)


def classifier_not_built(matrix, units, n_classes):
    import keras
    from keras import layers

    return keras.Sequential([layers.Embedding(*matrix.shape, trainable=False), layers.LSTM(units),
                             layers.Dense(n_classes, activation="softmax")])


def classifier_sequential(matrix, units, n_classes):
    return _classifier(matrix, units, n_classes)


def classifier_set_weights(matrix, units, n_classes):
    import keras
    from keras import layers

    tokens = keras.Input(shape=(None,), dtype="int32")
    embedding = layers.Embedding(matrix.shape[0], matrix.shape[1])
    x = layers.LSTM(units)(embedding(tokens))
    model = keras.Model(tokens, layers.Dense(n_classes, activation="softmax")(x))
    embedding.set_weights([matrix])
    embedding.trainable = False
    return model


def classifier_with_dropout(matrix, units, n_classes):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(None,)),
        layers.Embedding(*matrix.shape, weights=[matrix], trainable=False),
        layers.Dropout(0.2),
        layers.LSTM(units),
        layers.Dense(n_classes, activation="softmax"),
    ])


# ---------------------------------------------------------------- the tables

WRONG = {
    "softsign": {
        "no absolute value": softsign_no_abs,
        "tanh": softsign_tanh,
        "z squared": softsign_square,
        "1 - |z|": softsign_minus,
        "in place": softsign_in_place,
        "cast to float32": softsign_float32,
        "np.where with two formulas": softsign_where,
    },
    "softsign_derivative": {
        "no square": derivative_no_square,
        "overflows for large z": derivative_overflows,
        "tanh's formula": derivative_tanh_formula,
        "no absolute value": derivative_no_abs,
        "sigmoid's formula": derivative_sigmoid_formula,
        "negated": derivative_negated,
    },
    "glorot_uniform": {
        "no 6": glorot_no_six,
        "fan_in only": glorot_fan_in,
        "normal": glorot_normal,
        "U(0, l)": glorot_positive,
        "np.random": glorot_global_random,
        "fixed seed": glorot_fixed_seed,
        "no square root": glorot_no_root,
        "normal's standard deviation as the limit": glorot_std_as_limit,
    },
    "orthogonal": {
        "signs of R not folded in": orthogonal_no_signs,
        "QR of the shape itself": orthogonal_square_only,
        "scaled Gaussian": orthogonal_gaussian,
        "identity": orthogonal_eye,
        "np.random": orthogonal_global_random,
        "gain 1.5": orthogonal_gain,
        "wide shape reshaped, not transposed": orthogonal_wide_not_transposed,
    },
    "adagrad_step": {
        "epsilon outside the root": adagrad_eps_outside,
        "old accumulator in the step": adagrad_old_accumulator,
        "g accumulated, not g**2": adagrad_no_square,
        "no square root": adagrad_no_root,
        "accumulator restarted": adagrad_restarts,
        "in place": adagrad_in_place,
        "step added": adagrad_plus,
    },
    "rmsprop_step": {
        "epsilon outside the root": rmsprop_eps_outside,
        "old velocity in the step": rmsprop_old_velocity,
        "rho swapped": rmsprop_rho_swapped,
        "|g| averaged": rmsprop_abs,
        "no square root": rmsprop_no_root,
        "default epsilon 1e-8": rmsprop_default_eps_1e8,
        "in place": rmsprop_in_place,
    },
    "adam_step": {
        "no bias correction": adam_no_correction,
        "epsilon inside the root": adam_eps_inside,
        "the paper's epsilon": adam_paper,
        "returns m_hat and v_hat": adam_returns_hats,
        "t + 1": adam_t_plus_one,
        "t counted from 0": adam_zero_based,
        "in place": adam_in_place,
    },
    "early_stopping": {
        "one epoch late": stop_late,
        "one epoch early": stop_early,
        "1-based epochs": stop_one_based,
        "min_delta the wrong way": stop_min_delta_wrong_way,
        "ties improve": stop_ties_improve,
        "best is the argmin": stop_best_is_argmin,
        "stopped_epoch 0 when never stopping": stop_never_zero,
        "compared with the previous epoch": stop_previous_epoch,
        "floats": stop_floats,
    },
    "unit_feature_correlation": {
        "NaN for constant cells": corr_nan_for_constant,
        "std below a threshold": corr_std_test,
        "mixed ddof": corr_mixed_ddof,
        "not centred": corr_not_centred,
        "covariance": corr_covariance,
        "absolute value": corr_absolute,
    },
    "build_pretrained_classifier": {
        "trainable embedding": classifier_trainable,
        "mask_zero": classifier_mask_zero,
        "embedding not loaded": classifier_not_loaded,
        "fixed input length": classifier_fixed_length,
        "sigmoid": classifier_sigmoid,
        "whole model frozen": classifier_all_frozen,
        "not built": classifier_not_built,
    },
}

CORRECT = {
    "softsign": {"plain": softsign_plain, "sign form": softsign_sign_form, "times the inverse": softsign_inverse},
    "softsign_derivative": {"square of the inverse": derivative_square_of_inverse,
                            "from softsign": derivative_from_softsign, "divided twice": derivative_divide_twice},
    "glorot_uniform": {"rng.uniform": glorot_uniform_call, "scaled rng.random": glorot_scaled_random,
                       "drawn transposed": glorot_transposed_draw},
    "orthogonal": {"as Keras does it": orthogonal_keras_way, "SVD (polar factor)": orthogonal_svd,
                   "tall or wide": orthogonal_wide_directly},
    "adagrad_step": {"plain": adagrad_plain, "copies and a power": adagrad_copies},
    "rmsprop_step": {"plain": rmsprop_plain, "Keras's order": rmsprop_keras_order},
    "adam_step": {"plain": adam_plain, "Keras's order": adam_keras,
                  "float32 hyperparameters": adam_float32_hyperparameters},
    "early_stopping": {"a loop": stop_loop, "Keras's bookkeeping": stop_keras_like, "on an array": stop_array},
    "unit_feature_correlation": {"np.corrcoef with the zero rule": corr_corrcoef, "vectorised": corr_vectorised,
                                 "np.corrcoef, NaN set to 0 afterwards": corr_over_cells},
    "build_pretrained_classifier": {"Sequential with Constant": classifier_sequential,
                                    "functional with set_weights": classifier_set_weights,
                                    "with Dropout and weights=": classifier_with_dropout},
}

HINTS = {
    "softsign": {
        "no absolute value": "absolute value is missing", "tanh": "tanh is used", "z squared": "squared",
        "1 - |z|": "1 - |z|", "in place": "in place", "cast to float32": "float64",
        "np.where with two formulas": "np.where computes both branches",
    },
    "softsign_derivative": {
        "no square": "square is missing", "overflows for large z": "(1 + |z|) ** 2 overflows",
        "tanh's formula": "tanh's derivative", "no absolute value": "absolute value is missing",
        "sigmoid's formula": "sigmoid's derivative", "negated": "negated",
    },
    "glorot_uniform": {
        "no 6": "the 6 is missing", "fan_in only": "only fan_in", "normal": "normal distribution",
        "U(0, l)": "U(0, l)", "np.random": "same state gave different arrays", "fixed seed": "different states",
        "no square root": "without the square root", "normal's standard deviation as the limit": "sqrt(2 /",
    },
    "orthogonal": {
        "signs of R not folded in": "signs of R's diagonal are not folded", "QR of the shape itself": "shape",
        "scaled Gaussian": "not orthonormal", "identity": "identity", "np.random": "same state",
        "gain 1.5": "scale factor", "wide shape reshaped, not transposed": "not orthonormal",
    },
    "adagrad_step": {
        "epsilon outside the root": "outside the square root", "old accumulator in the step": "old accumulator",
        "g accumulated, not g**2": "not g.", "no square root": "square root is missing",
        "accumulator restarted": "restarts from 0", "in place": "in place", "step added": "added instead",
    },
    "rmsprop_step": {
        "epsilon outside the root": "outside the square root", "old velocity in the step": "old velocity",
        "rho swapped": "swapped", "|g| averaged": "|g| is averaged", "no square root": "square root is missing",
        "default epsilon 1e-8": "epsilon", "in place": "in place",
    },
    "adam_step": {
        "no bias correction": "bias correction is missing", "epsilon inside the root": "inside the square root",
        "the paper's epsilon": "the paper's", "returns m_hat and v_hat": "m_hat and v_hat",
        "t + 1": "t + 1", "t counted from 0": "t counted from 0", "in place": "in place",
    },
    "early_stopping": {
        "one epoch late": "one epoch too late", "one epoch early": "one epoch too early",
        "1-based epochs": "counted from 1", "min_delta the wrong way": "min_delta is applied the wrong way",
        "ties improve": "equal to the best", "best is the argmin": "ignoring min_delta",
        "stopped_epoch 0 when never stopping": "never stops early", "compared with the previous epoch": "previous",
        "floats": "should be an int",
    },
    "unit_feature_correlation": {
        "NaN for constant cells": "return 0", "std below a threshold": "standard deviation is small",
        "mixed ddof": "ddof",
        "not centred": "cosine similarity", "covariance": "covariance is returned",
        "absolute value": "absolute value",
    },
    "build_pretrained_classifier": {
        "trainable embedding": "trainable=False", "mask_zero": "mask_zero", "embedding not loaded": "Constant",
        "fixed input length": "any length", "sigmoid": "softmax", "whole model frozen": "freeze only the Embedding",
        "not built": "not built",
    },
}
