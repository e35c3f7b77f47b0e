"""Hidden checks for sprint 08_char_rnn: references, input generators and typical mistakes.

Shape letters: L characters of text, V characters in the vocabulary, M training windows.

``sample_with_temperature`` draws a random character, and correct implementations may consume the
generator differently (``rng.choice``, one uniform number and a cumulative sum, Gumbel noise), so no
single draw can be compared with a reference draw. Its check is statistical, in three parts:

- exact cases, where the answer does not depend on chance: temperature 0 (and tiny temperatures,
  and logits far apart) must give the argmax;
- repeat cases: pairs of calls with generators in the same state must return the same index, which
  is what using ``rng`` (rather than ``np.random`` or a generator of one's own) guarantees;
- frequency groups: K calls, each with a fresh generator, whose counts are compared with the
  expected probabilities p = softmax(logits / T).

The frequency test looks at every character j separately: with the observed frequency q_j = c_j / K
it computes K * KL(q_j || p_j), the binary Kullback-Leibler divergence, and fails when it exceeds
``LIMIT`` = 25 for some j. By the Chernoff bound, P(K * KL(q_j || p_j) >= 25) <= 2 exp(-25) = 2.8e-11
for a correct implementation, whatever K and p_j, so a group of V characters raises a false alarm
with probability below 2 V exp(-25) < 2e-10 (about 7 standard deviations in the Gaussian regime).
The groups are built so that every typical mistake is far beyond the limit: over the cases of 1000
seeds, the smallest expected statistic of the weakest mistake (the temperature ignored) is 210, more
than eight times the limit (the others: 460 and more). Run on the seeds 100 to 249, the check passed
every correct implementation of tests/implementations/char_rnn.py (and the reference) and failed every
wrong one; tests/test_char_rnn_references.py repeats the margin computation on simulated counts.
A check makes about 1,550 calls and takes about 0.3 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .framework import Case, Outcome, Problem

SPRINT = "08_char_rnn"

LIMIT = 25.0  # K * KL(q_j || p_j) above this fails the frequency test (Chernoff: p-value < 2 e^-25)
DRAWS = 600  # calls per frequency group that decides on the temperature
STABILITY_DRAWS = 100  # calls per group with huge or tiny logits
PAIRS = 20  # pairs of calls with generators in the same state


# ================================================================ references


def ref_build_vocab(text):
    chars = sorted(set(text))  # code-point order: "\n" < " " < "A" < "a"
    return chars, {c: i for i, c in enumerate(chars)}


def ref_encode(text, char_to_idx):
    return np.fromiter((char_to_idx[c] for c in text), dtype=np.int64, count=len(text))  # (L,)


def ref_make_training_sequences(ids, seq_len, step):
    ids = np.asarray(ids)
    starts = list(range(0, len(ids) - seq_len, step))  # start + seq_len must be a valid index
    X = np.array([ids[s:s + seq_len] for s in starts], dtype=np.int64).reshape(len(starts), seq_len)  # (M, seq_len)
    y = np.array([ids[s + seq_len] for s in starts], dtype=np.int64)  # (M,)
    return X, y


def ref_temperature_probs(logits, temperature):
    """p = softmax(logits / T) in float64; the one-hot vector of the argmax when T == 0."""
    z = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return np.eye(len(z))[int(np.argmax(z))]
    z = z / temperature
    e = np.exp(z - z.max())  # every exponent <= 0: no overflow, and the largest term is exactly 1
    return e / e.sum()


def ref_sample_with_temperature(logits, temperature, rng):
    p = ref_temperature_probs(logits, temperature)
    if temperature == 0:
        return int(np.argmax(p))
    return int(rng.choice(len(p), p=p))


def ref_perplexity(mean_cross_entropy_nats):
    return float(math.exp(float(np.mean(np.asarray(mean_cross_entropy_nats, dtype=np.float64)))))


# ================================================================ inputs

WORDS = ("def", "return", "self", "import", "class", "None", "True", "for", "in", "if", "else",
         "lambda", "x", "y_0", "print", "len", "(", ")", ":", "[", "]", "=", "+", "#", "'s'", '"t"')


def random_text(rng, n: int, alphabet: str) -> str:
    return "".join(rng.choice(list(alphabet), size=n))


def code_like(rng, n_words: int) -> str:
    words = rng.choice(WORDS, size=n_words)
    seps = rng.choice([" ", " ", " ", "\n", "\n    ", ", "], size=n_words)
    return "".join(w + s for w, s in zip(words, seps))


def texts(rng) -> list[tuple[str, str]]:
    """(text, label) pairs: code-like text, mixed case (so that case-insensitive sorting differs),
    one repeated character, one character, whitespace, non-ASCII, descending first appearances."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    mixed = letters + letters.upper() + "0123456789 .,;:!?()[]{}_-+*/=<>'\"#\n\t"
    unicode = "aéλ→∑ü€ Zz\n日"
    return [
        (code_like(rng, int(rng.integers(15, 40))), "code-like text"),
        (random_text(rng, int(rng.integers(60, 200)), mixed), "letters of both cases, digits, punctuation"),
        ("Ba" + random_text(rng, int(rng.integers(10, 30)), "aBcD\n "), "upper and lower case"),
        ("q" * int(rng.integers(2, 9)), "one character repeated"),
        ("x", "a single character"),
        (random_text(rng, int(rng.integers(20, 50)), unicode), "non-ASCII characters"),
        ("".join(reversed(letters[: int(rng.integers(5, 15))])) + random_text(rng, 20, letters[:5]),
         "first appearances in descending order"),
        (random_text(rng, int(rng.integers(30, 80)), " \n\t.ab"), "whitespace and a few letters"),
    ]


