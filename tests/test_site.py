"""The built website as a reader gets it, read from the HTML files (no browser needed).

Skipped when there is no ``_build/html`` (see tests/site_checks.py); ``make check-site`` runs it
after ``make book``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from site_checks import ROOT, build_info, pages, require_site

from sessrec.results import BRANCH, REPOSITORY_URL

PAGES = pages()
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
CHAPTERS = [
    entry["file"]
    for part in TOC["parts"]
    for entry in part.get("chapters", [])
    if entry["file"].startswith("notebooks/")
]
# An output that is nothing but numbers: a glued value or a helper expression left on display.
STRAY = re.compile(r"^[\s()\[\],.\-+eE\d]*\d[\s()\[\],.\-+eE\d]*$")


def _soup(page: str) -> BeautifulSoup:
    return BeautifulSoup((require_site() / page).read_text(encoding="utf-8"), "html.parser")


def _tracked(path: str) -> bool:
    """True when git tracks ``path`` (or git is not available to ask)."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        return True
    out = subprocess.run([git, "ls-files", "--error-unmatch", path], cwd=ROOT, capture_output=True)
    return out.returncode == 0


def test_site_is_built():
    require_site()
    assert PAGES, "the site has no pages"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_colab_button_opens_the_committed_notebook(chapter: str):
    soup = _soup(f"{chapter}.html")
    colab = CONFIG["launch_buttons"]["colab_url"].rstrip("/")
    owner_repo = REPOSITORY_URL.removeprefix("https://github.com/")
    prefix = f"{colab}/github/{owner_repo}/blob/{BRANCH}/"
    links = [a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith(colab)]
    assert links, f"{chapter}.html has no Colab launch button"
    for href in links:
        assert href.startswith(prefix), f"{href} does not open {REPOSITORY_URL} on {BRANCH}"
        path = href.removeprefix(prefix)
        assert path == f"{chapter}.ipynb", f"the Colab button of {chapter} opens {path}"
        assert (ROOT / path).is_file() and _tracked(path), f"{path} is not in the repository"


@pytest.mark.parametrize("page", PAGES)
def test_outputs_show_no_stray_values_or_warnings(page: str):
    soup = _soup(page)
    for output in soup.select("div.cell_output"):
        texts = [pre.get_text() for pre in output.find_all("pre")]
        stray = [t.strip() for t in texts if STRAY.match(t)]
        assert not stray, (
            f"{page} shows a bare value {stray}: a cell that only computes or glues must show "
            "nothing (end it with ';')"
        )
        for text in texts:
            assert not re.search(r"\b\w*Warning\b:", text), f"{page} shows a warning: {text[:300]}"
    assert not soup.select("div.output.stderr"), f"{page} shows output written to stderr"


def _local_folders() -> list[str]:
    """Folders of this machine that a page must never show: the clone, home, the data's."""
    folders = [str(ROOT), str(Path.home())]
    for var in ("SESSREC_DATA", "SESSREC_CACHE"):
        if os.environ.get(var):
            folders.append(str(Path(os.environ[var]).expanduser().resolve().parent))
    return [f for f in folders if len(f) > 1]


@pytest.mark.parametrize("page", PAGES)
def test_pages_show_no_local_path(page: str):
    text = _soup(page).get_text()
    shown = [folder for folder in _local_folders() if folder + "/" in text]
    assert not shown, f"{page} shows a local path of the machine that built it: {shown}"


@pytest.mark.parametrize("page", PAGES)
def test_synthetic_builds_say_so_on_every_page(page: str):
    dataset = build_info().get("dataset")
    assert dataset in ("online-retail", "synthetic"), "sessrec-build.json is missing"
    soup = _soup(page)
    if soup.find("meta", attrs={"http-equiv": "Refresh"}):
        pytest.skip("index.html only redirects to the first page")
    banner = soup.select_one(".bd-header-announcement")
    if dataset == "synthetic":
        assert banner is not None and "synthetic data" in banner.get_text(), (
            f"{page} was built on synthetic data but has no banner saying so"
        )
    else:
        assert banner is None, f"{page} has a banner, but the build used the real data"


def test_mathjax_is_served_by_the_site():
    for page in PAGES:
        for script in _soup(page).find_all("script", src=True):
            src = script["src"]
            assert not src.startswith(("http:", "https:", "//")), f"{page} loads {src}"
    assert (require_site() / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_reproduce_page_lists_every_registered_result():
    text = _soup("book/reproduce.html").get_text()
    import tomllib

    registry = tomllib.loads((ROOT / "book" / "results.toml").read_text(encoding="utf-8"))
    for entry in registry["result"]:
        for file in entry["files"]:
            assert file in text, f"the reproduce page does not list {file}"


def test_every_page_has_a_title():
    for page in PAGES:
        soup = _soup(page)
        if soup.find("meta", attrs={"http-equiv": "Refresh"}):
            continue  # index.html only redirects to the first page
        title = soup.title
        assert title is not None and title.get_text(strip=True), f"{page} has no <title>"
