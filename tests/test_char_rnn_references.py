"""The references of sprint 08_char_rnn, and the statistics behind the sampling check.

The references are tested on hand-worked examples, against brute force, and against Keras (windows
from ``keras.utils.timeseries_dataset_from_array``, cross-entropy from Keras' loss). The frequency
test of ``sample_with_temperature`` is tested on simulated counts (multinomial draws, no student
calls): correct counts stay below the limit and the counts of every typical mistake go far above it,
on many seeds.
"""

import math
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from grader.checks import char_rnn as cr  # noqa: E402
from grader.checks import verify  # noqa: E402

# ---------------------------------------------------------------- build_vocab and encode


def test_build_vocab_worked_example():
    chars, char_to_idx = cr.ref_build_vocab("hello world")
    assert chars == [" ", "d", "e", "h", "l", "o", "r", "w"]
    assert char_to_idx == {" ": 0, "d": 1, "e": 2, "h": 3, "l": 4, "o": 5, "r": 6, "w": 7}


def test_build_vocab_sorts_by_code_point():
    chars, _ = cr.ref_build_vocab("baB\n a")
    assert chars == ["\n", " ", "B", "a", "b"]  # newline < space < upper case < lower case


@pytest.mark.parametrize("seed", range(5))
def test_encode_round_trip(seed):
    for text, _ in cr.texts(np.random.default_rng(seed)):
        chars, char_to_idx = cr.ref_build_vocab(text)
        ids = cr.ref_encode(text, char_to_idx)
        assert ids.dtype.kind == "i" and ids.shape == (len(text),)
        assert "".join(chars[i] for i in ids) == text
        assert ids.min() >= 0 and ids.max() == len(chars) - 1


def test_encode_uses_the_given_dictionary_and_handles_the_empty_text():
    mapping = {"a": 7, "b": 300, "c": 0}
    assert cr.ref_encode("abca", mapping).tolist() == [7, 300, 0, 7]
    empty = cr.ref_encode("", mapping)
    assert empty.shape == (0,) and empty.dtype.kind == "i"


# ---------------------------------------------------------------- make_training_sequences


def test_training_sequences_worked_example():
    X, y = cr.ref_make_training_sequences(np.arange(10), 3, 2)
    assert X.tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]]
    assert y.tolist() == [3, 5, 7, 9]  # the window starting at 6 uses the last character as its target


def brute_force_sequences(ids, seq_len, step):
    X, y = [], []
    for start in range(len(ids)):
        if start % step == 0 and start + seq_len <= len(ids) - 1:
            X.append(list(ids[start:start + seq_len]))
            y.append(ids[start + seq_len])
    return X, y


def test_training_sequences_against_brute_force():
    rng = np.random.default_rng(0)
    for L in range(2, 25):
        ids = rng.integers(0, 50, size=L)
        for seq_len in range(1, L):
            for step in range(1, 6):
                X, y = cr.ref_make_training_sequences(ids, seq_len, step)
                bX, by = brute_force_sequences(ids, seq_len, step)
                assert X.tolist() == bX and y.tolist() == by
                assert X.shape == (len(by), seq_len) and y.shape == (len(by),)
                assert len(by) == (L - 1 - seq_len) // step + 1  # the closed form of M


def test_training_sequences_match_keras_timeseries_windows():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    for L, seq_len, step in [(50, 7, 3), (41, 10, 10), (30, 1, 1), (23, 5, 8), (8, 7, 3)]:
        ids = rng.integers(0, 40, size=L)
        # The window starting at i holds ids[i:i + seq_len] and has the target ids[i + seq_len]; the
        # data stops one character early, so that the last window still has a target.
        dataset = keras.utils.timeseries_dataset_from_array(
            ids[:-1], ids[seq_len:], sequence_length=seq_len, sequence_stride=step, batch_size=1000)
        (kX, ky), = [(a.numpy(), b.numpy()) for a, b in dataset]
        X, y = cr.ref_make_training_sequences(ids, seq_len, step)
        np.testing.assert_array_equal(X, kX)
        np.testing.assert_array_equal(y, ky)


def test_sequence_cases_cover_the_boundaries():
    for seed in range(20):
        cases = cr.sequence_cases(np.random.default_rng(seed))
        params = [(len(c.args[0]), c.args[1], c.args[2]) for c in cases]
        aligned = [(L - 1 - n) % s == 0 for L, n, s in params]
        assert any(aligned) and not all(aligned)  # the last window exactly at the end, and not
        assert any((L - n) % s == 0 and s > 1 for L, n, s in params)  # one more start would overflow
        assert any(s == 1 for _, _, s in params) and any(s == n for _, n, s in params)
        assert any(s > n for _, n, s in params) and any(n == 1 for _, n, _ in params)
        assert any(len(cr.ref_make_training_sequences(*c.args)[1]) == 1 for c in cases)
        assert {c.args[0].dtype for c in cases} == {np.dtype(np.int64), np.dtype(np.int32)}