def vocab_cases(rng) -> list[Case]:
    return [Case((text,), label=f"{label}, {len(text)} characters") for text, label in texts(rng)]


def encode_cases(rng) -> list[Case]:
    """The dictionary never equals the text's own vocabulary: it has extra characters (some sorting
    before the text's), or its indices are shuffled, or it has more than 256 entries."""
    cases = []
    for i, (text, label) in enumerate(texts(rng)[:6]):
        extra = "".join(chr(c) for c in rng.choice(np.arange(33, 127), size=6, replace=False))
        vocab = sorted(set(text + extra + "!"))  # "!" sorts before letters and digits
        indices = rng.permutation(len(vocab)) if i % 2 else np.arange(len(vocab))
        mapping = {c: int(k) for c, k in zip(vocab, indices)}
        kind = "shuffled indices" if i % 2 else "a larger vocabulary"
        cases.append(Case((text, mapping), label=f"{label}, {len(text)} characters, {kind}"))
    big = [chr(0x100 + k) for k in range(300)]  # 300 characters: indices beyond 255
    text = "".join(rng.choice(big, size=40)) + big[-1]
    cases.append(Case((text, {c: k for k, c in enumerate(big)}), label="a vocabulary of 300 characters"))
    cases.append(Case(("", {"a": 0, "b": 1}), label="the empty text"))
    return cases


def sequence_cases(rng) -> list[Case]:
    """(ids, seq_len, step) with ids of length L. The first cases end exactly on the last window
    (L - 1 - seq_len is a multiple of step), others leave characters over; step = 1, step = seq_len,
    step > seq_len, seq_len = 1 and a single window all occur."""

    def case(seq_len, step, extra, dtype=np.int64, V=None):
        windows = int(rng.integers(2, 6))
        L = seq_len + 1 + (windows - 1) * step + extra  # extra < step keeps M = windows
        V = V or int(rng.integers(5, 60))
        ids = rng.integers(0, V, size=L).astype(dtype)
        label = f"L={L}, seq_len={seq_len}, step={step}, {np.dtype(dtype).name} ids"
        return Case((ids, seq_len, step), label=label)

    s = int(rng.integers(3, 8))
    one_window = rng.integers(0, 30, size=s + 1)
    return [
        case(s, 2, 0),
        case(s, s, 0, np.int32),
        case(s, 1, 0),
        case(int(rng.integers(4, 9)), 3, 2),
        case(s, s + 2, s + 1),
        case(1, 2, 1),
        case(int(rng.integers(5, 12)), 4, 1, np.int32),
        Case((one_window, s, 3), label=f"L={s + 1}, seq_len={s}, step=3: a single window"),
    ]


