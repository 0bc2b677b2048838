"""Every page of the built website in headless Chromium, served from 127.0.0.1 only.

Fails on a broken link or image inside the site, a JavaScript error, TeX that MathJax left
unrendered, a page without a title, a figure without a caption, a missing synthetic-data
banner, or a request to any host but 127.0.0.1 (the book must work offline, in a classroom);
and on what the book standard asks a reader can see: a chapter over 3,500 words, a figure
shrunk so far that its text is under 10 px, a table wider than its column at 1,280 px, a visible
code cell that calls ``glue``, an exercise solution without output, and content cut off (or a
page that scrolls sideways) at 390 px. Saves a screenshot of each page at both widths under
``_build/screenshots/`` (``<page>.png`` and ``<page>-390.png``).

Needs the built site (``make book``), Playwright for Python and a system Chromium (Debian's
``chromium``; ``SESSREC_CHROMIUM`` names another binary). Without them it is skipped with the
reason, except under ``make check-site`` / CI (``SESSREC_REQUIRE_SITE=1``), where it fails.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import numpy as np
import pytest
from site_checks import SCREENSHOTS, SITE, build_info, pages, require_site, skip_or_fail

PAGES = pages()
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOST = "127.0.0.1"

# In the page, after MathJax has typeset it: what a reader would see wrong.
PAGE_REPORT_JS = r"""
async () => {
  const wait = (ms) => new Promise((done) => setTimeout(done, ms));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await Promise.race([MathJax.startup.promise, wait(20000)]);
  }
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map((img) => {
    img.loading = "eager";
    if (img.complete) return null;
    return Promise.race([new Promise((done) => { img.onload = img.onerror = done; }), wait(10000)]);
  }));
  const main = document.querySelector("main") || document.body;
  const text = main.cloneNode(true);
  text.querySelectorAll("pre, code, script, style, mjx-assistive-mml, .highlight")
      .forEach((el) => el.remove());
  const figures = Array.from(main.querySelectorAll("figure"));
  const outputImages = Array.from(main.querySelectorAll(".cell_output img"));
  return {
    title: document.title.trim(),
    h1: Array.from(document.querySelectorAll("h1")).map((h) => h.textContent.trim())
        .filter((t) => t).join(" | "),
    text: text.textContent,
    mathUnrendered: Array.from(document.querySelectorAll(".math"))
        .filter((el) => !el.querySelector("mjx-container"))
        .map((el) => el.textContent.trim().slice(0, 80)),
    brokenImages: imgs.filter((img) => !(img.complete && img.naturalWidth > 0))
        .map((img) => img.currentSrc || img.src),
    uncaptioned: figures.filter((f) => {
        const cap = f.querySelector("figcaption");
        return !cap || !cap.textContent.trim();
      }).map((f) => (f.querySelector("img") || {src: f.id}).src),
    outputImagesOutsideFigures: outputImages.filter((img) => !img.closest("figure"))
        .map((img) => img.src),
    links: Array.from(document.querySelectorAll("a[href]")).map((a) => a.href),
    banner: (document.querySelector(".bd-header-announcement") || {innerText: ""}).innerText,
    words: ((document.querySelector("article") || main).innerText.match(/\S+/g) || []).length,
    shrunk: Array.from(main.querySelectorAll("img"))
        .filter((img) => img.naturalWidth > 0 && img.clientWidth > 0)
        .map((img) => ({src: img.getAttribute("src"), ratio: img.naturalWidth / img.clientWidth})),
    wideTables: Array.from(main.querySelectorAll("table")).map((t) => {
        const host = t.closest(".cell_output, .output, .table-wrapper, section") || t.parentElement;
        return {text: t.innerText.slice(0, 60), over: t.scrollWidth - host.clientWidth};
      }).filter((t) => t.over > 4),
    glueCells: Array.from(main.querySelectorAll(".cell_input"))
        .filter((el) => el.offsetParent !== null && /\bglue\(/.test(el.innerText))
        .map((el) => el.innerText.slice(0, 60)),
    silentSolutions: Array.from(main.querySelectorAll("section#exercises .cell"))
        .filter((el) => !el.querySelector(".cell_output"))
        .map((el) => el.innerText.slice(0, 60)),
  };
}
"""
# At a phone's width, after MathJax: content cut off by its container or the window, and how far
# the page scrolls sideways. A box that scrolls sideways (overflow-x auto/scroll) is not clipped.
# The theme's own navigation (sidebars, header, previous/next links) is left out.
PHONE_REPORT_JS = r"""
async () => {
  const wait = (ms) => new Promise((done) => setTimeout(done, ms));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await Promise.race([MathJax.startup.promise, wait(20000)]);
  }
  const vw = document.documentElement.clientWidth;
  const main = document.querySelector("main") || document.body;
  const clipped = [];
  const what = "p, li, pre, code, table, img, mjx-container, figure, iframe, h1, h2, h3, dl, "
    + "svg, canvas";
  for (const el of main.querySelectorAll(what)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (el.closest(".bd-sidebar-primary, .bd-sidebar-secondary, .bd-header, .prev-next-area")) {
      continue;
    }
    let box = el.parentElement, right = vw, left = 0, scrolls = false;
    for (; box && box !== document.documentElement; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (["auto", "scroll"].includes(style.overflowX)) { scrolls = true; break; }
      if (["hidden", "clip"].includes(style.overflowX)) {
        const b = box.getBoundingClientRect();
        if (r.right > b.right + 1 || r.left < b.left - 1) { right = b.right; left = b.left; break; }
      }
    }
    if (!scrolls && (r.right > right + 1 || r.left < left - 1)) {
      clipped.push(`<${el.tagName.toLowerCase()}> ${Math.round(r.left)}..${Math.round(r.right)}`
        + ` px in a ${Math.round(left)}..${Math.round(right)} px box: `
        + (el.innerText || el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 50));
    }
  }
  return {clipped, sideways: document.documentElement.scrollWidth - vw};
}
"""
# The book standard: a chapter is read in under ~25 minutes, a figure's text is at least 10 px as
# displayed (8 pt at matplotlib's 100 dpi is 11.1 px, so a figure may be shrunk by up to 1.11;
# tests/conftest.py fails any test that draws a text under 8 pt).
MAX_CHAPTER_WORDS = 3500
MAX_FIGURE_SHRINK = 1.11
PHONE = {"width": 390, "height": 844}
REDIRECT = re.compile(r'http-equiv="Refresh" content="0; url=([^"]+)"', re.IGNORECASE)
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\(?:frac|text|operatorname|log|sum|top)\b")


def _chromium() -> str | None:
    named = os.environ.get("SESSREC_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    require_site()
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser(site_url: str) -> Iterator[tuple[object, list[str]]]:
    """A headless Chromium context with a fresh profile; non-local requests are aborted."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright for Python is not installed (it is in the dev extra)")
    executable = _chromium()
    if executable is None:
        skip_or_fail(
            "no Chromium found: install Debian's chromium (`apt-get install chromium`, as "
            ".ci/run does) or set SESSREC_CHROMIUM"
        )
    outside: list[str] = []

    def only_local(route, request) -> None:
        if urlsplit(request.url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    with tempfile.TemporaryDirectory(prefix="sessrec-chromium-") as profile:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 860},
                service_workers="block",
            )
            context.route("**/*", only_local)
            try:
                yield context, outside
            finally:
                context.close()


