"""data.text: a deterministic slice of the standard library's source, read offline."""

import socket
import sysconfig
from pathlib import Path

import pytest

from data import text as dt


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("data.text tried to use the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_corpus_is_text_of_the_requested_length(no_network):
    corpus = dt.stdlib_corpus(50_000, seed=0)
    assert isinstance(corpus, str)
    assert len(corpus) == 50_000  # the standard library holds millions of characters
    assert corpus.isascii() and "\n" in corpus
    assert "\r" not in corpus and "\x00" not in corpus
    assert "def " in corpus and "import " in corpus


def test_corpus_is_deterministic(no_network):
    assert dt.stdlib_corpus(30_000, seed=3) == dt.stdlib_corpus(30_000, seed=3)
    assert dt.stdlib_corpus(30_000, seed=3) != dt.stdlib_corpus(30_000, seed=4)


def test_a_shorter_corpus_is_a_prefix_of_a_longer_one():
    long = dt.stdlib_corpus(40_000, seed=1)
    assert dt.stdlib_corpus(12_345, seed=1) == long[:12_345]


@pytest.mark.parametrize("max_chars", [1, 7, 1000])
def test_small_lengths(max_chars):
    assert len(dt.stdlib_corpus(max_chars, seed=2)) == max_chars


@pytest.mark.parametrize("bad", [0, -5])
def test_invalid_length(bad):
    with pytest.raises(ValueError):
        dt.stdlib_corpus(bad)


def test_corpus_comes_from_the_interpreters_standard_library():
    root = Path(sysconfig.get_paths()["stdlib"])
    assert dt.stdlib_root() == root
    files = dt.stdlib_files()
    assert len(files) > 100 and all(p.suffix == ".py" and root in p.parents for p in files)
    parts = {part for p in files for part in p.relative_to(root).parts[:-1]}
    assert not parts & dt.EXCLUDED_DIRS
    corpus = dt.stdlib_corpus(5_000, seed=0, max_file_chars=1_000)
    first = corpus.split(dt.SEPARATOR)[0]
    assert any(p.read_text(encoding="utf-8").strip("\n").startswith(first) for p in files)


def test_files_are_capped_and_the_order_depends_on_the_seed(tmp_path):
    for name, body in [("a.py", "x = 1\n" * 50), ("b.py", "y = 2\n" * 50), ("c.py", "z = 3\n"),
                       ("skip.txt", "not python\n"), ("tests/t.py", "assert False\n"), ("u.py", "é = 1\n")]:
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(body, encoding="utf-8")
    corpus = dt.stdlib_corpus(None, seed=0, max_file_chars=12, root=tmp_path)
    pieces = corpus.split(dt.SEPARATOR)
    assert sorted(pieces) == ["x = 1\nx = 1", "y = 2\ny = 2", "z = 3"]  # no tests/, no .txt, no non-ASCII
    with_unicode = dt.stdlib_corpus(None, seed=0, ascii_only=False, root=tmp_path)
    assert "é = 1" in with_unicode
    orders = {tuple(dt.stdlib_corpus(None, seed=s, max_file_chars=5, root=tmp_path).split(dt.SEPARATOR))
              for s in range(20)}
    assert len(orders) > 1


def test_split_text():
    corpus = dt.stdlib_corpus(20_000, seed=0)
    train, val = dt.split_text(corpus, 0.1)
    assert train + val == corpus
    assert abs(len(val) - 2_000) <= 200
    assert train.endswith("\n")  # the validation part starts on a new line
    with pytest.raises(ValueError):
        dt.split_text(corpus, 1.0)


def test_compact_whitespace_writes_levels_as_tabs_and_single_spaces():
    source = "def f(a,\n      b):\n    x = 1    # one\n        return  x  \n  \n\tz"
    assert dt.compact_whitespace(source) == "def f(a,\n\tb):\n\tx = 1 # one\n\t\treturn x\n\n\tz"
    assert dt.compact_whitespace("        x", indent_width=2, max_step=None) == "\t\t\t\tx"
    with pytest.raises(ValueError):
        dt.compact_whitespace("x", indent_width=0)
    with pytest.raises(ValueError):
        dt.compact_whitespace("x", max_step=0)


def test_compact_whitespace_lets_a_line_go_at_most_one_level_deeper_than_the_last_one():
    source = ("x = f(a,\n                  b)\nif y:\n    z = g(\n\n                c,\n    )\n"
              "            deep\n        back")
    assert dt.compact_whitespace(source) == "x = f(a,\n\tb)\nif y:\n\tz = g(\n\n\t\tc,\n\t)\n\t\tdeep\n\t\tback"
    assert dt.compact_whitespace(source, max_step=2).split("\n")[1] == "\t\tb)"
    assert dt.compact_whitespace(source, max_step=None).split("\n")[1] == "\t\t\t\tb)"
    assert dt.compact_whitespace("        x") == "\tx"  # the first line: at most one level deeper than level 0


def test_compact_whitespace_on_the_corpus_keeps_the_words_and_the_levels():
    corpus = dt.stdlib_corpus(60_000, seed=0)
    compact = dt.compact_whitespace(corpus)
    assert "  " not in compact and " \n" not in compact
    assert compact.split() == corpus.split()  # the same words in the same order
    previous, capped = 0, 0  # the level of the last line that is not blank
    for before, after in zip(corpus.split("\n"), compact.split("\n"), strict=True):
        if not before.strip():
            assert after == ""
            continue
        levels = (len(before) - len(before.lstrip(" "))) // 4
        capped += levels > previous + 1
        previous = min(levels, previous + 1)
        assert len(after) - len(after.lstrip("\t")) == previous
    assert capped > 0, "the corpus has continuation lines aligned far to the right"
    assert dt.compact_whitespace(compact) == compact