# ---------------------------------------------------------------- temperature and sampling


def test_temperature_probabilities_worked_example():
    logits = np.array([1.0, 2.0, 3.0])
    e = np.exp(logits / 0.5)
    np.testing.assert_allclose(cr.ref_temperature_probs(logits, 0.5), e / e.sum(), rtol=1e-12)
    np.testing.assert_array_equal(cr.ref_temperature_probs(logits, 0), [0, 0, 1])


def test_temperature_limits():
    logits = np.array([0.3, -1.2, 2.0, 1.9])
    np.testing.assert_allclose(cr.ref_temperature_probs(logits, 1e-4), [0, 0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(cr.ref_temperature_probs(logits, 1e6), np.full(4, 0.25), atol=1e-5)
    entropies = []
    for T in (0.1, 0.5, 1.0, 2.0, 10.0):
        p = cr.ref_temperature_probs(logits, T)
        entropies.append(-np.sum(p * np.log(p)))
    assert np.all(np.diff(entropies) > 0)  # a higher temperature, a flatter distribution


def test_temperature_probabilities_are_stable():
    for offset in (1e4, -1e4):
        logits = offset + np.array([0.0, 1.0, 2.0])
        with np.errstate(all="raise"):
            p = cr.ref_temperature_probs(logits, 0.01 if offset > 0 else 1.0)
        assert np.all(np.isfinite(p)) and math.isclose(p.sum(), 1.0)
    p = cr.ref_temperature_probs(np.array([1e4, 1e4 + 1, 1e4 + 2]), 1.0)
    np.testing.assert_allclose(p, cr.ref_temperature_probs(np.array([0.0, 1.0, 2.0]), 1.0), rtol=1e-12)


def test_reference_sampler_frequencies():
    logits, T = np.array([0.5, -0.3, 1.2, 0.0]), 0.7
    rng = np.random.default_rng(0)
    counts = np.bincount([cr.ref_sample_with_temperature(logits, T, rng) for _ in range(4000)], minlength=4)
    assert cr.kl_statistic(counts, cr.ref_temperature_probs(logits, T)).max() < cr.LIMIT
    assert cr.ref_sample_with_temperature(logits, 0, rng) == 2


def test_kl_statistic_values():
    np.testing.assert_allclose(cr.kl_statistic([25, 75], [0.25, 0.75]), [0.0, 0.0], atol=1e-12)
    q, p, K = 0.4, 0.25, 100
    expected = K * (q * math.log(q / p) + (1 - q) * math.log((1 - q) / (1 - p)))
    np.testing.assert_allclose(cr.kl_statistic([40, 60], [0.25, 0.75])[0], expected, rtol=1e-12)
    assert np.isinf(cr.kl_statistic([1, 99], [0.0, 1.0])).all()  # an impossible character drawn


def test_chernoff_bound_holds_for_binomial_tails():
    """P(K KL(q || p) >= c) <= 2 exp(-c), checked exactly by summing binomial probabilities."""
    c = 6.0  # a small limit, so that the tail is large enough to add up
    for K, p in [(50, 0.3), (200, 0.02), (600, 0.5), (100, 0.9)]:
        k = np.arange(K + 1)
        log_pmf = np.array([math.lgamma(K + 1) - math.lgamma(i + 1) - math.lgamma(K - i + 1) for i in k])
        log_pmf += k * np.log(p) + (K - k) * np.log1p(-p)
        stat = np.array([cr.kl_statistic([i, K - i], [p, 1 - p])[0] for i in k])
        tail = np.exp(log_pmf[stat >= c]).sum()
        assert 0 < tail <= 2 * math.exp(-c)


def frequency_groups(seed):
    """(K, tally) for each frequency group of the cases drawn with ``seed``."""
    groups = {}
    for case in cr.sampling_cases(np.random.default_rng(seed)):
        if case.role == "draw":
            K, tally = groups.get(id(case.tally), (0, case.tally))
            groups[id(case.tally)] = (K + 1, tally)
    return list(groups.values())


@pytest.mark.parametrize("seed", range(0, 200, 20))
def test_sampling_cases_layout(seed):
    cases = cr.sampling_cases(np.random.default_rng(seed))
    roles = [c.role for c in cases]
    assert roles.count("repeat") == 2 * cr.PAIRS and roles.count("exact") == 6
    assert sum(c.closes for c in cases) == 5
    assert any(c.args[1] == 0 and type(c.args[1]) is int for c in cases)
    assert any(c.args[1] == 0 and type(c.args[1]) is float for c in cases)
    assert {c.dtype for c in cases} == {np.dtype(np.float32), np.dtype(np.float64)}
    for case in cases:
        logits, T, rng = case.args
        assert isinstance(rng, np.random.Generator)
        if case.role == "exact":  # every other character has a probability below 1e-30
            assert np.sort(cr.ref_temperature_probs(logits, T))[-2] < 1e-30
        if case.role == "repeat":  # two independent draws agree with probability below 0.45
            assert np.sum(cr.ref_temperature_probs(logits, T) ** 2) < 0.45


def test_frequency_test_accepts_correct_counts_and_rejects_every_mistake():
    """On 150 seeds of cases: multinomial counts from the right distribution pass every group, and for
    every typical mistake some group's expected statistic is at least 8 times the limit, and its
    simulated counts fail."""
    draw = np.random.default_rng(123)
    smallest = {hint: np.inf for hint in cr.SAMPLING_MISTAKES}
    for seed in range(150):
        groups = frequency_groups(seed)
        for K, tally in groups:
            counts = draw.multinomial(K, tally.probs)
            assert cr.kl_statistic(counts, tally.probs).max() <= cr.LIMIT
        for hint, mistake in cr.SAMPLING_MISTAKES.items():
            best_expected, failed = 0.0, False
            for K, tally in groups:
                wrong = mistake(tally.logits, tally.temperature)
                best_expected = max(best_expected, cr.kl_statistic(K * wrong, tally.probs).max())
                failed |= bool(cr.kl_statistic(draw.multinomial(K, wrong), tally.probs).max() > cr.LIMIT)
            smallest[hint] = min(smallest[hint], best_expected)
            assert failed, (hint, seed)
    assert min(smallest.values()) > 8 * cr.LIMIT, smallest


def test_sampling_check_message_names_the_mistake():
    def multiplied(logits, temperature, rng):
        if temperature == 0:
            return int(np.argmax(logits))
        z = np.asarray(logits, np.float64) * temperature
        p = np.exp(z - z.max())
        return int(rng.choice(len(p), p=p / p.sum()))

    verdict = verify("sample_with_temperature", multiplied, seed=11)
    assert not verdict.passed and "multiplied by T" in verdict.message


@pytest.mark.parametrize("seed", [100, 101, 102, 103])
def test_reference_sampler_passes_on_more_seeds(seed):
    assert verify("sample_with_temperature", cr.ref_sample_with_temperature, seed=seed).passed


# ---------------------------------------------------------------- perplexity


def test_perplexity_known_values():
    assert cr.ref_perplexity(0.0) == 1.0
    for V in (2, 27, 98):
        assert math.isclose(cr.ref_perplexity(math.log(V)), V, rel_tol=1e-12)  # uniform over V characters
    assert math.isclose(cr.ref_perplexity(np.array([1.0, 3.0])), math.e ** 2, rel_tol=1e-12)
    assert isinstance(cr.ref_perplexity(np.float32(1.5)), float)


def test_perplexity_is_the_inverse_geometric_mean_of_keras_probabilities():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 2, (64, 11))
    labels = rng.integers(0, 11, 64)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)  # mean, in nats
    p = cr.ref_temperature_probs  # softmax at T = 1, row by row
    probs = np.array([p(row, 1.0)[k] for row, k in zip(logits, labels)])
    inverse_geometric_mean = float(np.prod(probs) ** (-1 / len(probs)))
    assert math.isclose(cr.ref_perplexity(float(loss)), inverse_geometric_mean, rel_tol=1e-5)


# ---------------------------------------------------------------- mistakes


@pytest.mark.parametrize("problem", [p for p in cr.PROBLEMS if p.name != "sample_with_temperature"],
                         ids=lambda p: p.name)
def test_every_mistake_differs_from_the_reference_on_some_case(problem):
    cases = problem.generate(np.random.default_rng(4))
    for hint, mistake in problem.mistakes.items():
        differs = False
        for case in cases:
            try:
                wrong = mistake(*case.args)
            except Exception:
                differs = True
                break
            if problem.compare(wrong, problem.expected(case), case) is not None:
                differs = True
                break
        assert differs, hint
