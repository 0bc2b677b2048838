"""The ``sessrec`` command line: one handler per command (the parser is in ``_cli_args``).

``sessrec data``, ``sessions``, ``evaluate``, ``train``, ``recommend``, ``train-runs``,
``sweep``, ``sweep-report`` and ``leaderboard`` (``sessrec --help``). User errors
(a missing or malformed file, a bad option value) print one line to stderr and exit with
status 2, without a traceback. Ctrl-C, SIGTERM and SIGHUP stop a command cleanly (temporary
files removed) with status 130, 143 and 129. Every ``--json`` result names its ``source``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._cli_args import _QUICK, build_parser

if TYPE_CHECKING:
    from .models import Entry
    from .sessions import Sessions
    from .sweeps import SweepResults

__all__ = ["main", "build_parser"]


class UserError(Exception):
    """An error caused by the command's input; printed as one line."""


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


def _out(args: argparse.Namespace, *default: str) -> str:
    """``--out``, or when it is not given the folder ``default`` of the cache (never the clone)."""
    from .data.download import cache_dir

    if args.out is not None:
        return _named(args.out, "--out")
    return str(cache_dir().joinpath("results", *default))


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    width = max(map(len, result))
    for key, value in result.items():
        if isinstance(value, float):
            shown = f"{value:.6g}"
        elif isinstance(value, int) and not isinstance(value, bool):
            shown = f"{value:,}"
        else:
            shown = value
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
    from .training import EarlyStopping, Progress, Report
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

    k = _cap_k(args.k, split.train.compact().n_items)
    callbacks = [] if args.patience is None else [EarlyStopping(args.patience)]
    callbacks.append(Report(report))
    if args.json and Progress.wanted():
        callbacks.append(Progress())
    model.fit(split.train, split.validation, k=k, callbacks=callbacks)
    folder = model.save(out)
    scores = evaluate(model, split.test, k=k, metrics=["recall", "mrr", "ndcg"])
    result: dict[str, Any] = {"model": "word2vec", "n_test": len(split.test), **scores}
    result |= {"epochs": len(model.history_), "best_epoch": model.best_epoch_, "saved": str(folder)}
    result |= {"dropped_short_sessions": split.n_dropped, "source": args.data_source}
    if args.json:
        result["history"] = model.history_.to_dict(orient="records")
    _emit(result, args.json)


def _cmd_train_runs(args: argparse.Namespace) -> None:
    from .runs import train_runs

    sessions = _sessions(args)
    out = _out(args, "word2vec")
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

    folder = None if args.model is None else _named(args.model, "--model")
    df = _load(args)
    names = item_names(df)
    if folder is not None:
        model = Item2Vec.load(folder)
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
        result = {"query": args.items, "recommendations": rows, "source": args.data_source}
        print(json.dumps(result))
        return
    for item in args.items:
        print(f"query  {item:<8}  {names.get(item, '')}")
    for rank, row in enumerate(rows, 1):
        print(f"{rank:>5}  {row['item']:<8}  {row['description']}")


