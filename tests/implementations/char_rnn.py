"""Implementations of sprint 08_char_rnn problems, written the way students write them."""

import math
from collections import Counter

import numpy as np

# ---------------------------------------------------------------- build_vocab


def vocab_first_appearance(text):
    chars = []
    for c in text:
        if c not in chars:
            chars.append(c)
    return chars, {c: i for i, c in enumerate(chars)}


def vocab_set_order(text):
    chars = list(set(text))
    return chars, {c: i for i, c in enumerate(chars)}


def vocab_case_insensitive(text):
    chars = sorted(set(text), key=str.lower)
    return chars, {c: i for i, c in enumerate(chars)}


def vocab_duplicates(text):
    chars = sorted(text)
    return chars, {c: i for i, c in enumerate(chars)}


def vocab_from_one(text):
    chars = sorted(set(text))
    return chars, {c: i + 1 for i, c in enumerate(chars)}  # 0 kept for padding


def vocab_inverse_dict(text):
    chars = sorted(set(text))
    return chars, dict(enumerate(chars))


def vocab_string(text):
    chars = "".join(sorted(set(text)))
    return chars, {c: i for i, c in enumerate(chars)}


def vocab_by_frequency(text):
    chars = [c for c, _ in Counter(text).most_common()]
    return chars, {c: i for i, c in enumerate(chars)}


def vocab_numpy(text):
    chars = np.unique(list(text))
    return chars, {c: i for i, c in enumerate(chars)}


def vocab_unique_list(text):
    chars = sorted({c for c in text})
    return chars, {chars[i]: i for i in range(len(chars))}


def vocab_numpy_then_list(text):
    chars = [str(c) for c in np.unique(np.array(list(text)))] if text else []
    return chars, dict(zip(chars, range(len(chars))))


def vocab_counter_keys(text):
    chars = sorted(Counter(text))
    return chars, {c: chars.index(c) for c in chars}


# ---------------------------------------------------------------- encode


def encode_list(text, char_to_idx):
    return [char_to_idx[c] for c in text]


def encode_plain_array(text, char_to_idx):
    return np.array([char_to_idx[c] for c in text])  # float64 for the empty text


def encode_float_buffer(text, char_to_idx):
    ids = np.zeros(len(text))
    for i, c in enumerate(text):
        ids[i] = char_to_idx[c]
    return ids


def encode_own_vocab(text, char_to_idx):
    chars = sorted(set(text))
    return np.array([chars.index(c) for c in text], dtype=np.int64)


def encode_uint8(text, char_to_idx):
    return np.array([char_to_idx[c] for c in text], dtype=np.int64).astype(np.uint8)


def encode_one_hot(text, char_to_idx):
    ids = np.array([char_to_idx[c] for c in text], dtype=np.int64)
    return np.eye(len(char_to_idx), dtype=np.int64)[ids]


def encode_shifted(text, char_to_idx):
    return np.array([char_to_idx[c] + 1 for c in text], dtype=np.int64)


def encode_fromiter(text, char_to_idx):
    return np.fromiter((char_to_idx[c] for c in text), dtype=int)


def encode_lookup_table(text, char_to_idx):
    codes = np.array([ord(c) for c in text], dtype=np.int64)
    table = np.zeros(max([ord(c) for c in char_to_idx] + [0]) + 1, dtype=np.int32)
    for c, i in char_to_idx.items():
        table[ord(c)] = i
    return table[codes]


def encode_preallocated(text, char_to_idx):
    ids = np.empty(len(text), dtype=np.int64)
    for i, c in enumerate(text):
        ids[i] = char_to_idx[c]
    return ids


# ---------------------------------------------------------------- make_training_sequences


def sequences_target_in_window(ids, seq_len, step):
    X, y = [], []
    for s in range(0, len(ids) - seq_len, step):
        X.append(ids[s:s + seq_len])
        y.append(ids[s + seq_len - 1])
    return np.array(X), np.array(y)


def sequences_target_too_far(ids, seq_len, step):
    X, y = [], []
    for s in range(0, len(ids) - seq_len - 1, step):
        X.append(ids[s:s + seq_len])
        y.append(ids[s + seq_len + 1])
    return np.array(X), np.array(y)


def sequences_last_missing(ids, seq_len, step):
    X, y = [], []
    for s in range(0, len(ids) - seq_len - 1, step):
        X.append(ids[s:s + seq_len])
        y.append(ids[s + seq_len])
    return np.array(X), np.array(y)


def sequences_overflow(ids, seq_len, step):
    starts = range(0, len(ids) - seq_len + 1, step)
    X = np.array([ids[s:s + seq_len] for s in starts])
    y = ids[seq_len::step].copy()  # one short when the last window has no next character
    return X, y