def _target_exists(url: str, site_url: str) -> str | None:
    """Return why a link inside the site is broken, or None."""
    path, fragment = urldefrag(url)
    rel = unquote(urlsplit(path).path).lstrip("/")
    target = SITE / rel
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"{url}: no such file"
    if fragment and target.suffix == ".html":
        html = _read(target)
        if f'id="{fragment}"' not in html and f'name="{fragment}"' not in html:
            return f"{url}: no element with id {fragment!r}"
    return None


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("page", PAGES)
def test_page_in_browser(page: str, browser, site_url: str):
    context, outside = browser
    outside.clear()
    tab = context.new_page()
    redirect = REDIRECT.search(_read(SITE / page))
    if redirect:  # index.html only sends the reader on to the first page
        try:
            tab.goto(site_url + page)
            tab.wait_for_url(f"**/{redirect.group(1)}", wait_until="load")
        finally:
            tab.close()
        assert not outside, f"{page} requested other hosts: {outside}"
        return
    errors: list[str] = []
    broken: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on(
        "response",
        lambda r: broken.append(f"{r.url} ({r.status})") if r.status >= 400 else None,
    )
    tab.on(
        "requestfailed",
        lambda r: (
            broken.append(f"{r.url} ({r.failure})")
            if urlsplit(r.url).hostname == LOCAL_HOST
            else None
        ),
    )
    try:
        tab.goto(site_url + page, wait_until="load")
        report = tab.evaluate(PAGE_REPORT_JS)
        tab.wait_for_timeout(200)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(
            path=str(SCREENSHOTS / (page.replace("/", "-").removesuffix(".html") + ".png"))
        )
    finally:
        tab.close()

    problems = []
    if outside:
        problems.append(f"requests to other hosts (the site must work offline): {outside}")
    if errors:
        problems.append(f"JavaScript errors: {errors}")
    if broken:
        problems.append(f"broken resources: {broken}")
    if report["brokenImages"]:
        problems.append(f"broken images: {report['brokenImages']}")
    if not report["title"] or not report["h1"]:
        problems.append(f"no title (title {report['title']!r}, h1 {report['h1']!r})")
    if report["mathUnrendered"]:
        problems.append(f"math MathJax did not render: {report['mathUnrendered']}")
    tex = sorted(set(RAW_TEX.findall(report["text"])))
    if tex:
        problems.append(f"raw TeX in the text: {tex}")
    uncaptioned = report["uncaptioned"] + report["outputImagesOutsideFigures"]
    if uncaptioned:
        problems.append(f"figures without a caption: {uncaptioned}")
    local_links = {urldefrag(u)[0] if u.endswith("#") else u for u in report["links"]}
    for link in sorted(local_links):
        if urlsplit(link).hostname == LOCAL_HOST:
            why = _target_exists(link, site_url)
            if why:
                problems.append(f"broken link {why}")
    if build_info().get("dataset") == "synthetic" and "synthetic data" not in report["banner"]:
        problems.append("built on synthetic data, but no banner says so")
    problems += _reader_problems(page, report)
    assert not problems, f"{page}:\n- " + "\n- ".join(problems)


