"""sessrec.results: committed results read from the work tree, the cache or the repository.

Downloads go to a real HTTP server on 127.0.0.1 (``SESSREC_RESULTS_URL``), started by the test
and bounded in time; no test uses the network. Every download is checked against the registry
of SHA-256 sums (``book/results-sha256.txt``), which a test keeps equal to the committed files.

Run this file as a script (``.venv/bin/python tests/test_results.py``) to regenerate the
registry after changing a committed result.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sessrec import results
from sessrec.cli import main
from sessrec.results import (
    ResultNotFoundError,
    ResultVerificationError,
    make_registry,
    raw_url,
    read_registry,
    read_result_json,
    read_result_text,
    result_path,
)

ROOT = Path(__file__).resolve().parents[1]
REL = "benchmarks/results/example.json"
HEADER = """\
# SHA-256 of every committed result listed in book/results.toml (pooch's registry format).
# sessrec.results checks each download of a committed result (on Colab, outside a clone) against
# it. tests/test_results.py checks it against the committed files; after changing a committed
# result, regenerate it with: .venv/bin/python tests/test_results.py
"""


def _registered_files() -> list[str]:
    entries = tomllib.loads((ROOT / "book" / "results.toml").read_text(encoding="utf-8"))
    return [f for entry in entries["result"] for f in entry["files"]]


def registry_text() -> str:
    """What ``book/results-sha256.txt`` must hold for the files committed now."""
    return HEADER + make_registry(_registered_files(), ROOT)


def _publish(server, rel: str, body: bytes) -> None:
    """Serve ``body`` at ``rel`` and list its SHA-256 in the served registry."""
    target = server.root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    registry = server.root / results.REGISTRY
    registry.parent.mkdir(parents=True, exist_ok=True)
    old = registry.read_text(encoding="utf-8") if registry.is_file() else ""
    lines = [ln for ln in old.splitlines() if ln and not ln.startswith(f"{rel} ")]
    lines.append(f"{rel} {hashlib.sha256(body).hexdigest()}")
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def remote(http_server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No work tree, an empty cache, downloads allowed from the local server."""
    monkeypatch.setattr(results, "local_root", lambda: None)
    monkeypatch.setattr(results, "_registries", {})
    monkeypatch.setenv("SESSREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SESSREC_OFFLINE", raising=False)
    monkeypatch.delenv("SESSREC_RESULTS_REGISTRY", raising=False)
    monkeypatch.setenv("SESSREC_RESULTS_URL", http_server.url(""))
    _publish(http_server, REL, json.dumps({"speedup": 2.5}).encode())
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
    registry = "/" + results.REGISTRY
    assert remote.requests == [registry, "/" + REL], "the second read must come from the cache"
    _publish(remote, REL, b'{"speedup": 3}')
    assert read_result_json(REL) == {"speedup": 2.5}
    assert read_result_json(REL, refresh=True) == {"speedup": 3}
    assert read_result_text(REL) == '{"speedup": 3}'
    assert remote.requests == [registry, "/" + REL, registry, "/" + REL]
    assert read_result_json(REL, refresh=True) == {"speedup": 3}  # unchanged: not downloaded
    assert remote.requests[-1] == registry
    assert {p.name for p in path.parent.iterdir()} == {"example.json"}, "no temporary file left"


def test_missing_remote_file_names_file_and_url(remote):
    with pytest.raises(ResultNotFoundError, match=r"'benchmarks/results/none\.json'.*registry"):
        result_path("benchmarks/results/none.json")
    _publish(remote, "benchmarks/results/none.json", b"{}")
    (remote.root / "benchmarks/results/none.json").unlink()
    with pytest.raises(ResultNotFoundError, match=r"'benchmarks/results/none\.json'.*404"):
        result_path("benchmarks/results/none.json", refresh=True)


