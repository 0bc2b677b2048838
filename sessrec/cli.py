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
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

__all__ = ["main", "build_parser"]


class UserError(Exception):
    """An error caused by the command's input; printed as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``sessrec: error:`` line (status 2), like the rest."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"sessrec: error: {message} (see `{self.prog} --help`)\n")


#: ``sessrec leaderboard --quick``: fewer queries, one seed, short word2vec trainings.
_QUICK: dict[str, Any] = {
    "test_size": 300,
    "seeds": {"customer": (0,)},
    "max_epochs": 5,
    "cuts": 1,
}


def _factor(text: str) -> float:
    """An argparse type: a number > 1 (kept whole when it is: 16, not 16.0, in the manifest)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 1 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 1, not {text!r}")
    return int(value) if value.is_integer() else value


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
    parser = _Parser(
        prog="sessrec", description="Session-based recommendation on UCI Online Retail."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_data_command,
        _add_sessions_command,
        _add_evaluate_command,
        _add_train_command,
        _add_train_runs_command,
        _add_sweep_command,
        _add_sweep_report_command,
        _add_leaderboard_command,
        _add_recommend_command,
    ):
        add(sub)
    return parser


def _add_data_command(sub: Any) -> None:
    """The ``data`` command's options."""
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


def _add_sessions_command(sub: Any) -> None:
    """The ``sessions`` command's options."""
    ses = sub.add_parser("sessions", help="sessionize the data and print length statistics")
    _add_dataset_args(ses)
    ses.add_argument("--by", choices=("customer", "invoice", "gap"), default="customer")
    ses.add_argument("--gap", type=_duration, help="inactivity gap for --by gap (default 30min)")


def _add_evaluate_command(sub: Any) -> None:
    """The ``evaluate`` command's options."""
    from .models import MODELS, OPTIONAL_MODELS

    ev = sub.add_parser("evaluate", help="evaluate a model on a split of the data")
    _add_dataset_args(ev)
    ev.add_argument("--model", choices=sorted({*MODELS, *OPTIONAL_MODELS}), required=True)
    _add_param_arg(ev)
    _add_split_args(ev)
    ev.add_argument(
        "--protocol",
        choices=("last", "prefix", "temporal"),
        default="last",
        help="last: the original's next-event split (default); prefix: held-out sessions; "
        "temporal: train before --cut, test the --horizon after it",
    )
    ev.add_argument("--cut", default=None, help="temporal: start of the test period (a date)")
    ev.add_argument("--horizon", type=_duration, default=None, help="temporal: default 30D")
    ev.add_argument(
        "--sampled",
        type=_whole(1),
        default=None,
        metavar="N",
        help="also rank the truth among N random items (the sampled metrics of many papers)",
    )


def _add_train_command(sub: Any) -> None:
    """The ``train`` command's options."""
    tr = sub.add_parser(
        "train", help="train word2vec with per-epoch validation, save it, print test metrics"
    )
    _add_dataset_args(tr)
    _add_param_arg(tr)
    _add_split_args(tr)
    tr.add_argument("--out", metavar="DIR", default="word2vec-model", help="model folder")
    tr.add_argument("--patience", type=_whole(1), default=None, help="early stopping patience")


def _add_train_runs_command(sub: Any) -> None:
    """The ``train-runs`` command's options."""
    runs = sub.add_parser(
        "train-runs", help="train one word2vec configuration on several split seeds (results)"
    )
    _add_dataset_args(runs)
    runs.add_argument("name", help="run-set name, e.g. default or report-best")
    _add_param_arg(runs)
    runs.add_argument("--split-seeds", type=_whole(0), nargs="+", default=[0, 1, 2, 3, 4])
    runs.add_argument("--test-size", type=_whole(1), default=1000)
    runs.add_argument("--k", type=_whole(1), default=10)
    _add_tuning_arg(runs)
    _add_sessionization_args(runs)
    runs.add_argument(
        "--out", metavar="DIR", default=None, help="results folder (default: in the cache)"
    )