def _reader_problems(page: str, report: dict) -> list[str]:
    """What the book standard asks of a page at 1,280 px: length, figures, tables, code cells."""
    problems = []
    if page.startswith("notebooks/") and report["words"] > MAX_CHAPTER_WORDS:
        problems.append(f"{report['words']:,} words; a chapter has at most {MAX_CHAPTER_WORDS:,}")
    shrunk = [
        f"{i['src']} ({i['ratio']:.2f}x)"
        for i in report["shrunk"]
        if i["ratio"] > MAX_FIGURE_SHRINK
    ]
    if shrunk:
        problems.append(
            f"figures shrunk by more than {MAX_FIGURE_SHRINK}x (their text falls under 10 px; "
            f"draw them narrower): {shrunk}"
        )
    if report["wideTables"]:
        problems.append(f"tables wider than their column: {report['wideTables']}")
    if report["glueCells"]:
        problems.append(
            f"visible code cells that call glue (tag them remove-cell): {report['glueCells']}"
        )
    if report["silentSolutions"]:
        problems.append(f"exercise solutions without output: {report['silentSolutions']}")
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_page_fits_a_phone(page: str, browser, site_url: str):
    """At 390 px nothing is cut off and the page does not scroll sideways; wide tables and
    equations scroll inside their own box. Saves the page's phone screenshot."""
    if REDIRECT.search(_read(SITE / page)):
        return
    context, _ = browser
    tab = context.new_page()
    try:
        tab.set_viewport_size(PHONE)
        tab.goto(site_url + page, wait_until="load")
        report = tab.evaluate(PHONE_REPORT_JS)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = page.replace("/", "-").removesuffix(".html")
        tab.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"))
    finally:
        tab.close()
    problems = []
    if report["sideways"] > 1:
        problems.append(f"the page scrolls {report['sideways']} px sideways")
    if report["clipped"]:
        problems.append(f"content cut off: {report['clipped'][:8]}")
    assert not problems, f"{page} at {PHONE['width']} px:\n- " + "\n- ".join(problems)