def test_offline_never_downloads(remote, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSREC_OFFLINE", "1")
    with pytest.raises(ResultNotFoundError, match="SESSREC_OFFLINE"):
        result_path(REL)
    assert remote.requests == []


def test_invalid_json_is_reported_with_its_path(remote):
    _publish(remote, REL, b"{not json")
    with pytest.raises(ValueError, match="example.json is not valid JSON"):
        read_result_json(REL)


# ------------------------------------------------- every download is checked
def _cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "results" / "main"


def test_an_error_page_served_with_200_is_refused_and_not_kept(remote, tmp_path: Path):
    (remote.root / REL).write_text("<html>rate limited</html>", encoding="utf-8")
    with pytest.raises(ResultVerificationError, match="not the committed file.*nothing was kept"):
        read_result_json(REL)
    assert not (_cache(tmp_path) / REL).exists()
    assert not [p for p in (_cache(tmp_path) / REL).parent.iterdir() if p.name != "example.json"]


def test_another_file_is_refused(remote):
    (remote.root / REL).write_text(json.dumps({"speedup": 99}), encoding="utf-8")
    with pytest.raises(ResultVerificationError, match="SHA-256 differs"):
        result_path(REL)


def test_a_truncated_body_is_one_clear_error(remote):
    remote.truncate.add(REL)
    with pytest.raises(ResultNotFoundError, match=r"connection closed after \d+ of 16 bytes"):
        result_path(REL)


def test_an_error_page_as_registry_is_refused(remote):
    (remote.root / results.REGISTRY).write_text("<html>\n<p>Not here</p>\n</html>\n")
    with pytest.raises(ResultVerificationError, match="not a registry of committed results"):
        result_path(REL)


def test_a_bad_results_url_is_not_a_checksum_error(remote, monkeypatch):
    monkeypatch.setenv("SESSREC_RESULTS_URL", "not-a-url")
    with pytest.raises(ResultNotFoundError, match="unknown url type") as info:
        result_path(REL)
    assert not isinstance(info.value, ResultVerificationError)


def test_a_damaged_cached_copy_is_downloaded_again(remote, tmp_path: Path):
    path = result_path(REL)
    path.write_text("damaged", encoding="utf-8")
    results._registries.clear()  # a new process
    assert read_result_json(REL) == {"speedup": 2.5}


def test_offline_uses_only_a_verified_cached_copy(remote, tmp_path, monkeypatch):
    path = result_path(REL)
    monkeypatch.setenv("SESSREC_OFFLINE", "1")
    requests = len(remote.requests)
    assert result_path(REL) == path
    path.write_text("damaged", encoding="utf-8")
    with pytest.raises(ResultVerificationError, match="does not match the registry"):
        result_path(REL)
    assert len(remote.requests) == requests


def test_a_registry_given_by_the_caller(remote, tmp_path: Path):
    other = {REL: hashlib.sha256(b"something else").hexdigest()}
    with pytest.raises(ResultVerificationError):
        result_path(REL, registry=other)
    good = tmp_path / "sums.txt"
    digest = hashlib.sha256(json.dumps({"speedup": 2.5}).encode()).hexdigest()
    good.write_text(f"# comment\n{REL} {digest}\n", encoding="utf-8")
    assert read_result_json(REL, registry=good) == {"speedup": 2.5}
    assert "/" + results.REGISTRY not in remote.requests


class _Trickle(http.server.BaseHTTPRequestHandler):
    """Declares 100 bytes and sends one every 0.2 s; or declares 3 GiB (``/huge``); or sends
    400 kB without declaring a length (``/nolength``)."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        if self.path.endswith(results.REGISTRY):
            body = f"{REL} {'0' * 64}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        huge = "huge" in self.path or "nolength" in self.path
        if "nolength" not in self.path:
            self.send_header("Content-Length", str(3 * 2**30 if huge else 100))
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x" * (4096 if huge else 1))
                self.wfile.flush()
                time.sleep(0.001 if huge else 0.2)
        except OSError:  # the client gave up
            pass


@pytest.fixture
def trickle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(results, "local_root", lambda: None)
    monkeypatch.setattr(results, "_registries", {})
    monkeypatch.setenv("SESSREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SESSREC_OFFLINE", raising=False)
    monkeypatch.delenv("SESSREC_RESULTS_REGISTRY", raising=False)
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_trickles_is_cut_off(trickle, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSREC_RESULTS_URL", trickle)
    monkeypatch.setattr(results, "TIMEOUT_S", 1.0)
    start = time.monotonic()
    with pytest.raises(ResultNotFoundError, match=r"not complete after 1 s"):
        result_path(REL)
    assert time.monotonic() - start < 5


def test_a_huge_body_is_refused_unread(trickle, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSREC_RESULTS_URL", trickle + "/huge")
    with pytest.raises(ResultNotFoundError, match=r"3,221,225,472 bytes, more than the"):
        result_path(REL)
    monkeypatch.setattr(results, "MAX_BYTES", 10_000)  # and a body that declares no length
    monkeypatch.setenv("SESSREC_RESULTS_URL", trickle + "/nolength")
    results._registries.clear()
    with pytest.raises(ResultNotFoundError, match=r"more than the 10,000 bytes allowed"):
        result_path(REL)


def test_cli_reports_a_bad_download_on_one_line(remote, capsys, monkeypatch):
    """`sessrec leaderboard` outside a clone read committed runs through sessrec.results."""
    (remote.root / REL).write_text("<html>oops</html>", encoding="utf-8")
    from sessrec import cli

    def read(args):
        read_result_json(REL)

    monkeypatch.setattr(cli, "_cmd_sweep_report", read)
    assert main(["sweep-report", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sessrec: error:") and "not the committed" in err[0]


# ------------------------------------------------- the registry matches the committed files
def test_the_registry_matches_the_committed_results():
    path = ROOT / results.REGISTRY
    assert path.is_file() and path.read_text(encoding="utf-8") == registry_text(), (
        f"{results.REGISTRY} does not match the committed results: run "
        "`.venv/bin/python tests/test_results.py` to regenerate it"
    )
    sums = read_registry(path)
    assert set(sums) == set(_registered_files())


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


if __name__ == "__main__":
    (ROOT / results.REGISTRY).write_text(registry_text(), encoding="utf-8")
    print(f"wrote {results.REGISTRY}")
