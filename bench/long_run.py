"""Sprint 08's optional long run, measured: the solution notebook executed top to bottom with
``LONG_RUN = True``, as a student who sets the flag would run it. Prints the training time, the best and
last epoch, the best validation perplexity and bits per character (target: perplexity below 5 in about
4 minutes of training), the longest runs of whitespace per temperature, and the sample at T = 0.5.

    python bench/long_run.py [--save executed.ipynb]        (or: make bench-long-run)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.grading import worker_env  # noqa: E402
from grader.paths import source_notebook  # noqa: E402

SPRINT = "08_char_rnn"
FLAG_OFF = "LONG_RUN = False"
TARGET_PERPLEXITY = 5.0

FIGURES = {  # what the notebook prints, read back
    "trained": re.compile(r"trained in (\d+) s"),
    "epochs": re.compile(r"best epoch: (\d+), last epoch: (\d+)"),
    "best": re.compile(r"best validation loss: ([\d.]+) nats = ([\d.]+) bits per character, perplexity ([\d.]+)"),
}
RUNS = re.compile(r"^T = [\d.]+: longest run of spaces .*$", re.MULTILINE)


def with_long_run(nb):
    """The notebook with the flag of its first code cell switched on (exactly one line changes)."""
    first = next(c for c in nb.cells if c.cell_type == "code")
    if first.source.count(FLAG_OFF) != 1:
        raise SystemExit(f"the first code cell of {SPRINT} should set {FLAG_OFF!r} exactly once")
    first.source = first.source.replace(FLAG_OFF, "LONG_RUN = True")
    return nb


def printed(nb) -> str:
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "stream")


def sample_at(text: str, temperature: str) -> str:
    """The sample printed under the banner of one temperature in the samples cell."""
    found = re.search(rf"=+ T = {re.escape(temperature)} =+\n(.*?)(?:\n=+ T = |\Z)", text, re.DOTALL)
    return found.group(1).strip("\n") if found else "(not printed)"


def main() -> int:
    import nbformat
    from nbclient import NotebookClient

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save", type=Path, help="write the executed notebook here")
    args = parser.parse_args()
    os.environ.update(worker_env())
    nb = with_long_run(nbformat.read(str(source_notebook(SPRINT)), as_version=4))
    print(f"Executing {SPRINT} with LONG_RUN = True on {os.cpu_count()} cores ...", flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as cwd:
        NotebookClient(nb, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": cwd}}).execute(env=worker_env(), stderr=subprocess.DEVNULL)
    whole = time.perf_counter() - start
    if args.save:
        nbformat.write(nb, str(args.save))
    text = printed(nb)
    found = {name: pattern.search(text) for name, pattern in FIGURES.items()}
    missing = [name for name, match in found.items() if match is None]
    if missing:
        print(f"the notebook did not print: {', '.join(missing)}", file=sys.stderr)
        return 1
    nats, bits, ppl = (float(v) for v in found["best"].groups())
    best_epoch, last_epoch = found["epochs"].groups()
    verdict = "below" if ppl < TARGET_PERPLEXITY else "NOT below"
    print(f"\nwhole notebook: {whole:.0f} s; training: {found['trained'].group(1)} s")
    print(f"best epoch {best_epoch}, last epoch {last_epoch}")
    print(f"best validation loss {nats:.3f} nats = {bits:.3f} bits per character, "
          f"perplexity {ppl:.2f} ({verdict} the target {TARGET_PERPLEXITY:g})")
    print("whitespace runs in five samples of 400 characters:")
    for line in RUNS.findall(text):
        print(f"  {line}")
    print("\nsample at T = 0.5:\n" + sample_at(text, "0.5"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