def _add_sweep_command(sub: Any) -> None:
    """The ``sweep`` command's options."""
    sw = sub.add_parser("sweep", help="sweep word2vec hyperparameters on Ray Tune (resumable)")
    _add_dataset_args(sw)
    sw.add_argument("--space", default="quick", help="report, seed, quick (default quick)")
    sw.add_argument("--samples", type=_whole(1), default=None, help="random sample of N configs")
    sw.add_argument("--max-epochs", type=_whole(1), default=100)
    sw.add_argument("--num-cpus", type=_whole(1), default=None, help="CPUs of the local Ray")
    sw.add_argument("--cpus-per-trial", type=_whole(1), default=1)
    sw.add_argument("--address", default=None, help="join this Ray cluster (or RAY_ADDRESS)")
    sw.add_argument("--name", default=None, help="sweep name (default: the space's name)")
    sw.add_argument(
        "--storage",
        default=None,
        help="Ray state folder (default: the cache); Ray loads pickled code from it when a "
        "sweep resumes: trust it like code",
    )
    sw.add_argument(
        "--trust-state",
        action="store_true",
        help="resume even if Ray's state files differ from those the sweep wrote",
    )
    sw.add_argument(
        "--out", default=None, help="results folder (default: the cache's results/sweeps/NAME)"
    )
    sw.add_argument(
        "--scheduler",
        choices=("asha", "sha", "none"),
        default="asha",
        help="asha (asynchronous successive halving, default), sha (synchronous: every "
        "configuration finishes a rung before the best go on) or none (every trial runs "
        "--max-epochs)",
    )
    sw.add_argument("--no-asha", action="store_true", help="same as --scheduler none")
    sw.add_argument("--grace-period", type=_whole(1), default=1, help="first rung (epochs)")
    sw.add_argument(
        "--reduction-factor",
        type=_factor,
        default=3,
        help="factor between rungs; 1/FACTOR of the configurations go on (default 3)",
    )
    _add_split_args(sw, k=False)


def _add_sweep_report_command(sub: Any) -> None:
    """The ``sweep-report`` command's options."""
    srep = sub.add_parser("sweep-report", help="figures and a markdown summary of a sweep")
    srep.add_argument("results_dir", metavar="RESULTS_DIR", help="a folder of `sessrec sweep`")
    srep.add_argument("--out", metavar="DIR", default=None, help="default RESULTS_DIR/report")
    srep.add_argument("--top", type=_whole(1), default=5, help="best trials to list and draw")


def _add_leaderboard_command(sub: Any) -> None:
    """The ``leaderboard`` command's options."""
    lb = sub.add_parser(
        "leaderboard",
        help="every model on three sessionizations and both protocols (resumable results)",
    )
    _add_dataset_args(lb)
    lb.add_argument(
        "--quick",
        action="store_true",
        help=f"{_QUICK['test_size']} queries, one seed and one temporal period, at most "
        f"{_QUICK['max_epochs']} word2vec epochs",
    )
    lb.add_argument(
        "--out", metavar="DIR", default=None, help="results folder (default: in the cache)"
    )
    lb.add_argument("--models", nargs="+", metavar="KEY", default=None, help="a subset of rows")
    _add_tuning_arg(lb)
    lb.add_argument(
        "--runs",
        metavar="DIR",
        default=None,
        help="a folder of `sessrec train-runs` run sets whose matching cells are reused",
    )
    lb.add_argument(
        "--tuned-from",
        metavar="SWEEP_DIR",
        default=None,
        help="add a tuned word2vec row: the best configuration of this exported sweep",
    )
    lb.add_argument(
        "--jobs",
        type=_whole(1),
        default=1,
        help="processes computing cells at once (default 1; at most one per core)",
    )
    lb.add_argument(
        "--sessionizations",
        nargs="+",
        choices=("customer", "invoice", "gap"),
        default=["customer", "invoice", "gap"],
    )
    lb.add_argument(
        "--protocols",
        nargs="+",
        choices=("last", "prefix", "temporal"),
        default=["last", "prefix", "temporal"],
    )


def _add_recommend_command(sub: Any) -> None:
    """The ``recommend`` command's options."""
    rec = sub.add_parser("recommend", help="neighbours of a product, or of a basket of products")
    _add_dataset_args(rec)
    rec.add_argument("items", nargs="+", metavar="ITEM", help="StockCode(s); several = a basket")
    rec.add_argument("--k", type=_whole(1), default=10)
    rec.add_argument(
        "--model", metavar="DIR", default=None, help="a folder saved by `sessrec train`"
    )


def _tuning_seed(text: str) -> int | None:
    """An argparse type for ``--tuning-seed``: a whole number >= 0, or ``none``."""
    return None if text == "none" else _whole(0)(text)


