"""What tests/test_site.py and tests/test_browser.py share: where the built website is.

Both test the website that ``make book`` builds into ``_build/html``. A plain ``make test`` on a
fresh clone has no website yet, so they skip with a reason; ``make check-site`` (run by
``.ci/run`` right after ``make book``) sets ``SESSREC_REQUIRE_SITE=1``, which turns every such skip
into a failure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The built website (``SESSREC_SITE`` points the tests at another build, e.g. a synthetic one).
SITE = Path(os.environ.get("SESSREC_SITE", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = SITE.parent / "screenshots"


def required() -> bool:
    """True when the site and the browser must be there (``make check-site``, CI)."""
    return os.environ.get("SESSREC_REQUIRE_SITE", "") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail with it when :func:`required`."""
    if required():
        pytest.fail(reason + " (SESSREC_REQUIRE_SITE=1: this may not be skipped)")
    pytest.skip(reason)


def require_site() -> Path:
    """Return the built site, skipping (or failing) when there is none."""
    if not (SITE / "index.html").is_file():
        skip_or_fail(
            f"no built website in {SITE}: run `make book` first (CI builds it, then runs "
            "`make check-site`)"
        )
    return SITE


def pages() -> list[str]:
    """Every HTML page of the built site, relative to it (none when there is no site)."""
    if not SITE.is_dir():
        return []
    skip = {"_static", "_sources", "_images", "_panels_static"}
    return sorted(
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*.html")
        if not skip.intersection(p.relative_to(SITE).parts)
    )


def build_info() -> dict:
    """What book/_ext/sessrec_book.py recorded about the build (e.g. which data it used)."""
    path = SITE / "_static" / "sessrec-build.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
