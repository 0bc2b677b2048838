"""sessrec.results: committed results read from the work tree, the cache or the repository.

Downloads go to a real HTTP server on 127.0.0.1 (``SESSREC_RESULTS_URL``); no test uses the
network.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml

from sessrec import results
from sessrec.results import (
    ResultNotFoundError,
    raw_url,
    read_result_json,
    read_result_text,
    result_path,
)

ROOT = Path(__file__).resolve().parents[1]
REL = "benchmarks/results/example.json"


@pytest.fixture
def remote(http_server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No work tree, an empty cache, downloads allowed from the local server."""
    monkeypatch.setattr(results, "local_root", lambda: None)
    monkeypatch.setenv("SESSREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SESSREC_OFFLINE", raising=False)
    monkeypatch.setenv("SESSREC_RESULTS_URL", http_server.url(""))
    target = http_server.root / REL
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"speedup": 2.5}), encoding="utf-8")
    return http_server


def test_raw_url_points_at_the_repository(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SESSREC_RESULTS_URL", raising=False)
    assert raw_url("benchmarks/results/baseline.json") == (
        "https://raw.githubusercontent.com/sessrec/sessrec/main/benchmarks/results/baseline.json"
    )
    assert raw_url("a/b.md", branch="dev").endswith("/sessrec/sessrec/dev/a/b.md")
    monkeypatch.setenv("SESSREC_RESULTS_URL", "http://127.0.0.1:9/base/")
    assert raw_url("a/b.md") == "http://127.0.0.1:9/base/a/b.md"


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "../secret.json", "a/../../b", "~/x.json"])
def test_paths_must_stay_inside_the_repository(bad: str):
    with pytest.raises(ValueError, match="relative to the repository root"):
        result_path(bad)


def test_the_work_tree_copy_is_used_when_present():
    assert results.local_root() == ROOT
    path = result_path("benchmarks/results/baseline.json")
    assert path == ROOT / "benchmarks" / "results" / "baseline.json"
    assert read_result_json("benchmarks/results/baseline.json")["test_size"] == 1000


def test_download_into_the_cache_then_reuse(remote, tmp_path: Path):
    assert read_result_json(REL) == {"speedup": 2.5}
    path = result_path(REL)
    assert path == tmp_path / "cache" / "results" / "main" / REL
    assert remote.requests == ["/" + REL], "the second read must come from the cache"
    (remote.root / REL).write_text('{"speedup": 3}', encoding="utf-8")
    assert read_result_json(REL) == {"speedup": 2.5}
    assert read_result_json(REL, refresh=True) == {"speedup": 3}
    assert read_result_text(REL) == '{"speedup": 3}'
    assert len(remote.requests) == 2
    assert not list(path.parent.glob(".*.tmp")), "the download is written atomically"


def test_missing_remote_file_names_file_and_url(remote):
    with pytest.raises(ResultNotFoundError, match=r"'benchmarks/results/none\.json'.*404"):
        result_path("benchmarks/results/none.json")


def test_offline_never_downloads(remote, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSREC_OFFLINE", "1")
    with pytest.raises(ResultNotFoundError, match="SESSREC_OFFLINE"):
        result_path(REL)
    assert remote.requests == []


def test_invalid_json_is_reported_with_its_path(remote):
    (remote.root / REL).write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="example.json is not valid JSON"):
        read_result_json(REL)


# ------------------------------------------------- one repository URL, kept equal everywhere
def test_repository_url_matches_the_book_config():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["url"] == results.repository_url() == results.REPOSITORY_URL, (
        "the repository URL lives in _config.yml (repository.url); "
        "sessrec.results.REPOSITORY_URL must equal it"
    )
    assert config["repository"]["branch"] == results.BRANCH


def test_repository_url_matches_the_package_metadata():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["urls"]["Source"] == results.REPOSITORY_URL