def perplexity_cases(rng) -> list[Case]:
    """One number, as the contract says: Python floats, numpy float64 and float32 scalars, 0 and ln V.
    (A correct ``math.exp(mean_cross_entropy_nats)`` must earn the point, so no arrays.)"""
    V = int(rng.integers(20, 100))
    u = float(rng.uniform(0.3, 4.0))
    return [
        Case((u,), label=f"a Python float, {u:.4f}"),
        Case((0.0,), label="0.0: a model that is always sure and right"),
        Case((math.log(V),), label=f"ln({V}): a uniform guess over {V} characters"),
        Case((np.float64(rng.uniform(1.0, 3.0)),), label="a numpy float64"),
        Case((np.float32(rng.uniform(0.5, 2.5)),), label="a numpy float32", dtype=np.dtype(np.float32)),
        Case((float(rng.uniform(6.0, 9.0)),), label="a large cross-entropy"),
        Case((float(rng.uniform(0.01, 0.2)),), label="a small cross-entropy"),
    ]


# ---------------------------------------------------------------- sampling cases


@dataclass
class Tally:
    """Shared by the cases of one group: the expected distribution and what came back so far."""

    probs: np.ndarray
    description: str
    logits: np.ndarray
    temperature: float
    counts: np.ndarray = None
    first: list = field(default_factory=list)  # repeat groups: the first result of each pair

    def __post_init__(self):
        self.counts = np.zeros(len(self.probs), dtype=np.int64)


@dataclass
class SampleCase(Case):
    """A sampling case. ``role`` is "exact" (the argmax is the only right answer), "draw" (one call
    of a frequency group, ``closes`` on the group's last one) or "repeat" (one call of a pair)."""

    role: str = "exact"
    tally: Tally | None = None
    closes: bool = False


def spread_logits(rng, V: int, gap: float) -> np.ndarray:
    """V logits about ``gap`` apart (jittered by at most 15 %), shifted at random, in random order:
    every character keeps a fair probability, and the temperature changes the distribution a lot."""
    z = gap * np.arange(V) + rng.uniform(-0.15 * gap, 0.15 * gap, V)
    return rng.permutation(z - z.mean() + rng.normal(0, 1))


def sampling_cases(rng) -> list[SampleCase]:
    cases = []

    def exact(logits, temperature, dtype, label):
        logits = np.asarray(logits, dtype=dtype)
        cases.append(SampleCase((logits, temperature, np.random.default_rng(int(rng.integers(2**32)))),
                                label=f"{label}, V={len(logits)}, T={temperature!r}, {np.dtype(dtype).name}",
                                dtype=np.dtype(dtype)))

    def group(logits, temperature, dtype, draws, label):
        logits = np.asarray(logits, dtype=dtype)
        tally = Tally(ref_temperature_probs(logits, temperature),
                      f"{label}, V={len(logits)}, T={temperature}, {np.dtype(dtype).name}", logits, temperature)
        for k, seed in enumerate(rng.integers(2**32, size=draws, dtype=np.uint64)):
            cases.append(SampleCase((logits, temperature, np.random.default_rng(int(seed))),
                                    label=f"{tally.description}, call {k + 1} of {draws}", dtype=np.dtype(dtype),
                                    role="draw", tally=tally, closes=k == draws - 1))

    # T = 0 first: a crash there shows at once, with a specific message.
    exact(spread_logits(rng, 6, 1.0), 0, np.float64, "temperature exactly 0 (an int)")
    exact(spread_logits(rng, 5, 1.0), 0.0, np.float32, "temperature exactly 0.0")

    # Pairs of calls with generators in the same state (a spread-out distribution, so that two
    # independent draws rarely agree: below 0.45 per pair, below 1e-7 for all twenty).
    logits, temperature = spread_logits(rng, 6, 1.0), 3.0
    tally = Tally(ref_temperature_probs(logits, temperature), f"V=6, T={temperature}", logits, temperature)
    for seed in rng.integers(2**32, size=PAIRS, dtype=np.uint64):
        for _ in range(2):  # the same state twice
            cases.append(SampleCase((logits, temperature, np.random.default_rng(int(seed))),
                                    label=f"{tally.description}, the same generator state twice",
                                    role="repeat", tally=tally))

    # Frequency groups: a low and a high temperature decide on the temperature; huge and tiny
    # logits test stability (|logits| / T > 1100: np.exp overflows to inf or underflows to 0).
    group(spread_logits(rng, 5, 0.5), 0.25, np.float64, DRAWS, "a low temperature")
    group(spread_logits(rng, 5, 1.5), 3.0, np.float32, DRAWS, "a high temperature")
    group(1000 + spread_logits(rng, 4, 1.0), 0.8, np.float64, STABILITY_DRAWS, "logits near +1000")
    group(-1000 + spread_logits(rng, 5, 1.0), 0.9, np.float64, STABILITY_DRAWS, "logits near -1000")
    # A temperature between 0 and 0.1 with near-tied logits: still a real draw (not the argmax), and
    # logits / T near 2000, where an unshifted np.exp overflows.
    group(40 + spread_logits(rng, 5, 0.012), 0.03, np.float64, STABILITY_DRAWS,
          "near-tied logits (about 0.01 apart, near 40) at a low temperature")

    # Last, limits where chance plays no part (after the groups, whose hints are more specific):
    # gaps of at least 0.7 / T = 70 or more between logits, or one character with probability 1 - 5e-35.
    exact(spread_logits(rng, 7, 1.0), 1e-3, np.float64, "a tiny temperature")
    exact(1000 + spread_logits(rng, 5, 1.0), 0.01, np.float32, "logits near +1000")
    exact(-1000 + spread_logits(rng, 4, 1.0), 0.01, np.float64, "logits near -1000")
    one_sure = rng.normal(0, 1, 6)
    one_sure[rng.integers(6)] += 80
    exact(one_sure, 1.0, np.float64, "one logit 80 above the others")
    return cases


