"""The ``sessrec`` command's arguments: one parser per command, and the option types (private)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

import pandas as pd


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``sessrec: error:`` line (status 2), like the rest."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"sessrec: error: {message} (see `{self.prog} --help`)\n")


#: ``sessrec leaderboard --quick``: fewer queries, one seed, short word2vec trainings.
_QUICK: dict[str, Any] = {"test_size": 300, "seeds": {"customer": (0,)}, "max_epochs": 5, "cuts": 1}
_SESSIONIZATIONS = ("customer", "invoice", "gap")
_PROTOCOLS = ("last", "prefix", "temporal")


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
    """An argparse type: a whole number >= ``minimum``, 0 or 1 (argparse names the option)."""
    kind = "a non-negative" if minimum == 0 else "a positive"

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
        value = pd.NaT
    if pd.isna(value) or value < pd.Timedelta(0):
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
    ses = sub.add_parser("sessions", help="sessionize the data and print length statistics")
    _add_dataset_args(ses)
    _add_sessionization_args(ses)


def _add_evaluate_command(sub: Any) -> None:
    from .models import MODELS, OPTIONAL_MODELS

    ev = sub.add_parser("evaluate", help="evaluate a model on a split of the data")
    _add_dataset_args(ev)
    ev.add_argument("--model", choices=sorted({*MODELS, *OPTIONAL_MODELS}), required=True)
    _add_param_arg(ev)
    _add_split_args(ev)
    ev.add_argument(
        "--protocol",
        choices=_PROTOCOLS,
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
    tr = sub.add_parser(
        "train", help="train word2vec with per-epoch validation, save it, print test metrics"
    )
    _add_dataset_args(tr)
    _add_param_arg(tr)
    _add_split_args(tr)
    tr.add_argument("--out", metavar="DIR", default="word2vec-model", help="model folder")
    tr.add_argument("--patience", type=_whole(1), default=None, help="early stopping patience")


def _add_train_runs_command(sub: Any) -> None:
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
    from .models import MODELS, OPTIONAL_MODELS
    from .sweeps import MODEL_SPACES, SPACES

    sw = sub.add_parser(
        "sweep",
        help="sweep a model's hyperparameters on Ray Tune (resumable)",
        description="Sweep a model's hyperparameters on Ray Tune, scoring each configuration "
        "on the validation pairs of the split (the tuning set; never a test pair). Models "
        "trained epoch by epoch (word2vec, gru4rec) report every epoch and ASHA stops weak "
        "ones early; models fitted once (sknn, vsknn, stan, vstan, ...) are fitted and scored "
        "once, with no scheduler. Example: sessrec sweep --model sknn --space sknn",
    )
    _add_dataset_args(sw)
    sw.add_argument(
        "--model",
        choices=sorted({*MODELS, *OPTIONAL_MODELS}),
        default="word2vec",
        help="the registry model to sweep (default word2vec)",
    )
    spaces = ", ".join(
        [f"{n} (word2vec)" for n in SPACES] + [f"{n} ({m})" for n, (m, _) in MODEL_SPACES.items()]
    )
    sw.add_argument(
        "--space",
        default=None,
        help=f"a named space of the model: {spaces}; default quick for word2vec, else the "
        "space named after the model",
    )
    sw.add_argument("--samples", type=_whole(1), default=None, help="random sample of N configs")
    sw.add_argument(
        "--max-epochs",
        type=_whole(1),
        default=None,
        help="epochs of an unstopped trial (default 100; 1 for a model fitted once)",
    )
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
        default=None,
        help="asha (asynchronous successive halving; the default for models trained epoch by "
        "epoch), sha (synchronous: every configuration finishes a rung before the best go on) "
        "or none (every trial runs --max-epochs; the default, and the only choice, for a "
        "model fitted once)",
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
    srep = sub.add_parser("sweep-report", help="figures and a markdown summary of a sweep")
    srep.add_argument("results_dir", metavar="RESULTS_DIR", help="a folder of `sessrec sweep`")
    srep.add_argument("--out", metavar="DIR", default=None, help="default RESULTS_DIR/report")
    srep.add_argument("--top", type=_whole(1), default=5, help="best trials to list and draw")


def _add_leaderboard_command(sub: Any) -> None:
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
    lb.add_argument(
        "--keep-from",
        metavar="DIR",
        default=None,
        help="an exported leaderboard of the same settings and data: its rows of the models not "
        "computed here join the table (add a model with --models KEY without refitting the rest)",
    )
    _add_tuning_arg(lb)
    lb.add_argument(
        "--runs",
        metavar="DIR",
        default=None,
        help="a folder of `sessrec train-runs` run sets whose matching cells are reused",
    )
    lb.add_argument(
        "--tuned-from",
        nargs="+",
        metavar="SWEEP_DIR",
        default=None,
        help="add a row <model>-tuned per finished exported sweep (one per model): the "
        "best configuration of the sweep's model; each sweep must have selected on the "
        "tuning set (customer sessions, its --seed the --tuning-seed)",
    )
    lb.add_argument(
        "--jobs",
        type=_whole(1),
        default=1,
        help="processes computing cells at once (default 1; at most one per core)",
    )
    lb.add_argument(
        "--sessionizations", nargs="+", choices=_SESSIONIZATIONS, default=list(_SESSIONIZATIONS)
    )
    lb.add_argument("--protocols", nargs="+", choices=_PROTOCOLS, default=list(_PROTOCOLS))


def _add_recommend_command(sub: Any) -> None:
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
    p.add_argument("--by", choices=_SESSIONIZATIONS, default="customer")
    p.add_argument("--gap", type=_duration, help="inactivity gap for --by gap (default 30min)")
