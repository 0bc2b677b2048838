"""The ``sessrec`` command line.

``sessrec data info|fetch|synthetic``, ``sessrec sessions`` and ``sessrec evaluate``. User errors
(a missing or malformed file, a bad option value) print one line to stderr and exit with
status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["main", "build_parser"]


class UserError(Exception):
    """An error caused by the command's input; printed as one line."""


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

    parser = argparse.ArgumentParser(
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
    syn.add_argument("--seed", type=int, default=0)
    syn.add_argument("--scale", type=float, default=1.0)

    ses = sub.add_parser("sessions", help="sessionize the data and print length statistics")
    _add_dataset_args(ses)
    ses.add_argument("--by", choices=("customer", "invoice", "gap"), default="customer")
    ses.add_argument("--gap", default="30min", help="inactivity gap for --by gap (default 30min)")

    ev = sub.add_parser("evaluate", help="evaluate a baseline on the next-event split")
    _add_dataset_args(ev)
    ev.add_argument("--model", choices=sorted(MODELS), required=True)
    ev.add_argument("--k", type=int, default=10)
    ev.add_argument("--test-size", default="1000", help="pairs per test set, or 'all'")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--by", choices=("customer", "invoice", "gap"), default="customer")
    ev.add_argument("--gap", default="30min")
    return parser


def _load(args: argparse.Namespace) -> pd.DataFrame:
    from .data import load_dataset

    if args.source:
        return load_dataset("online-retail", source=args.source, verbose=not args.json)
    return load_dataset(args.dataset, verbose=not args.json)


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

    return sessionize(preprocess(_load(args)), by=args.by, gap=pd.Timedelta(args.gap))


def _cmd_sessions(args: argparse.Namespace) -> None:
    result = {"by": args.by, **_sessions(args).describe()}
    _emit(result, args.json)


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from .metrics import evaluate
    from .models import make_model
    from .split import next_event_split

    test_size: int | str = args.test_size if args.test_size == "all" else _int(args.test_size)
    split = next_event_split(_sessions(args), test_size=test_size, seed=args.seed)
    model = make_model(args.model).fit(split.train)
    scores = evaluate(model, split.test, k=args.k)
    result = {"model": args.model, "k": args.k, "n_test": len(split.test), **scores}
    _emit(result, args.json)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UserError(f"--test-size must be a whole number or 'all', not {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from .data import DataError

    args = build_parser().parse_args(argv)
    handlers = {"data": _cmd_data, "sessions": _cmd_sessions, "evaluate": _cmd_evaluate}
    try:
        handlers[args.command](args)
    except (UserError, DataError, ValueError, OSError) as exc:
        print(f"sessrec: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sessrec: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
