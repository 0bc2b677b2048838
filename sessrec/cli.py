"""The ``sessrec`` command line.

``sessrec data info|fetch|synthetic``, ``sessrec sessions`` and ``sessrec evaluate``. User errors
(a missing or malformed file, a bad option value) print one line to stderr and exit with
status 2, without a traceback. Ctrl-C, SIGTERM and SIGHUP stop a command cleanly (temporary
files removed) with status 130, 143 and 129. Every ``--json`` result names its ``source``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import pandas as pd

__all__ = ["main", "build_parser"]


class UserError(Exception):
    """An error caused by the command's input; printed as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``sessrec: error:`` line (status 2), like the rest."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"sessrec: error: {message} (see `{self.prog} --help`)\n")


def _whole(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum`` (argparse names the option)."""
    kind = "a non-negative" if minimum == 0 else "a positive" if minimum == 1 else f">= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {kind} whole number, not {text!r}")
        return value

    return parse


def _duration(text: str) -> pd.Timedelta:
    """An argparse type for ``--gap``: a non-negative duration such as 30min, 2h or 1d."""
    try:
        value = pd.Timedelta(text)
    except (ValueError, TypeError):
        value = None
    if value is None or pd.isna(value) or value < pd.Timedelta(0):
        raise argparse.ArgumentTypeError(
            f"must be a duration such as 30min, 2h or 1d, not {text!r}"
        )
    return value


def _add_dataset_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", metavar="PATH", help="a copy of Online Retail in any published form")
    p.add_argument(
        "--dataset",
        choices=("auto", "online-retail", "synthetic"),
        default="auto",
        help="which data to use when --source is not given (default: auto)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``sessrec`` command."""
    from .models import MODELS

    parser = _Parser(
        prog="sessrec", description="Session-based recommendation on UCI Online Retail."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="load, download or generate the data")
    dsub = data.add_subparsers(dest="data_command", required=True)
    info = dsub.add_parser("info", help="print the headline figures of the data")
    _add_dataset_args(info)
    fetch = dsub.add_parser("fetch", help="download UCI Online Retail and verify it into the cache")
    fetch.add_argument("--url", default=None, help="download from this mirror instead of UCI")
    syn = dsub.add_parser("synthetic", help="write the synthetic dataset as CSV")
    syn.add_argument("--out", required=True, metavar="FILE", help="destination .csv or .csv.gz")
    syn.add_argument("--seed", type=_whole(0), default=0)
    syn.add_argument("--scale", type=float, default=1.0)

    ses = sub.add_parser("sessions", help="sessionize the data and print length statistics")
    _add_dataset_args(ses)
    ses.add_argument("--by", choices=("customer", "invoice", "gap"), default="customer")
    ses.add_argument("--gap", type=_duration, help="inactivity gap for --by gap (default 30min)")

    ev = sub.add_parser("evaluate", help="evaluate a baseline on the next-event split")
    _add_dataset_args(ev)
    ev.add_argument("--model", choices=sorted(MODELS), required=True)
    ev.add_argument(
        "--k", type=_whole(1), default=10, help="list length (capped at the catalogue size)"
    )
    ev.add_argument("--test-size", default="1000", help="pairs per test set, or 'all'")
    ev.add_argument("--seed", type=_whole(0), default=0)
    ev.add_argument("--by", choices=("customer", "invoice", "gap"), default="customer")
    ev.add_argument("--gap", type=_duration, help="inactivity gap for --by gap (default 30min)")
    return parser


def _load(args: argparse.Namespace) -> pd.DataFrame:
    from .data import load_dataset

    if args.source is not None:  # even "": a named source must work, never fall back
        df = load_dataset("online-retail", source=args.source, verbose=not args.json)
    else:
        df = load_dataset(args.dataset, verbose=not args.json)
    args.data_source = str(df.attrs.get("source", "unknown"))
    return df


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    width = max(map(len, result))
    for key, value in result.items():
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
        if isinstance(value, float):
            shown = f"{value:.6g}"
        print(f"{key:<{width}}  {shown}")


def _cmd_data(args: argparse.Namespace) -> None:
    from .data import fetch_online_retail, make_synthetic_retail, summarize, write_retail_csv
    from .data.download import UCI_URL

    if args.data_command == "info":
        _emit(summarize(_load(args)), args.json)
    elif args.data_command == "fetch":
        path = fetch_online_retail(url=args.url or UCI_URL)
        print(f"verified Online Retail in {path}")
    else:
        df = make_synthetic_retail(seed=args.seed, scale=args.scale)
        path = write_retail_csv(df, args.out)
        print(f"wrote {len(df):,} synthetic rows to {path}")


def _sessions(args: argparse.Namespace):
    from .sessions import preprocess, sessionize

    if args.gap is not None and args.by != "gap":
        raise UserError(f"--gap applies only with --by gap (got --by {args.by})")
    gap = pd.Timedelta("30min") if args.gap is None else args.gap
    return sessionize(preprocess(_load(args)), by=args.by, gap=gap)


def _cmd_sessions(args: argparse.Namespace) -> None:
    result = {"by": args.by, **_sessions(args).describe(), "source": args.data_source}
    _emit(result, args.json)


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from .metrics import evaluate
    from .models import make_model
    from .split import next_event_split

    test_size: int | str = args.test_size if args.test_size == "all" else _int(args.test_size)
    sessions = _sessions(args)
    usable = int((sessions.lengths >= 2).sum())  # shorter sessions are dropped by the split
    needed = 2 if test_size == "all" else 2 * int(test_size)
    if usable < needed:
        advice = (
            f"use --test-size {usable // 2} or less, or --test-size all"
            if usable >= 2
            else "the data is too small for a test and a validation pair"
        )
        raise UserError(
            f"--test-size {args.test_size} needs {needed:,} sessions of 2+ items (test + "
            f"validation) but --by {args.by} gives {usable:,}; {advice}"
        )
    split = next_event_split(sessions, test_size=test_size, seed=args.seed, drop_short=True)
    model = make_model(args.model).fit(split.train)
    k = min(args.k, model.n_items)  # a longer list cannot hold more items: same metrics
    if k < args.k:
        print(
            f"sessrec: --k {args.k} exceeds the {model.n_items:,} items known; using k={k:,}",
            file=sys.stderr,
        )
    scores = evaluate(model, split.test, k=k)
    result = {"model": args.model, "k": k, "n_test": len(split.test), **scores}
    if k < args.k:
        result["k_requested"] = args.k
    result["dropped_short_sessions"] = split.n_dropped
    result["source"] = args.data_source
    _emit(result, args.json)


def _int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UserError(f"--test-size must be a positive whole number or 'all', not {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from ._signals import Terminated, terminate_as_interrupt
    from .data import DataError

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # a usage error (one line, see _Parser) or --help
        return exc.code if isinstance(exc.code, int) else 2
    handlers = {"data": _cmd_data, "sessions": _cmd_sessions, "evaluate": _cmd_evaluate}
    try:
        with terminate_as_interrupt(), warnings.catch_warnings():
            warnings.showwarning = _warning_line
            handlers[args.command](args)
    except (UserError, DataError, ValueError, OSError) as exc:
        print(f"sessrec: error: {exc}", file=sys.stderr)
        return 2
    except Terminated as exc:
        print(f"sessrec: stopped by {exc}", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("sessrec: interrupted", file=sys.stderr)
        return 130
    return 0


def _warning_line(message: Warning | str, category: type[Warning], *_args: object, **_kw: object):
    """Show a warning as one ``sessrec: warning:`` line (no source location)."""
    print(f"sessrec: warning: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