def _cmd_sweep(args: argparse.Namespace) -> None:
    space = _sweep_space(args.model, args.space)
    name = space if args.name is None else _named(args.name, "--name")
    from .tune import run_sweep  # after the checks: imports Ray

    out = _out(args, "sweeps", name)
    split = _split(args)
    scheduler = "auto" if args.scheduler is None else args.scheduler
    results = run_sweep(
        space,
        model=args.model,
        train=split.train,
        valid=split.validation,
        out=out,
        max_epochs=args.max_epochs,
        scheduler=None if args.no_asha or scheduler == "none" else scheduler,
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
    best = "best_" + m["metric"]
    if results.trials[best].notna().any():
        result[best] = float(results.trials[best].max())
        result["best_config"] = json.dumps(results.best_config())
    result["wall_seconds_total"] = round(m["wall_seconds_total"], 1)
    result["source"] = args.data_source
    _emit(result, args.json)
    if not m["complete"]:
        raise UserError(
            f"sweep {name!r} is not finished ({m['counts']['unfinished']} trials left); run "
            "the same command again to resume it"
        )


def _sweep_space(model: str, space: str | None) -> str:
    """``--space``, checked against ``--model`` before any data is read (default: the model's)."""
    from .models import make_model
    from .sweeps import MODEL_SPACES, SPACES, space_model

    make_model(model)  # a model whose extra is missing: one line naming the install command
    if space is None:
        if model == "word2vec":
            return "quick"
        if model not in MODEL_SPACES:
            raise UserError(
                f"model {model!r} has no named space; sweep it from Python with a grid "
                "(sessrec.tune.run_sweep(space={...}, model=...))"
            )
        return model
    owner = space_model(space)  # an unknown space: one line listing the known ones
    if owner != model:
        mine = [n for n in [*SPACES, *MODEL_SPACES] if space_model(n) == model]
        raise UserError(
            f"--space {space} is a space of model {owner!r}, not of --model {model}; choose "
            + (f"one of {', '.join(mine)}" if mine else "another model")
            + f" or --model {owner}"
        )
    return space


def _cmd_sweep_report(args: argparse.Namespace) -> None:
    from .report import write_report

    path = write_report(args.results_dir, args.out, top=args.top)
    print(f"wrote {path} and its figures")


def _cmd_leaderboard(args: argparse.Namespace) -> None:
    from .leaderboard import make_sessionizations, run_leaderboard

    sweeps = _tuned_sweeps(args.tuned_from or [])
    if sweeps and args.tuning_seed is None:
        raise UserError(
            "--tuned-from needs a tuning set: with --tuning-seed none the test sets may hold the "
            "pairs its sweeps selected on; leave --tuning-seed out or give the sweeps' split seed"
        )
    entries = _leaderboard_rows(args, sweeps)
    out = _out(args, "leaderboard-quick" if args.quick else "leaderboard")
    runs = [] if args.runs is None else sorted(p for p in Path(args.runs).glob("*") if p.is_dir())
    names = list(dict.fromkeys([*args.sessionizations, "customer"]))  # the tuning set's source
    every = make_sessionizations(_load(args), names)
    sessions = {name: every[name] for name in args.sessionizations}
    test_size = _QUICK["test_size"] if args.quick else 1000
    _check_tuning_set(sweeps, every["customer"], test_size, args.tuning_seed)
    board = run_leaderboard(
        sessions,
        out=out,
        entries=entries,
        protocols=args.protocols,
        seeds=_QUICK["seeds"] if args.quick else None,
        test_size=test_size,
        tuning_seed=args.tuning_seed,
        tuning_source=every["customer"],
        cuts=_QUICK["cuts"] if args.quick else 3,
        data={**args.data_identity, "quick": bool(args.quick)},
        reuse=runs,
        log=None if args.json else lambda line: print(line, flush=True),
        jobs=args.jobs,
        keep_from=None if args.keep_from is None else _named(args.keep_from, "--keep-from"),
    )
    top = board.table.groupby(["sessionization", "protocol"], sort=False).head(1)
    result: dict[str, Any] = {"out": out, "cells": len(board.cells)}
    for row in top.itertuples():
        result[f"best {row.sessionization}/{row.protocol}"] = f"{row.label} {row.recall:.4f}"
    result["wall_seconds_total"] = round(board.manifest["wall_seconds_total"], 1)
    result["source"] = args.data_source
    _emit(result, args.json)


def _leaderboard_rows(
    args: argparse.Namespace, sweeps: Sequence[tuple[str, SweepResults]]
) -> list[Entry]:
    """The rows of ``--models`` (default: all, with a row per ``--tuned-from`` sweep); with
    ``--quick``, their epochs capped."""
    from .models import leaderboard_entries, quick_entries

    entries = leaderboard_entries([_tuned_entry(folder, sweep) for folder, sweep in sweeps])
    if args.models:
        known = [e.key for e in entries]
        unknown = [m for m in args.models if m not in known]
        if unknown:
            raise UserError(f"unknown leaderboard row(s) {unknown}; choose from {known}")
        entries = [e for e in entries if e.key in args.models]
    if args.quick:
        entries = quick_entries(entries, _QUICK["max_epochs"])
    return entries


def _tuned_sweeps(folders: Sequence[str]) -> list[tuple[str, SweepResults]]:
    """The finished sweeps of ``--tuned-from``, one per registered model."""
    from .models import MODELS, OPTIONAL_MODELS
    from .sweeps import read_sweep

    registered = {*MODELS, *OPTIONAL_MODELS}
    sweeps: dict[str, tuple[str, SweepResults]] = {}  # model -> (folder, its sweep)
    for folder in folders:
        sweep = read_sweep(_named(folder, "--tuned-from"))
        if sweep.model not in registered:
            raise UserError(
                f"--tuned-from {folder}: a sweep of {sweep.model!r}, which is not a registered "
                f"model ({', '.join(sorted(registered))})"
            )
        if not sweep.manifest.get("complete"):
            raise UserError(
                f"--tuned-from {folder}: that sweep is not finished; run its command again"
            )
        if sweep.model in sweeps:
            raise UserError(
                f"--tuned-from {sweeps[sweep.model][0]} and {folder} are both sweeps of "
                f"{sweep.model}; give one sweep per model"
            )
        sweeps[sweep.model] = (folder, sweep)
    return list(sweeps.values())


def _tuned_entry(folder: str, sweep: SweepResults) -> Entry:
    """The leaderboard row ``<model>-tuned`` of a sweep's best configuration."""
    from .analysis import retrain_params
    from .models import tuned_entry

    try:
        params = retrain_params(sweep, "best")
    except (KeyError, ValueError) as exc:
        raise UserError(f"--tuned-from {folder}: {exc}") from None
    return tuned_entry(sweep.model, params, f"sweep {sweep.manifest['name']}")


def _check_tuning_set(
    sweeps: Sequence[tuple[str, SweepResults]], customer: Sessions, size: int, seed: int | None
) -> None:
    """Each sweep selected on the tuning set the leaderboard keeps out of its test sets."""
    from .sweeps import check_selected_on

    if seed is None:
        return
    size = min(size, (int((customer.lengths >= 2).sum()) - 1) // 2)  # as the leaderboard does
    for folder, sweep in sweeps:
        try:
            check_selected_on(sweep, customer, size, seed)
        except ValueError as exc:
            raise UserError(
                f"--tuned-from {folder}: {exc}; its row could be tested on pairs it was "
                f"selected on: sweep with --seed {seed} --test-size {size} (customer sessions) "
                "or give the sweep's split seed as --tuning-seed"
            ) from None


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