def _add_tuning_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tuning-seed",
        type=_tuning_seed,
        default=0,
        help="the tuning set (the validation sessions of the split with this seed, where a "
        "sweep selects) is kept out of every test set (default 0; 'none': the original's "
        "split, whose seeds' test and validation pairs overlap)",
    )


def _add_param_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model hyperparameter, e.g. --param window=13 (repeatable)",
    )


def _add_split_args(p: argparse.ArgumentParser, k: bool = True) -> None:
    if k:
        p.add_argument(
            "--k", type=_whole(1), default=10, help="list length (capped at the catalogue size)"
        )
    p.add_argument("--test-size", default="1000", help="pairs per test set, or 'all'")
    p.add_argument("--seed", type=_whole(0), default=0, help="split seed")
    _add_sessionization_args(p)


def _add_sessionization_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", choices=("customer", "invoice", "gap"), default="customer")
    p.add_argument("--gap", type=_duration, help="inactivity gap for --by gap (default 30min)")


def _params(pairs: Sequence[str]) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings; values are ints, floats, ``none`` (None: a parameter
    switched off, e.g. ``lambda_snh=none``) or text."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise UserError(f"--param must look like KEY=VALUE (e.g. window=13), not {pair!r}")
        if key in out:
            raise UserError(f"--param {key} given twice")
        value: Any = text.strip()
        if value.lower() == "none":
            out[key] = None
            continue
        for convert in (int, float):
            try:
                value = convert(value)
                break
            except ValueError:
                continue
        out[key] = value
    return out


def _load(args: argparse.Namespace) -> pd.DataFrame:
    from .data import load_dataset
    from .store import data_identity

    if args.source is not None:  # even "": a named source must work, never fall back
        df = load_dataset("online-retail", source=args.source, verbose=not args.json)
    else:
        df = load_dataset(args.dataset, verbose=not args.json)
    args.data_source = str(df.attrs.get("source", "unknown"))
    args.data_identity = data_identity(df)  # a file name and its SHA-256, never a path
    return df


def _default_out(kind: str) -> Path:
    """Where a long command writes when ``--out`` is not given: the cache, never the clone."""
    from .data.download import cache_dir

    return cache_dir() / "results" / kind


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

    model = make_model(args.model, **_params(args.param))  # bad parameters fail before loading
    split = _protocol_split(args)
    model.fit(split.train)
    k = _cap_k(args.k, model.n_items)
    scores = evaluate(model, split.test, k=k)
    result = {"model": args.model, "protocol": args.protocol, "k": k, "n_test": len(split.test)}
    result |= scores
    if k < args.k:
        result["k_requested"] = args.k
    if args.sampled is not None:
        from .metrics import sampled_ranks, scores_from_ranks

        ranks = sampled_ranks(model, split.test, min(args.sampled, model.n_items - 1))
        ranks = np.where(ranks <= k, ranks, 0)  # a rank beyond k is a miss at k
        for name, values in scores_from_ranks(ranks).items():
            result[f"{name}_sampled_{args.sampled}"] = float(values.mean())
    if hasattr(split, "n_unseen"):
        result["truths_unseen_in_training"] = split.n_unseen
    result["dropped_short_sessions"] = getattr(split, "n_dropped", 0)
    result["source"] = args.data_source
    _emit(result, args.json)


def _protocol_split(args: argparse.Namespace):
    """The split of ``--protocol``: next-event, held-out sessions or temporal."""
    from .split import held_out_split, temporal_split

    if args.protocol == "last":
        return _split(args)
    sessions = _sessions(args)
    if args.protocol == "prefix":
        size = len(sessions) // 4 if args.test_size == "all" else _int(args.test_size)
        return held_out_split(sessions, size, 0, seed=args.seed, drop_short=True)
    if args.cut is None:
        raise UserError("--protocol temporal needs --cut DATE (the start of the test period)")
    try:
        cut = pd.Timestamp(args.cut)
    except ValueError:
        raise UserError(f"--cut must be a date such as 2011-11-01, not {args.cut!r}") from None
    return temporal_split(sessions, cut, args.horizon or "30D")


def _split(args: argparse.Namespace):
    """The next-event split of the command's data; sessions too short are dropped (counted)."""
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
    return next_event_split(sessions, test_size=test_size, seed=args.seed, drop_short=True)


def _cap_k(k: int, n_items: int) -> int:
    """``k`` capped at the catalogue size (a longer list cannot hold more items)."""
    if k > n_items:
        print(
            f"sessrec: --k {k} exceeds the {n_items:,} items known; using k={n_items:,}",
            file=sys.stderr,
        )
    return min(k, n_items)