# ================================================================ comparisons


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _integer_array(name, got, shape, expected) -> str | None:
    if not isinstance(got, np.ndarray):
        return f"{name} should be a numpy array, but it is a {type(got).__name__}."
    if got.dtype.kind not in "iu":
        return (f"{name} has dtype {got.dtype}; it should hold integers (character indices). "
                "Give the dtype explicitly, e.g. dtype=np.int64: np.array([]) is a float array.")
    if got.shape != tuple(shape):
        return f"{name} has shape {got.shape}; expected {tuple(shape)}."
    if not np.array_equal(got, expected):
        where = tuple(int(i) for i in np.argwhere(got != expected)[0])
        return (f"{name} has the right shape but wrong values: at index {where} it is {got[where]}, "
                f"expected {expected[where]}.")
    return None


def compare_vocab(got, expected, case) -> str | None:
    chars, mapping = expected
    if not isinstance(got, tuple) or len(got) != 2:
        return "build_vocab should return a tuple of two items (chars, char_to_idx)."
    got_chars, got_map = got
    if isinstance(got_chars, str):
        return "chars should be a list of single characters, but it is a str: use sorted(...), which gives a list."
    if not isinstance(got_chars, list):
        return f"chars should be a list of single characters, but it is a {type(got_chars).__name__}."
    if not all(isinstance(c, str) and len(c) == 1 for c in got_chars):
        return "every item of chars should be a single character (a str of length 1)."
    if len(set(got_chars)) != len(got_chars):
        return f"chars has {len(got_chars)} items but only {len(set(got_chars))} different ones: keep each once."
    if set(got_chars) != set(chars):
        missing, extra = set(chars) - set(got_chars), set(got_chars) - set(chars)
        return (f"chars should hold exactly the characters of the text; missing {sorted(missing)!r}, "
                f"extra {sorted(extra)!r}.")
    if got_chars != chars:
        return (f"chars has the right characters in the wrong order: {''.join(got_chars)!r} instead of "
                f"{''.join(chars)!r}. Sort them by code point with plain sorted().")
    if not isinstance(got_map, dict):
        return f"char_to_idx should be a dict, but it is a {type(got_map).__name__}."
    if set(got_map) != set(mapping):
        if all(_is_int(k) for k in got_map):
            return "char_to_idx has integers as keys: it should map each character to its index, not back."
        return "the keys of char_to_idx should be exactly the characters in chars."
    for c, i in mapping.items():
        if not _is_int(got_map[c]):
            return f"char_to_idx[{c!r}] is {got_map[c]!r} ({type(got_map[c]).__name__}); indices are ints."
        if got_map[c] != i:
            return f"char_to_idx[{c!r}] is {got_map[c]}; expected {i}, its position in chars (counting from 0)."
    return None