def sequences_step_ignored(ids, seq_len, step):
    X, y = [], []
    for s in range(len(ids) - seq_len):
        X.append(ids[s:s + seq_len])
        y.append(ids[s + seq_len])
    return np.array(X), np.array(y)


def sequences_lists(ids, seq_len, step):
    X, y = [], []
    for s in range(0, len(ids) - seq_len, step):
        X.append(list(ids[s:s + seq_len]))
        y.append(ids[s + seq_len])
    return X, y


def sequences_float(ids, seq_len, step):
    starts = range(0, len(ids) - seq_len, step)
    X = np.zeros((len(starts), seq_len))
    y = np.zeros(len(starts))
    for m, s in enumerate(starts):
        X[m] = ids[s:s + seq_len]
        y[m] = ids[s + seq_len]
    return X, y


def sequences_window_with_target(ids, seq_len, step):
    starts = range(0, len(ids) - seq_len, step)
    return np.array([ids[s:s + seq_len + 1] for s in starts]), np.array([ids[s + seq_len] for s in starts])


def sequences_sliding_view(ids, seq_len, step):
    ids = np.asarray(ids)
    X = np.lib.stride_tricks.sliding_window_view(ids[:-1], seq_len)[::step]  # (M, seq_len), a view
    y = ids[seq_len::step]  # (M,)
    return X.copy(), y


def sequences_index_arithmetic(ids, seq_len, step):
    M = (len(ids) - 1 - seq_len) // step + 1
    starts = np.arange(M) * step  # (M,)
    X = ids[starts[:, None] + np.arange(seq_len)]  # (M, seq_len)
    return X, ids[starts + seq_len]


def sequences_while_loop(ids, seq_len, step):
    X, y, s = [], [], 0
    while s + seq_len < len(ids):
        X.append(ids[s:s + seq_len])
        y.append(ids[s + seq_len])
        s += step
    return np.stack(X).astype(np.int64), np.array(y, dtype=np.int64)


# ---------------------------------------------------------------- sample_with_temperature