def _cmd_train(args: argparse.Namespace) -> None:
    from .metrics import evaluate
    from .models import make_model
    from .word2vec import Item2Vec

    model = make_model("word2vec", **_params(args.param))
    out = Item2Vec.check_save_folder(_named(args.out, "--out"))  # before training, not after
    if (out / "item2vec.json").is_file():
        print(f"sessrec: the model saved in {out} will be replaced", file=sys.stderr)
    split = _split(args)

    def report(row: dict[str, Any]) -> None:
        if not args.json:
            metrics = "  ".join(f"{k} {v:.4f}" for k, v in row.items() if "@" in k)
            print(f"epoch {row['epoch']:>3}  {metrics}  loss {row['loss']:.4g}", flush=True)

    from .training import EarlyStopping, Progress, Report

    k = _cap_k(args.k, split.train.compact().n_items)
    callbacks = [Report(report)] + ([Progress()] if args.json and Progress.wanted() else [])
    if args.patience is not None:
        callbacks.insert(0, EarlyStopping(args.patience))
    model.fit(split.train, split.validation, k=k, callbacks=callbacks)
    folder = model.save(out)
    scores = evaluate(model, split.test, k=k, metrics=["recall", "mrr", "ndcg"])
    result: dict[str, Any] = {"model": "word2vec", "n_test": len(split.test), **scores}
    result["epochs"] = len(model.history_)
    result["best_epoch"] = model.best_epoch_
    result["saved"] = str(folder)
    result["dropped_short_sessions"] = split.n_dropped
    result["source"] = args.data_source
    if args.json:
        result["history"] = model.history_.to_dict(orient="records")
    _emit(result, args.json)


def _cmd_train_runs(args: argparse.Namespace) -> None:
    from .runs import train_runs

    sessions = _sessions(args)
    out = str(_default_out("word2vec")) if args.out is None else _named(args.out, "--out")
    runs = train_runs(
        sessions,
        _params(args.param),
        out=out,
        name=_named(args.name, "NAME"),
        split_seeds=args.split_seeds,
        test_size=args.test_size,
        k=args.k,
        tuning_seed=args.tuning_seed,
        data={
            **args.data_identity,
            "sessionization": args.by,
            "gap": str(args.gap) if args.by == "gap" else None,
        },
        log=None if args.json else lambda line: print(line, flush=True),
    )
    result = {"name": args.name, "out": out, **runs.summary().to_dict()}
    result["n_seeds"] = int(result["n_seeds"])
    result["source"] = args.data_source
    _emit(result, args.json)


def _cmd_recommend(args: argparse.Namespace) -> None:
    from .models import make_model
    from .plots import item_names
    from .sessions import preprocess, sessionize
    from .word2vec import Item2Vec

    if args.model is not None:
        _named(args.model, "--model")
    df = _load(args)
    names = item_names(df)
    if args.model is not None:
        model = Item2Vec.load(args.model)
    else:
        if not args.json:
            print("training word2vec with default parameters (use --model DIR to skip)...")
        model = make_model("word2vec").fit(sessionize(preprocess(df)))
    unknown = [item for item in args.items if model.index([item])[0] < 0]
    if unknown:
        raise UserError(
            f"{', '.join(map(repr, unknown))} not seen in training; StockCodes are case-"
            "sensitive (e.g. 85123A)"
        )
    recs = model.recommend_session([args.items], k=args.k, last="all", weights="equal")[0]
    rows = [{"item": i, "description": names.get(i, "")} for i in recs if i is not None]
    if args.json:
        print(
            json.dumps({"query": args.items, "recommendations": rows, "source": args.data_source})
        )
        return
    for item in args.items:
        print(f"query  {item:<8}  {names.get(item, '')}")
    for rank, row in enumerate(rows, 1):
        print(f"{rank:>5}  {row['item']:<8}  {row['description']}")