# ------------------------------------------------------------------ chapter 4's explorer
EXPLORER_PAGE = "notebooks/04_word2vec.html"
# Inside the explorer's frame: is anything wider than the frame, or taller than its height?
FRAME_FIT_JS = """
(root) => ({
  overflowX: document.documentElement.scrollWidth - window.innerWidth,
  overflowY: document.documentElement.scrollHeight - window.innerHeight,
  rootWidth: root.getBoundingClientRect().width,
})
"""


@functools.cache
def _chapter4_defaults():
    """Chapter 4's default word2vec and product names, trained as the chapter trains them."""
    from sessrec.data import load_dataset
    from sessrec.plots import item_names
    from sessrec.sessions import preprocess, sessionize
    from sessrec.split import next_event_split
    from sessrec.word2vec import Item2Vec

    synthetic = build_info().get("dataset") == "synthetic"
    raw = load_dataset("synthetic" if synthetic else os.environ.get("SESSREC_DATASET", "auto"))
    if not synthetic and raw.attrs["source"] == "synthetic":
        skip_or_fail("the site was built on the real data: set SESSREC_DATA to check its explorer")
    clean = preprocess(raw)
    seed = int(os.environ.get("SESSREC_SEED", "0"))
    split = next_event_split(sessionize(clean), test_size=1000, seed=seed)
    return Item2Vec(seed=1).fit(split.train), item_names(clean)


@pytest.mark.parametrize("width", [1280, 390])
def test_explorer_finds_a_product_and_shows_its_similar_items(width: int, browser, site_url: str):
    """Type part of the best seller's name, choose it: the list shows exactly similar(item, 10)."""
    if EXPLORER_PAGE not in PAGES:
        skip_or_fail(f"the built site has no {EXPLORER_PAGE}")
    model, names = _chapter4_defaults()
    item = model.vocab[np.argmax(model.item_counts_)]
    name = names.get(item, item)
    context, outside = browser
    outside.clear()
    errors: list[str] = []
    tab = context.new_page()
    tab.set_viewport_size({"width": width, "height": 860})
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        tab.goto(site_url + EXPLORER_PAGE, wait_until="load")
        frame = tab.frame_locator("iframe.sessrec-explorer")
        frame.locator("input[type=text]").fill(name[: max(3, len(name) // 2)].lower())
        frame.locator("select").select_option(label=f"{name} ({item})")
        shown = frame.locator('ol.sx-neighbours[data-model="Defaults"] > li')
        shown.nth(9).wait_for(timeout=10_000)
        items = [li.get_attribute("data-item") for li in shown.all()]
        lists = frame.locator("ol.sx-neighbours")  # one per panel, both for the chosen product
        queries = [q.get_attribute("data-item") for q in frame.locator("p.sx-query").all()]
        panels = [lists.nth(i).locator("> li").count() for i in range(lists.count())]
        tab.wait_for_timeout(300)  # the frame resizes itself to its content (ResizeObserver)
        fit = frame.locator("#sx-root").evaluate(FRAME_FIT_JS)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.locator("iframe.sessrec-explorer").screenshot(
            path=str(SCREENSHOTS / f"explorer-{width}.png")
        )
    finally:
        tab.close()
    assert items == model.similar(item, 10)[0].tolist()
    assert panels == [10, 10] and queries == [item, item]
    assert not errors, f"JavaScript errors: {errors}"
    assert not outside, f"the explorer requested other hosts: {outside}"
    assert fit["overflowX"] <= 0, f"the explorer is wider than the page at {width} px: {fit}"
    assert fit["overflowY"] <= 1, f"the explorer's frame does not fit its content: {fit}"