def compare_encoding(got, expected, case) -> str | None:
    return _integer_array("the encoded text", got, expected.shape, expected)


def compare_sequences(got, expected, case) -> str | None:
    X, y = expected
    if not isinstance(got, tuple) or len(got) != 2:
        return "make_training_sequences should return a tuple of two arrays (X, y)."
    message = _integer_array("X", got[0], X.shape, X)
    if message is None:
        message = _integer_array("y", got[1], y.shape, y)
    return message


def compare_perplexity(got, expected, case) -> str | None:
    if isinstance(got, np.ndarray):
        return (f"the perplexity should be a float, but it is a numpy array of shape {got.shape}: "
                "take the mean first, and return float(...) of the result.")
    if not isinstance(got, (float, np.floating)):
        return f"the perplexity should be a float, but it is a {type(got).__name__} ({got!r})."
    if not np.isfinite(float(got)):
        return f"the perplexity is {float(got)}; expected {expected:.8g}."
    rtol = 1e-6 if case.dtype == np.float64 else 1e-5
    if not math.isclose(float(got), expected, rel_tol=rtol):
        return f"the perplexity is {float(got):.8g}; expected {expected:.8g}."
    return None


# ================================================================ mistakes


def _mistake_vocab(order):
    def build(text):
        chars = order(text)
        return chars, {c: i for i, c in enumerate(chars)}

    return build


def _first_appearance(text):
    return list(dict.fromkeys(text))


def _windows(ids, seq_len, step, *, last, target_offset=0, window=None):
    """Windows starting at 0, step, ... up to ``last`` (exclusive); targets shifted by ``target_offset``."""
    ids = np.asarray(ids)
    window = window or seq_len
    starts = list(range(0, last, step))
    X = np.array([ids[s:s + window] for s in starts], dtype=np.int64).reshape(len(starts), window)
    y = np.array([ids[s + seq_len + target_offset] for s in starts], dtype=np.int64)
    return X, y


def _softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def _shifted(p, k):
    return np.roll(p, k)


# Distributions of typical mistakes, as functions of (logits, temperature): the frequency test names
# the one the observed counts agree with.
SAMPLING_MISTAKES = {
    "the temperature is ignored (or the probabilities are divided by T after the softmax, which "
    "renormalising undoes): divide the logits by T before the softmax":
        lambda z, T: _softmax(z),
    "the logits are multiplied by T instead of divided by it":
        lambda z, T: _softmax(np.asarray(z, np.float64) * T),
    "the argmax is always returned: sample from the distribution unless T is 0":
        lambda z, T: np.eye(len(z))[int(np.argmax(z))],
    "every character is drawn with the same probability (the logits are not used)":
        lambda z, T: np.full(len(z), 1 / len(z)),
    "the logits' sign is flipped (softmax of -logits / T)":
        lambda z, T: _softmax(-np.asarray(z, np.float64) / T),
    "the index is off by one (it is shifted by +1)":
        lambda z, T: _shifted(ref_temperature_probs(z, T), 1),
}


def _sampler(distribution):
    """A sampler that makes a mistake: draws from ``distribution(logits, T)`` with the generator."""

    def sample(logits, temperature, rng):
        p = distribution(logits, temperature)
        return int(rng.choice(len(p), p=p))

    return sample


# ================================================================ the sampling problem