def _cmd_sweep(args: argparse.Namespace) -> None:
    name = args.space if args.name is None else _named(args.name, "--name")
    from .tune import run_sweep  # after the checks: imports Ray

    out = str(_default_out("sweeps") / name) if args.out is None else _named(args.out, "--out")
    split = _split(args)
    results = run_sweep(
        args.space,
        train=split.train,
        valid=split.validation,
        out=out,
        max_epochs=args.max_epochs,
        scheduler=None if args.no_asha or args.scheduler == "none" else args.scheduler,
        grace_period=args.grace_period,
        reduction_factor=args.reduction_factor,
        samples=args.samples,
        cpus_per_trial=args.cpus_per_trial,
        num_cpus=args.num_cpus,
        address=args.address,
        name=name,
        storage=args.storage,
        trust_state=args.trust_state,
        data={
            **args.data_identity,
            "sessionization": args.by,
            "test_size": args.test_size,
            "split_seed": args.seed,
        },
        progress=not args.json,
    )
    m = results.manifest
    result = {"name": name, "out": out, **m["counts"], "complete": m["complete"]}
    if results.trials["best_" + m["metric"]].notna().any():
        result["best_" + m["metric"]] = float(results.trials["best_" + m["metric"]].max())
        result["best_config"] = json.dumps(results.best_config())
    result["wall_seconds_total"] = round(m["wall_seconds_total"], 1)
    result["source"] = args.data_source
    _emit(result, args.json)
    if not m["complete"]:
        raise UserError(
            f"sweep {name!r} is not finished ({m['counts']['unfinished']} trials left); run "
            "the same command again to resume it"
        )


def _cmd_sweep_report(args: argparse.Namespace) -> None:
    from .report import write_report

    path = write_report(args.results_dir, args.out, top=args.top)
    print(f"wrote {path} and its figures")


def _cmd_leaderboard(args: argparse.Namespace) -> None:
    from .leaderboard import make_sessionizations, run_leaderboard
    from .models import leaderboard_entries, quick_entries

    tuned = source = None
    if args.tuned_from is not None:
        from .analysis import retrain_params
        from .sweeps import read_sweep

        sweep = read_sweep(args.tuned_from)
        if not sweep.manifest.get("complete"):
            raise UserError(f"--tuned-from {args.tuned_from}: that sweep is not finished")
        tuned, source = retrain_params(sweep, "best"), f"sweep {sweep.manifest['name']}"
    entries = leaderboard_entries(tuned, source or "given")
    if args.models:
        known = [e.key for e in entries]
        unknown = [m for m in args.models if m not in known]
        if unknown:
            raise UserError(f"unknown leaderboard row(s) {unknown}; choose from {known}")
        entries = [e for e in entries if e.key in args.models]
    if args.quick:
        entries = quick_entries(entries, _QUICK["max_epochs"])
    default = _default_out("leaderboard-quick" if args.quick else "leaderboard")
    out = str(default) if args.out is None else _named(args.out, "--out")
    runs = [] if args.runs is None else sorted(p for p in Path(args.runs).glob("*") if p.is_dir())
    names = list(dict.fromkeys([*args.sessionizations, "customer"]))  # the tuning set's source
    every = make_sessionizations(_load(args), names)
    sessions = {name: every[name] for name in args.sessionizations}
    board = run_leaderboard(
        sessions,
        out=out,
        entries=entries,
        protocols=args.protocols,
        seeds=_QUICK["seeds"] if args.quick else None,
        test_size=_QUICK["test_size"] if args.quick else 1000,
        tuning_seed=args.tuning_seed,
        tuning_source=every["customer"],
        cuts=_QUICK["cuts"] if args.quick else 3,
        data={**args.data_identity, "quick": bool(args.quick)},
        reuse=runs,
        log=None if args.json else lambda line: print(line, flush=True),
        jobs=args.jobs,
    )
    top = board.table.groupby(["sessionization", "protocol"], sort=False).head(1)
    result: dict[str, Any] = {"out": out, "cells": len(board.cells)}
    for row in top.itertuples():
        result[f"best {row.sessionization}/{row.protocol}"] = f"{row.label} {row.recall:.4f}"
    result["wall_seconds_total"] = round(board.manifest["wall_seconds_total"], 1)
    result["source"] = args.data_source
    _emit(result, args.json)


def _named(text: str, option: str) -> str:
    """``text`` unless it is empty or blank (an empty path would mean the current folder)."""
    if not text.strip():
        raise UserError(f"{option} must not be empty, got {text!r}")
    return text


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
    handlers = {
        "data": _cmd_data,
        "sessions": _cmd_sessions,
        "evaluate": _cmd_evaluate,
        "train": _cmd_train,
        "train-runs": _cmd_train_runs,
        "recommend": _cmd_recommend,
        "sweep": _cmd_sweep,
        "sweep-report": _cmd_sweep_report,
        "leaderboard": _cmd_leaderboard,
    }
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
