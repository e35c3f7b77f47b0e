"""The optional IMDB and Reuters loaders, offline: small fixture files in a temporary KERAS_HOME.

Nothing here touches the network: the fixture files are written by the tests, the "online" check
and Keras's downloader are replaced where a test needs them. The loaders must return exactly what
``keras.datasets.*.load_data`` returns for the same file, which is checked by pointing Keras's own
loader at the fixture.
"""

import os

import numpy as np
import pytest

from data import keras_datasets as kd

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def ragged(rng, n, vocabulary, longest):
    """An object array of n lists of word ids, of different lengths (1 .. longest)."""
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [int(w) for w in rng.integers(1, vocabulary, int(rng.integers(1, longest + 1)))]
    return out


def write_imdb(folder, seed=0):
    rng = np.random.default_rng(seed)
    arrays = dict(x_train=ragged(rng, 40, 60, 25), y_train=rng.integers(0, 2, 40),
                  x_test=ragged(rng, 30, 60, 25), y_test=rng.integers(0, 2, 30))
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "imdb.npz", **arrays)
    return arrays


def write_reuters(folder, seed=1):
    rng = np.random.default_rng(seed)
    arrays = dict(x=ragged(rng, 50, 80, 30), y=rng.integers(0, 46, 50))
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "reuters.npz", **arrays)
    return arrays


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty KERAS_HOME; no download can start (the machine looks offline, get_file fails loudly)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(kd, "_online", lambda *a, **k: False)
    monkeypatch.setattr(kd, "FALLBACK_DIR", tmp_path / "no_fallback")  # ignore a real /tmp/.keras
    return tmp_path / "keras_home"


def as_lists(x):
    return [list(map(int, s)) for s in x]


def same_split(a, b):
    (xa, ya), (xb, yb) = a, b
    assert xa.dtype == xb.dtype == object and xa.shape == xb.shape
    assert as_lists(xa) == as_lists(xb)
    np.testing.assert_array_equal(np.asarray(ya), np.asarray(yb))


# ---------------------------------------------------------------- the cache folder


def test_cache_dir_follows_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert kd.keras_cache_dir() == tmp_path / "kh" / "datasets"
    monkeypatch.delenv("KERAS_HOME")
    assert kd.keras_cache_dir().parts[-2:] == (".keras", "datasets")


def test_cache_dir_is_the_one_keras_uses(monkeypatch):
    from keras.src.backend import config  # Keras fixed its folder when it was imported

    if "KERAS_HOME" not in os.environ:
        assert kd.keras_cache_dir() == kd.Path(config.keras_home()) / "datasets"
    else:
        assert str(kd.keras_cache_dir().parent) == os.path.expanduser(config.keras_home())


# ---------------------------------------------------------------- offline paths


def test_not_cached_and_downloads_off_returns_none(keras_home, capsys):
    assert kd.load_imdb(num_words=100) is None
    assert kd.load_reuters() is None
    out = capsys.readouterr().out
    assert "download=True" in out and str(keras_home / "datasets" / "imdb.npz") in out
    assert "reuters.npz" in out and out.count("Skipped.") == 2