def kl_statistic(counts: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """K * KL(q_j || p_j) for each character j, with q = counts / K (binary divergence, 0 log 0 = 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    probs = np.asarray(probs, dtype=np.float64)
    K = counts.sum()
    q = counts / K
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(q > 0, q * np.log(q / probs), 0.0)
        b = np.where(q < 1, (1 - q) * np.log((1 - q) / (1 - probs)), 0.0)
    return K * (a + b)  # inf where a character with probability 0 (or 1) was (not) drawn


def frequency_message(tally: Tally) -> str | None:
    """None when the counts agree with the expected probabilities, else the message for the student."""
    stat = kl_statistic(tally.counts, tally.probs)
    if np.all(stat <= LIMIT):
        return None
    K = int(tally.counts.sum())
    j = int(np.argmax(stat))
    fmt = dict(separator=", ", formatter={"float_kind": lambda v: f"{v:.3f}"})
    freq, probs = np.array2string(tally.counts / K, **fmt), np.array2string(tally.probs, **fmt)
    message = (f"over {K} calls ({tally.description}), the characters came out with frequencies {freq}, "
               f"but softmax(logits / T) gives {probs}. Character {j} is far outside the chance range "
               f"(the test fails a correct function with probability below 1e-9).")
    best, best_stat = None, np.inf
    for hint, mistake in SAMPLING_MISTAKES.items():
        with np.errstate(all="ignore"):
            wrong = mistake(tally.logits, tally.temperature)
        s = kl_statistic(tally.counts, wrong).max()
        if s <= LIMIT and s < best_stat:
            best, best_stat = hint, s
    if best:
        message += f" Hint: these frequencies agree with what you get when {best}."
    elif np.max(np.abs(tally.logits)) / tally.temperature > 700:  # beyond what np.exp can represent
        message += (" Hint: with logits this large, np.exp overflows to inf or underflows to 0; subtract "
                    "the maximum of logits / T before np.exp.")
    return message


class SamplingProblem(Problem):
    """``sample_with_temperature``: judged by exact, repeat and frequency cases (module docstring)."""

    def judge(self, case: SampleCase, outcome: Outcome) -> str | None:
        where = f" (case: {case.label})"
        logits, temperature, _ = case.args
        if outcome.error is not None:
            if outcome.error_type == "NotImplementedError":
                return f"{self.name} is not implemented yet (it raised NotImplementedError)."
            hint = ""
            if temperature == 0:
                hint = " Hint: T = 0 means the argmax; return it before dividing by T."
            elif np.max(np.abs(logits)) / temperature > 700:  # np.exp overflows above about 709
                hint = (" Hint: with large logits, np.exp overflows to inf (and inf / inf is NaN); subtract "
                        "the maximum of logits / T before np.exp.")
            return f"{self.name} raised {outcome.error}{where}.{hint}"
        if outcome.mutated:
            return f"{self.name} changed its input {', '.join(outcome.mutated)} in place{where}."
        got = outcome.value
        if isinstance(got, np.ndarray) and got.ndim == 0 and got.dtype.kind in "iu":
            got = got[()]
        if not _is_int(got):
            return (f"{self.name} should return the index of the sampled character as an int, but it returned "
                    f"{got!r} ({type(got).__name__}){where}.")
        V = len(logits)
        if not 0 <= got < V:
            return f"{self.name} returned {got}, which is not an index of the {V} logits{where}."
        if case.role == "exact":
            expected = int(np.argmax(ref_temperature_probs(logits, temperature)))
            if got != expected:
                return (f"{self.name} returned {got}, but here the only possible answer is the argmax, {expected}"
                        f"{where}.{self.exact_hint(case, got)}")
            return None
        if case.role == "repeat":
            first = case.tally.first
            if len(first) % 2 == 0:
                first.append(got)
                return None
            earlier = first[-1]
            first.append(got)
            if got != earlier:
                return (f"{self.name} returned {earlier} and then {got} for two generators in the same state"
                        f"{where}: draw every random number from the rng argument (rng.choice, rng.random), "
                        "not from np.random or a generator of your own.")
            return None
        case.tally.counts[got] += 1
        if case.closes:
            message = frequency_message(case.tally)
            if message:
                return f"{self.name}: {message}"
        return None

    def exact_hint(self, case: SampleCase, got: int) -> str:
        logits, temperature, _ = case.args
        if temperature == 0:
            return " Hint: T = 0 must return the argmax, without drawing."
        if np.max(np.abs(logits)) > 100:
            return " Hint: with huge logits or a tiny T, subtract the maximum of logits / T before np.exp."
        if temperature < 0.1:
            return (" Hint: dividing the logits by a tiny T puts all the probability on the largest one; "
                    "check that you divide by T (not multiply) and return the sampled index unchanged.")
        return (" Hint: one logit is 80 above the others, so its probability is 1 - 5e-35: check the "
                "softmax and that you return the sampled index unchanged.")


# ================================================================ problems

PROBLEMS = [
    Problem(
        name="build_vocab",
        sprint=SPRINT,
        generate=vocab_cases,
        reference=ref_build_vocab,
        output_names=("chars", "char_to_idx"),
        arg_names=("text",),
        compare=compare_vocab,
        mistakes={
            "the characters are kept in order of first appearance": _mistake_vocab(_first_appearance),
            "the characters are sorted without regard to case (key=str.lower)":
                _mistake_vocab(lambda t: sorted(set(t), key=str.lower)),
            "every character of the text is kept, duplicates included": _mistake_vocab(lambda t: sorted(t)),
            "the characters are sorted by frequency":
                _mistake_vocab(lambda t: sorted(set(t), key=lambda c: (-t.count(c), c))),
        },
    ),
    Problem(
        name="encode",
        sprint=SPRINT,
        generate=encode_cases,
        reference=ref_encode,
        output_names=("ids",),
        arg_names=("text", "char_to_idx"),
        compare=compare_encoding,
        mistakes={
            "the text's own sorted vocabulary is used instead of the char_to_idx given":
                lambda text, m: np.array([sorted(set(text)).index(c) for c in text], dtype=np.int64),
            "the indices are shifted by one": lambda text, m: ref_encode(text, m) + 1,
            "the indices are stored in 8 bits (np.uint8 wraps around above 255)":
                lambda text, m: ref_encode(text, m).astype(np.uint8).astype(np.int64),
        },
    ),
    Problem(
        name="make_training_sequences",
        sprint=SPRINT,
        generate=sequence_cases,
        reference=ref_make_training_sequences,
        output_names=("X", "y"),
        arg_names=("ids", "seq_len", "step"),
        compare=compare_sequences,
        mistakes={
            "y is the last character of each window instead of the one right after it":
                lambda ids, n, s: _windows(ids, n, s, last=len(ids) - n, target_offset=-1),
            "y is two characters after the window (off by one)":
                lambda ids, n, s: _windows(ids, n, s, last=len(ids) - n - 1, target_offset=1),
            "the last window is missing (a window may end right before the last character)":
                lambda ids, n, s: _windows(ids, n, s, last=len(ids) - n - 1),
            "there is one window too many: the last window must still have a next character to predict":
                lambda ids, n, s: (_windows(ids, n, s, last=len(ids) - n + 1, target_offset=-1)[0],
                                   np.asarray(ids, dtype=np.int64)[n::s]),
            "step is ignored (windows start at every position)":
                lambda ids, n, s: ref_make_training_sequences(ids, n, 1),
            "the windows are seq_len + 1 characters long (the target is included)":
                lambda ids, n, s: _windows(ids, n, s, last=len(ids) - n, window=n + 1),
        },
    ),
    SamplingProblem(
        name="sample_with_temperature",
        sprint=SPRINT,
        generate=sampling_cases,
        reference=ref_sample_with_temperature,
        output_names=("index",),
        arg_names=("logits", "temperature", "rng"),
        mistakes={hint: _sampler(dist) for hint, dist in SAMPLING_MISTAKES.items()},
    ),
    Problem(
        name="perplexity",
        sprint=SPRINT,
        generate=perplexity_cases,
        reference=ref_perplexity,
        output_names=("perplexity",),
        arg_names=("mean_cross_entropy_nats",),
        compare=compare_perplexity,
        mistakes={
            "the cross-entropy is taken as bits (2 ** nats); with nats the base is e":
                lambda x: float(2 ** np.mean(x)),
            "the logarithm is taken instead of the exponential": lambda x: float(np.log(np.mean(x))),
            "10 ** nats is taken; with nats the base is e": lambda x: float(10 ** np.mean(x)),
            "the natural logarithm of 2 is mixed in (exp(nats * ln 2) is 2 ** nats)":
                lambda x: float(np.exp(np.mean(x) * math.log(2))),
            "the cross-entropy is negated (exp(-nats))": lambda x: float(np.exp(-np.mean(x))),
        },
    ),
]
