"""Command line: ``python -m grader {release,grade,export,check,demo,lint}``.

A thin layer: each command parses its arguments, calls one plain function and prints the result.
Exit codes: 0 when the work was done (a broken submission is graded 0, not a failure), 1 when a
self-check found failing problems, 2 when the grader itself could not do its job.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .paths import SAMPLE_CLASS, WORKSPACE


def cmd_release(args) -> int:
    from .release import release

    for path in release(args.assignment or None):
        print(f"wrote {path}")
    return 0


def cmd_lint(args) -> int:
    from .lint import lint_source
    from .paths import assignment_ids, source_notebook

    errors = [e for a in (args.assignment or assignment_ids()) for e in lint_source(source_notebook(a))]
    print("\n".join(errors) if errors else "The source notebooks are clean.")
    return 2 if errors else 0


def grade_and_report(submissions: Path, out: Path, args) -> int:
    from .grading import grade_class
    from .reports import summary_table
    from .sandbox import SandboxUnavailable

    limits = {"cpus": args.cpus_per_notebook} if args.cpus_per_notebook is not None else None
    try:
        results = grade_class(submissions, out, jobs=args.jobs, unsafe=args.unsafe, limits=limits,
                              scheduler=args.scheduler)
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not results:
        print(f"No submissions found in {submissions}.", file=sys.stderr)
        return 2
    print(summary_table(results))
    print(f"\nWrote {out / 'grades.csv'}, {out / 'problems.csv'} and {out / 'feedback'}/")
    print_outputs(out)
    return 0


def print_outputs(out: Path) -> None:
    from .exports import EXPORTS

    print("LMS exports: " + ", ".join(str(out / name) for name in EXPORTS))
    print(f"Class report: {out / 'report.html'}")


def cmd_export(args) -> int:
    from .class_report import write_class_report
    from .exports import ExportError, ExportSettings, write_exports

    out = Path(args.out)
    settings = ExportSettings.load(out)
    if args.roster is not None:
        settings.roster = str(Path(args.roster).resolve()) if args.roster else None
    if args.late_policy is not None:
        settings.late_policy = args.late_policy
    for item in args.due or []:
        assignment, sep, when = item.partition("=")
        if not sep:
            print(f"error: --due {item!r}: use ASSIGNMENT=DATE, e.g. 01_rnn_forward=2026-11-20T23:59Z",
                  file=sys.stderr)
            return 2
        settings.due[assignment] = when
    try:
        warnings = write_exports(out, settings)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings.save(out)  # the next grade run exports the same way
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    write_class_report(out)
    print_outputs(out)
    return 0


def cmd_grade(args) -> int:
    return grade_and_report(Path(args.submissions), Path(args.out), args)


def cmd_demo(args) -> int:
    print(f"Grading the sample class in {SAMPLE_CLASS} into {args.out}", file=sys.stderr)
    return grade_and_report(SAMPLE_CLASS, Path(args.out), args)


def cmd_check(args) -> int:
    from .selfcheck import as_json, format_verdicts, self_check

    path = Path(args.notebook)
    if not path.is_file():
        print(f"error: {path} is not a file", file=sys.stderr)
        return 2
    verdicts = self_check(path)
    print(as_json(path, verdicts) if args.json else format_verdicts(path, verdicts))
    return 0 if all(v.passed for v in verdicts) else 1


def positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value
    return parse


def grading_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=positive(int), default=None,
                   help="notebooks graded at once on this machine, of any assignment (default: cores)")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786", default=None,
                   help="grade on the workers of this running Dask cluster instead (see the README)")
    p.add_argument("--cpus-per-notebook", type=positive(float), default=None, metavar="CORES",
                   help="CPU share of each notebook's processes together, with a control group (default: 1)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m grader", description="Release, grade and check the RNN course.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="regenerate notebooks/ from solutions/ with nbgrader")
    r.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    r.set_defaults(func=cmd_release)

    lint = sub.add_parser("lint", help="check the source notebooks' markers, points and outputs")
    lint.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    lint.set_defaults(func=cmd_lint)

    g = sub.add_parser("grade", help="autograde a class of submissions")
    g.add_argument("submissions", help="folder (or .zip) of <student_id>/<assignment_id>/<notebook>.ipynb")
    g.add_argument("--out", required=True, help="output folder for grades.csv, problems.csv, feedback/")
    grading_options(g)
    g.add_argument("--unsafe", action="store_true",
                   help="grade without a sandbox when bubblewrap is missing (student code runs with your rights)")
    g.set_defaults(func=cmd_grade)

    e = sub.add_parser("export", help="re-export an already graded OUT for Canvas and Moodle, without grading")
    e.add_argument("out", help="an output folder of `grade` (holds grades.csv)")
    e.add_argument("--roster", default=None,
                   help="CSV: student_id and any of name, email, login, lms_id, sis_id, section ('' to drop it)")
    e.add_argument("--late-policy", default=None,
                   help="none (default), zero, or subtract:P (P points per started hour late)")
    e.add_argument("--due", action="append", metavar="ASSIGNMENT=DATE",
                   help="due date of an assignment (ISO 8601, UTC when no zone); repeat per assignment")
    e.set_defaults(func=cmd_export)

    c = sub.add_parser("check", help="self-check one notebook against the hidden checks")
    c.add_argument("notebook")
    c.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    c.set_defaults(func=cmd_check)

    d = sub.add_parser("demo", help="grade the bundled sample class and print the summary")
    d.add_argument("--out", default=str(WORKSPACE / "demo"), help="output folder (default: workspace/demo)")
    grading_options(d)
    d.add_argument("--unsafe", action="store_true", help="grade without a sandbox (see grade --help)")
    d.set_defaults(func=cmd_demo)
    return p


def stop_cleanly_on_signals() -> None:
    """SIGTERM, SIGINT or SIGHUP: stop the workers (each removes its sandbox), then leave.

    What was graded is kept (each result is stored at once); the same command grades the rest.
    """
    def stop(signum, frame):
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            signal.signal(getattr(signal, name), signal.SIG_IGN)  # once is enough
        from .scheduling.worker import stop_workers

        stop_workers()
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        signal.signal(getattr(signal, name), stop)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command in ("grade", "demo"):
        from .nbgrader_startup import skip_iri_grammars

        skip_iri_grammars()
        stop_cleanly_on_signals()
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted: what was graded is kept; run the same command again to grade the rest",
              file=sys.stderr)
        return 130
    except Exception as exc:  # the grader itself failed: say what, exit non-zero
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