def test_not_cached_and_offline_returns_none_without_downloading(keras_home, capsys, monkeypatch):
    import keras

    def no_download(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    assert kd.load_imdb(download=True) is None
    assert "offline" in capsys.readouterr().out


def test_failed_download_returns_none(keras_home, capsys, monkeypatch):
    import keras

    def broken(*args, **kwargs):
        raise OSError("connection reset")

    monkeypatch.setattr(kd, "_online", lambda *a, **k: True)
    monkeypatch.setattr(keras.utils, "get_file", broken)
    assert kd.load_reuters(download=True) is None
    assert "connection reset" in capsys.readouterr().out


def test_download_goes_through_keras_get_file_into_the_cache(keras_home, monkeypatch, tmp_path):
    import keras

    calls = []

    def fake_get_file(fname, origin, file_hash, cache_dir, cache_subdir):
        calls.append((fname, origin, file_hash, cache_dir, cache_subdir))
        write_imdb(tmp_path / "keras_home" / "datasets")
        return str(tmp_path / "keras_home" / "datasets" / fname)

    monkeypatch.setattr(kd, "_online", lambda *a, **k: True)
    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    data = kd.load_imdb(download=True)
    assert data is not None and len(data[0][0]) == 40
    assert calls == [("imdb.npz", kd.IMDB.origin, kd.IMDB.sha256, str(keras_home), "datasets")]
    assert kd.IMDB.origin.endswith("/imdb.npz") and len(kd.IMDB.sha256) == 64


# ---------------------------------------------------------------- cached files, against Keras


def keras_loader(monkeypatch, module_name, path):
    """keras.datasets.<module_name>.load_data, reading ``path`` instead of downloading."""
    import importlib

    module = importlib.import_module(f"keras.src.datasets.{module_name}")
    monkeypatch.setattr(module, "get_file", lambda *args, **kwargs: str(path))
    return module.load_data


IMDB_ARGS = [dict(), dict(num_words=20), dict(maxlen=15, seed=3), dict(num_words=30, skip_top=5, oov_char=None),
             dict(start_char=None, index_from=0), dict(start_char=None, index_from=2, num_words=25)]


@pytest.mark.parametrize("kwargs", IMDB_ARGS, ids=[str(k) for k in IMDB_ARGS])
def test_cached_imdb_equals_keras(keras_home, monkeypatch, kwargs):
    write_imdb(keras_home / "datasets")
    ours = kd.load_imdb(**kwargs)
    theirs = keras_loader(monkeypatch, "imdb", keras_home / "datasets" / "imdb.npz")(**kwargs)
    same_split(ours[0], theirs[0])
    same_split(ours[1], theirs[1])


REUTERS_ARGS = [dict(), dict(num_words=30, test_split=0.3), dict(maxlen=12), dict(skip_top=3, oov_char=None),
                dict(start_char=None, index_from=0)]


@pytest.mark.parametrize("kwargs", REUTERS_ARGS, ids=[str(k) for k in REUTERS_ARGS])
def test_cached_reuters_equals_keras(keras_home, monkeypatch, kwargs):
    write_reuters(keras_home / "datasets")
    ours = kd.load_reuters(**kwargs)
    theirs = keras_loader(monkeypatch, "reuters", keras_home / "datasets" / "reuters.npz")(**kwargs)
    same_split(ours[0], theirs[0])
    same_split(ours[1], theirs[1])


def test_cached_imdb_follows_the_id_conventions(keras_home):
    raw = write_imdb(keras_home / "datasets")
    (x_train, y_train), (x_test, y_test) = kd.load_imdb(num_words=20)
    assert len(x_train) == 40 and len(x_test) == 30
    assert all(s[0] == 1 for s in x_train)  # the start id
    assert all(2 <= w < 20 for s in x_train for w in s[1:])  # real words from 3, others are 2 (oov)
    # a shuffle of the same reviews: the multiset of lengths and of labels is kept
    assert sorted(len(s) - 1 for s in x_train) == sorted(len(s) for s in raw["x_train"])
    assert sorted(y_test.tolist()) == sorted(raw["y_test"].tolist())


def test_maxlen_too_small_is_an_error(keras_home):
    write_imdb(keras_home / "datasets")
    with pytest.raises(ValueError, match="maxlen"):
        kd.load_imdb(maxlen=1)


def test_corrupt_cache_file_is_a_clear_error(keras_home):
    folder = keras_home / "datasets"
    folder.mkdir(parents=True)
    (folder / "reuters.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="delete it"):
        kd.load_reuters()


def test_pickled_code_is_refused(keras_home):
    class Gadget:
        def __reduce__(self):
            return (os.system, ("echo unsafe",))

    folder = keras_home / "datasets"
    arrays = write_reuters(folder)
    hostile = np.empty(1, dtype=object)
    hostile[0] = Gadget()
    np.savez(folder / "reuters.npz", x=hostile, y=arrays["y"][:1])
    with pytest.raises(ValueError, match="refusing to load"):
        kd.load_reuters()
