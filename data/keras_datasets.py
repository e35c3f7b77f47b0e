"""Optional real data: the IMDB reviews and Reuters newswires of ``keras.datasets``, offline first.

The course runs without internet, so these loaders are extensions. Each one looks for the file that
``keras.datasets`` caches (``imdb.npz`` or ``reuters.npz`` in ``$KERAS_HOME/datasets``, by default
``~/.keras/datasets``) and reads it there. Only when the file is missing *and* the caller passes
``download=True`` does it fetch the file, through ``keras.utils.get_file`` with the same address and
checksum as ``keras.datasets``, into the same cache. Without the file and without a connection the
loader prints why and returns None, so a notebook can skip the cells that need the data.

The arrays are the ones ``keras.datasets.imdb.load_data`` and ``keras.datasets.reuters.load_data``
return for the same arguments (same file, same shuffling and word-index conventions: 0 padding,
1 start, 2 out of vocabulary, real words from 3); ``tests/test_data_keras_datasets.py`` checks that
against Keras itself. The ragged sequences in these files are numpy object arrays, which numpy can
only store as pickles: they are read with an unpickler that accepts numpy arrays and nothing else.
"""

from __future__ import annotations

import io
import os
import pickle
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["IMDB", "REUTERS", "cached_file", "keras_cache_dir", "load_imdb", "load_reuters"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class DatasetFile:
    """A file of keras.datasets: its name in the cache, where it comes from and its SHA-256."""

    title: str
    fname: str
    sha256: str

    @property
    def origin(self) -> str:
        return ORIGIN + self.fname


IMDB = DatasetFile("IMDB movie reviews", "imdb.npz",
                   "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f")
REUTERS = DatasetFile("Reuters newswires", "reuters.npz",
                      "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916")


# ---------------------------------------------------------------- the cache


def keras_cache_dir() -> Path:
    """The folder where keras.datasets keeps its files: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``.

    Like Keras, it falls back to ``/tmp/.keras`` when the home folder is not writable. The variable is
    read at every call, so a test (or a user) can point it elsewhere after Keras was imported.
    """
    home = os.environ.get("KERAS_HOME")
    if home is None:
        base = os.path.expanduser("~")
        if not os.access(base, os.W_OK):
            base = "/tmp"
        home = os.path.join(base, ".keras")
    return Path(os.path.expanduser(home)) / "datasets"


FALLBACK_DIR = Path("/tmp/.keras/datasets")  # where Keras downloads when the cache folder is read-only


def cached_file(spec: DatasetFile) -> Path | None:
    """The cached file of ``spec`` if it is there (in the cache folder or in Keras's fallback folder)."""
    for folder in (keras_cache_dir(), FALLBACK_DIR):
        if (folder / spec.fname).is_file():
            return folder / spec.fname
    return None


def _online(host: str = "storage.googleapis.com", timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _locate(spec: DatasetFile, download: bool) -> Path | None:
    """The path of the cached file, downloading it first when allowed; None (with a message) if neither."""
    path = cached_file(spec)
    if path is not None:
        return path
    where = keras_cache_dir() / spec.fname
    if not download:
        print(f"{spec.title}: {where} is not there and downloads are off. Pass download=True on a machine "
              f"with internet access (about 15-20 MB from {spec.origin}), or copy the file there. Skipped.")
        return None
    if not _online():
        print(f"{spec.title}: {where} is not there and this machine is offline "
              f"({spec.origin} cannot be reached). Skipped.")
        return None
    import keras

    try:
        fetched = keras.utils.get_file(fname=spec.fname, origin=spec.origin, file_hash=spec.sha256,
                                       cache_dir=str(keras_cache_dir().parent), cache_subdir="datasets")
    except Exception as exc:  # network errors come in many types; all of them mean "not now"
        print(f"{spec.title}: the download from {spec.origin} failed ({type(exc).__name__}: {exc}). Skipped.")
        return None
    return Path(fetched)


# ---------------------------------------------------------------- reading the files


class _ArraysOnly(pickle.Unpickler):
    """Rebuilds numpy arrays and refuses every other global a pickle could ask for."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"),
               ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")


def _read_member(stream: io.BytesIO) -> np.ndarray:
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        _, _, dtype = np.lib.format.read_array_header_1_0(stream)
    else:  # versions 2.0 and 3.0 share the header layout
        _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:  # the rest of the stream is a pickled array
        return _ArraysOnly(stream).load()
    stream.seek(0)
    return np.lib.format.read_array(stream, allow_pickle=False)


def read_npz(path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, object arrays included, without unpickling anything else."""
    try:
        with zipfile.ZipFile(path) as archive:
            return {member[:-4]: _read_member(io.BytesIO(archive.read(member)))
                    for member in archive.namelist() if member.endswith(".npy")}
    except (zipfile.BadZipFile, ValueError, pickle.UnpicklingError, EOFError) as exc:
        raise ValueError(f"{path} is not a readable .npz file ({exc}); delete it and load again.") from exc


# ---------------------------------------------------------------- the word-index conventions


def _shuffled(rng: np.random.RandomState, *arrays):
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return tuple(a[order] for a in arrays)


def _offset(sequences, start_char, index_from):
    """Shift word ids by ``index_from`` and put ``start_char`` in front (when it is not None)."""
    head = [] if start_char is None else [start_char]
    if start_char is None and not index_from:
        return [list(x) for x in sequences]
    return [head + [w + index_from for w in x] for x in sequences]


def _shorter_than(maxlen, sequences, labels):
    kept = [(x, y) for x, y in zip(sequences, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def _limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Words outside ``skip_top <= id < num_words`` become ``oov_char``, or are dropped if it is None."""
    if not num_words:
        num_words = max(max(x) for x in sequences)  # as in Keras: the largest id itself is then left out
    if oov_char is None:
        return [[w for w in x if skip_top <= w < num_words] for x in sequences]
    return [[w if skip_top <= w < num_words else oov_char for w in x] for x in sequences]


# ---------------------------------------------------------------- the loaders


def load_imdb(num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3, *,
              download=False):
    """The IMDB sentiment data (25,000 training and 25,000 test reviews), or None when unavailable.

    Arguments (the same as ``keras.datasets.imdb.load_data``):
        num_words  -- keep the ``num_words`` most frequent words (ids below it), others become oov_char
        skip_top   -- also replace the ``skip_top`` most frequent ids by oov_char
        maxlen     -- keep only reviews shorter than ``maxlen`` ids (after the start id is added)
        seed       -- seed of the shuffling of each split
        start_char, oov_char, index_from -- the id conventions (1, 2 and 3 by default)
        download   -- fetch the file from the internet when it is not in the Keras cache

    Returns:
        ((x_train, y_train), (x_test, y_test)): x arrays of lists of word ids (dtype object), y arrays
        of 0/1 labels (1 = positive review); None when the file is neither cached nor downloadable.
    """
    path = _locate(IMDB, download)
    if path is None:
        return None
    arrays = read_npz(path)
    rng = np.random.RandomState(seed)
    x_train, y_train = _shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = _shuffled(rng, arrays["x_test"], arrays["y_test"])
    x_train, x_test = _offset(x_train, start_char, index_from), _offset(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = _shorter_than(maxlen, x_train, y_train)
        x_test, y_test = _shorter_than(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"no review is shorter than maxlen={maxlen}; increase maxlen.")
    n_train = len(x_train)
    words = _limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    return ((np.array(words[:n_train], dtype="object"), labels[:n_train]),
            (np.array(words[n_train:], dtype="object"), labels[n_train:]))


def load_reuters(num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1, oov_char=2,
                 index_from=3, *, download=False):
    """The Reuters topic data (11,228 newswires, 46 topics), or None when unavailable.

    Arguments (the same as ``keras.datasets.reuters.load_data``): as for ``load_imdb``, plus
        test_split -- the fraction of the shuffled newswires kept for testing (the last ones)

    Returns:
        ((x_train, y_train), (x_test, y_test)): x arrays of lists of word ids (dtype object), y arrays
        of topic ids 0..45; None when the file is neither cached nor downloadable.
    """
    path = _locate(REUTERS, download)
    if path is None:
        return None
    arrays = read_npz(path)
    xs, labels = _shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    xs = _offset(xs, start_char, index_from) if (start_char is not None or index_from) else xs
    if maxlen:
        xs, labels = _shorter_than(maxlen, xs, labels)
    xs = _limit_vocabulary(xs, num_words, skip_top, oov_char)
    n_train = int(len(xs) * (1 - test_split))
    return ((np.array(xs[:n_train], dtype="object"), np.array(labels[:n_train])),
            (np.array(xs[n_train:], dtype="object"), np.array(labels[n_train:])))