def _stable_probs(logits, temperature):
    z = np.asarray(logits, dtype=np.float64) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def sample_divides_probabilities(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    p = _stable_probs(logits, 1.0) / temperature  # T applied after the softmax
    return int(rng.choice(len(p), p=p / p.sum()))


def sample_multiplies(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    z = np.asarray(logits, dtype=np.float64) * temperature
    e = np.exp(z - z.max())
    return int(rng.choice(len(z), p=e / e.sum()))


def sample_argmax(logits, temperature, rng):
    return int(np.argmax(logits))


def sample_global_random(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    p = _stable_probs(logits, temperature)
    return int(np.random.choice(len(p), p=p))


def sample_own_generator(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    p = _stable_probs(logits, temperature)
    return int(np.random.default_rng().choice(len(p), p=p))


def sample_fixed_seed(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    p = _stable_probs(logits, temperature)
    return int(np.random.default_rng(42).choice(len(p), p=p))


def sample_overflow(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    e = np.exp(np.asarray(logits, dtype=np.float64) / temperature)
    return int(rng.choice(len(e), p=e / e.sum()))


def sample_overflow_cumsum(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    e = np.exp(np.asarray(logits, dtype=np.float64) / temperature)
    cdf = np.cumsum(e / e.sum())
    return int(min(np.searchsorted(cdf, rng.random()), len(e) - 1))


def sample_zero_crash(logits, temperature, rng):
    p = _stable_probs(logits, temperature)
    return int(rng.choice(len(p), p=p))


def sample_zero_crash_python(logits, temperature, rng):
    z = [float(v) / temperature for v in logits]  # ZeroDivisionError at T = 0
    m = max(z)
    e = [math.exp(v - m) for v in z]
    return int(rng.choice(len(e), p=np.array(e) / sum(e)))


def sample_returns_probs(logits, temperature, rng):
    if temperature == 0:
        return np.eye(len(logits))[int(np.argmax(logits))]
    return _stable_probs(logits, temperature)


def sample_uniform(logits, temperature, rng):
    return int(rng.integers(len(logits)))


def sample_one_hot(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    p = _stable_probs(logits, temperature)
    return rng.multinomial(1, p)  # a one-hot vector, not the index


def sample_off_by_one(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    p = _stable_probs(logits, temperature)
    return int(np.searchsorted(np.cumsum(p), rng.random(), side="right")) + 1


def sample_choice(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=_stable_probs(logits, temperature)))


def sample_inverse_cdf(logits, temperature, rng):
    z = np.asarray(logits, dtype=np.float64)
    if temperature <= 0:
        return int(np.argmax(z))
    p = _stable_probs(z, temperature)
    cdf = np.cumsum(p)
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), len(p) - 1))


def sample_gumbel_max(logits, temperature, rng):
    z = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(z))
    return int(np.argmax(z / temperature + rng.gumbel(size=z.shape)))


def sample_power_of_probs(logits, temperature, rng):
    z = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(z))
    log_p = z - z.max() - np.log(np.sum(np.exp(z - z.max())))  # log softmax(z)
    scaled = log_p / temperature  # p ** (1 / T), in logs
    q = np.exp(scaled - scaled.max())
    return int(rng.choice(len(q), p=q / q.sum()))


def sample_float32(logits, temperature, rng):
    z = np.asarray(logits, dtype=np.float32)
    if temperature == 0:
        return np.argmax(z)  # a numpy integer
    z = z / np.float32(temperature)
    e = np.exp(z - z.max())
    p = e / e.sum()
    return rng.choice(len(p), p=p.astype(np.float64) / p.sum(dtype=np.float64))


# ---------------------------------------------------------------- perplexity


def perplexity_base2(mean_cross_entropy_nats):
    return float(2 ** np.mean(mean_cross_entropy_nats))


def perplexity_log(mean_cross_entropy_nats):
    return float(np.log(np.mean(mean_cross_entropy_nats)))


def perplexity_array(mean_cross_entropy_nats):
    return np.exp(np.atleast_1d(mean_cross_entropy_nats))


def perplexity_base10(mean_cross_entropy_nats):
    return float(10 ** np.mean(mean_cross_entropy_nats))


def perplexity_negated(mean_cross_entropy_nats):
    return float(np.exp(-np.mean(mean_cross_entropy_nats)))


def perplexity_numpy(mean_cross_entropy_nats):
    return np.exp(np.mean(mean_cross_entropy_nats))  # a numpy float scalar


def perplexity_math(mean_cross_entropy_nats):
    values = np.atleast_1d(np.asarray(mean_cross_entropy_nats, dtype=np.float64))
    return math.exp(sum(values.tolist()) / len(values))


def perplexity_via_bits(mean_cross_entropy_nats):
    bits = np.mean(mean_cross_entropy_nats) / math.log(2)
    return float(2.0 ** bits)


WRONG = {
    "build_vocab": {
        "order of first appearance": (vocab_first_appearance, "in the wrong order"),
        "set order": (vocab_set_order, "in the wrong order"),
        "case-insensitive sort": (vocab_case_insensitive, "in the wrong order"),
        "duplicates kept": (vocab_duplicates, "keep each once"),
        "indices from 1": (vocab_from_one, "its position in chars (counting from 0)"),
        "index-to-char dict": (vocab_inverse_dict, "char_to_idx has integers as keys"),
        "chars as a string": (vocab_string, "should be a list"),
        "sorted by frequency": (vocab_by_frequency, "in the wrong order"),
        "chars as a numpy array": (vocab_numpy, "should be a list"),
    },
    "encode": {
        "a list": (encode_list, "should be a numpy array"),
        "np.array without dtype (float for the empty text)": (
            encode_plain_array, "has dtype float64; it should hold integers"),
        "float buffer": (encode_float_buffer, "has dtype float64; it should hold integers"),
        "the text's own vocabulary": (
            encode_own_vocab, "the text's own sorted vocabulary is used instead of the char_to_idx gi"),
        "uint8 indices": (encode_uint8, "the indices are stored in 8 bits"),
        "one-hot rows": (encode_one_hot, "has shape"),
        "indices shifted by one": (encode_shifted, "the indices are shifted by one"),
    },
    "make_training_sequences": {
        "target inside the window": (
            sequences_target_in_window, "y is the last character of each window instead of the one right after"),
        "target two after the window": (sequences_target_too_far, "y is two characters after the window"),
        "last window missing": (sequences_last_missing, "the last window is missing"),
        "one window too many": (sequences_overflow, "there is one window too many"),
        "step ignored": (sequences_step_ignored, "step is ignored"),
        "lists instead of arrays": (sequences_lists, "should be a numpy array"),
        "float arrays": (sequences_float, "has dtype float64; it should hold integers"),
        "windows include the target": (sequences_window_with_target, "the windows are seq_len + 1 characters long"),
    },
    "sample_with_temperature": {
        "temperature applied to the probabilities": (sample_divides_probabilities, "the temperature is ignored"),
        "logits multiplied by T": (sample_multiplies, "the logits are multiplied by T"),
        "always the argmax": (sample_argmax, "the argmax is always returned"),
        "global np.random": (sample_global_random, "the same generator state"),
        "an unseeded generator of its own": (sample_own_generator, "the same generator state"),
        "a fixed-seed generator of its own": sample_fixed_seed,
        "overflow at large logits": (sample_overflow, "subtract the maximum"),
        "overflow, cumulative sum": sample_overflow_cumsum,
        "crashes at T=0 (numpy)": (sample_zero_crash, "Hint: T = 0 means the argmax; return it before dividing by T"),
        "crashes at T=0 (Python)": (
            sample_zero_crash_python, "Hint: T = 0 means the argmax; return it before dividing by T"),
        "returns the probabilities": (sample_returns_probs, "should return the index"),
        "uniform draw": sample_uniform,
        "one-hot vector": (sample_one_hot, "should return the index"),
        "index off by one": (sample_off_by_one, "which is not an index of the"),
    },
    "perplexity": {
        "2 ** nats": (perplexity_base2, "the cross-entropy is taken as bits"),
        "log instead of exp": (perplexity_log, "the logarithm is taken instead of the exponential"),
        "an array of one element": (perplexity_array, "should be a float"),
        "rounded to two decimals": (lambda x: round(math.exp(x), 2), "the perplexity is"),
        "an int": (lambda x: int(math.exp(x)), "should be a float"),
        "10 ** nats": (perplexity_base10, "10 ** nats is taken"),
        "exp(-nats)": (perplexity_negated, "the cross-entropy is negated"),
    },
}

CORRECT = {
    "build_vocab": {
        "sorted set comprehension": vocab_unique_list,
        "numpy unique, then str": vocab_numpy_then_list,
        "Counter keys": vocab_counter_keys,
    },
    "encode": {
        "fromiter": encode_fromiter,
        "lookup table by code point": encode_lookup_table,
        "preallocated int64": encode_preallocated,
    },
    "make_training_sequences": {
        "index arithmetic": sequences_index_arithmetic,
        "while loop": sequences_while_loop,
    },
    "sample_with_temperature": {
        "rng.choice": sample_choice,
        "inverse CDF with one uniform": sample_inverse_cdf,
        "Gumbel-max": sample_gumbel_max,
        "p ** (1/T) renormalised": sample_power_of_probs,
        "float32 throughout": sample_float32,
    },
    "perplexity": {
        "numpy scalar": perplexity_numpy,
        "math.exp of the mean": perplexity_math,
        "through bits": perplexity_via_bits,
        "math.exp of the number": lambda x: math.exp(x),
        "np.e ** x": lambda x: np.e ** x,
    },
}


# ---------------------------------------------------------------- new families: views, aliasing, low T


def sequences_view_of_ids(ids, seq_len, step):
    M = (len(ids) - 1 - seq_len) // step + 1
    X = np.stack([ids[s:s + seq_len] for s in range(0, M * step, step)]).astype(np.int64).reshape(M, seq_len)
    return X, ids[seq_len::step][:M]  # y is a view of the caller's ids


def sequences_read_only_window_view(ids, seq_len, step):
    ids = np.asarray(ids, dtype=np.int64)  # a copy for int32 ids, the caller's array otherwise
    M = (len(ids) - 1 - seq_len) // step + 1
    X = np.lib.stride_tricks.sliding_window_view(ids, seq_len)[:M * step:step]  # read-only view
    return X, ids[seq_len::step][:M].copy()


def sample_argmax_below_01(logits, temperature, rng):
    if temperature < 0.1:  # "close enough to 0"
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=_stable_probs(logits, temperature)))


def sample_unshifted_power(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    w = np.exp(np.asarray(logits, np.float64)) ** (1 / temperature)  # exp(logits) ** (1/T): overflows
    return int(rng.choice(len(w), p=w / w.sum()))


def sample_log_probs_shifted(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    z = np.asarray(logits, np.float64)
    log_p = z - z.max() - np.log(np.sum(np.exp(z - z.max())))  # log softmax, <= 0
    scaled = log_p / temperature
    w = np.exp(scaled - scaled.max())
    return int(rng.choice(len(z), p=w / w.sum()))


def sample_searchsorted(logits, temperature, rng):
    z = np.asarray(logits, np.float64)
    if temperature == 0:
        return int(z.argmax())
    p = np.exp((z - z.max()) / temperature)
    cdf = np.cumsum(p / p.sum())
    return int(min(np.searchsorted(cdf, rng.random(), side="right"), len(z) - 1))


WRONG["make_training_sequences"]["y a view of ids"] = (sequences_view_of_ids, "not a copy")
WRONG["make_training_sequences"]["sliding_window_view copied, y a view of ids"] = (sequences_sliding_view,
                                                                                  "not a copy")
WRONG["sample_with_temperature"].update({
    "argmax for any T below 0.1": (sample_argmax_below_01, "the argmax is always returned"),
    "exp(logits) ** (1/T) without a shift": (sample_unshifted_power, "subtract the maximum of logits / T"),
})
CORRECT["make_training_sequences"]["read-only sliding_window_view"] = sequences_read_only_window_view
CORRECT["sample_with_temperature"].update({
    "log-softmax divided by T, shifted": sample_log_probs_shifted,
    "np.searchsorted on the CDF": sample_searchsorted,
})
