"""The book's own Sphinx extension, and the chapter list the README shows.

Sphinx side (loaded through ``sphinx.local_extensions`` in ``_config.yml``):

- one copy of each script per page (sphinx-thebe's inline script comes twice otherwise);
- a banner at the top of every page when the chapters run on the synthetic stand-in, and
  ``_static/sessrec-build.json`` saying which data the build used (the browser test reads it);
- the ``results-registry`` directive: the committed results listed in ``book/results.toml``, each
  with the command that regenerates it (``book/reproduce.md``);
- the site's style sheet and script (``book/_static/site/``: numbers that do not wrap, tables
  and equations that fit or scroll);
- the bibliography and citation styles ``sessrec_author_year``: entries labelled and sorted by
  author and year ("Ludewig and Jannach, 2018"), and citations in the text that read the same,
  in parentheses.

Command line: ``python book/_ext/sessrec_book.py --readme`` rewrites the chapter list between the
``<!-- chapters -->`` markers of ``README.md`` from ``_toc.yml``, and the leaderboard's headline
numbers between the ``<!-- leaderboard -->`` markers from the committed leaderboard (``make
sync`` runs it; ``tests/test_book_sources.py`` fails when the README is out of date).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "book" / "results.toml"
README_START = "<!-- chapters: generated from _toc.yml by `make sync`; do not edit -->"
README_END = "<!-- /chapters -->"
LEADERBOARD_START = (
    "<!-- leaderboard: generated from the committed leaderboard by `make sync`; do not edit -->"
)
LEADERBOARD_END = "<!-- /leaderboard -->"
#: The committed leaderboard (`sessrec leaderboard --jobs 2`).
LEADERBOARD = "benchmarks/results/leaderboard"
_SESSIONS_TEXT = {"customer": "customer", "invoice": "invoice", "gap": "30-min gap"}
_PROTOCOL_TEXT = {"last": "last item", "prefix": "session prefix", "temporal": "temporal"}
BUILD_INFO = "sessrec-build.json"
#: Static files of the website (copied to ``_build/html/_static``).
SITE_STATIC = ROOT / "book" / "_static" / "site"
#: The pybtex formatting style of the bibliography (``bibtex_default_style`` in ``_config.yml``).
BIB_STYLE = "sessrec_author_year"
#: The citation style in the text (``bibtex_reference_style``): sphinxcontrib-bibtex's
#: ``author_year`` in parentheses, "(Ludewig and Jannach, 2018; Ludewig et al., 2021)".
CITE_STYLE = "sessrec_author_year"
SYNTHETIC_BANNER = (
    "This copy of the book was built on <strong>synthetic data</strong>: the real Online Retail "
    "file could not be found or downloaded, so every number and figure describes an invented "
    'stand-in, not the shop. <a href="{intro}#how-to-run-it">How to build it on the real data</a>.'
)


# ------------------------------------------------------------------ table of contents
def toc_chapters(root: Path = ROOT) -> list[tuple[int | None, str, str]]:
    """Return ``(number, docname, title)`` of every page in ``_toc.yml``, in order.

    Pages of a part marked ``numbered: true`` get consecutive chapter numbers across parts
    (as the book shows them); other pages get ``None``. The root page is left out.
    """
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages: list[tuple[int | None, str, str]] = []
    number = 0
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            doc = entry["file"]
            if part.get("numbered"):
                number += 1
                pages.append((number, doc, page_title(root, doc)))
            else:
                pages.append((None, doc, page_title(root, doc)))
    return pages


def page_title(root: Path, docname: str) -> str:
    """The first level-1 heading of ``<docname>.md`` (after any front matter)."""
    text = (root / f"{docname}.md").read_text(encoding="utf-8")
    if text.startswith("---"):
        text = text.split("\n---", 1)[1] if "\n---" in text[3:] else text
    match = re.search(r"^# (.+)$", text, flags=re.MULTILINE)
    if not match:
        raise ValueError(f"{docname}.md has no '# Title' heading")
    return match.group(1).strip()


def readme_chapter_list(root: Path = ROOT) -> str:
    """The README's chapter list (Markdown), between its markers."""
    lines = [README_START, ""]
    for number, doc, title in toc_chapters(root):
        if number is not None:
            lines.append(f"{number}. [{title}]({doc}.md)")
    lines += ["", README_END]
    return "\n".join(lines)


def readme_leaderboard(root: Path = ROOT) -> str:
    """The README's leaderboard headline (Markdown), between its markers.

    For each sessionization and protocol of the committed leaderboard: the best model with
    its Recall@10 (the mean over split seeds or cuts, with the bootstrap 95 % interval of it),
    the runner-up, and the tuned word2vec.
    """
    import csv

    lines = [LEADERBOARD_START, ""]
    folder = LEADERBOARD
    if not (root / folder / "leaderboard.csv").is_file():
        lines += ["The leaderboard has not been committed yet (`sessrec leaderboard`).", ""]
        return "\n".join([*lines, LEADERBOARD_END])
    with open(root / folder / "leaderboard.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    manifest = json.loads((root / folder / "manifest.json").read_text(encoding="utf-8"))

    def recall(row: dict[str, str]) -> str:
        value = float(row["recall"])
        if row["recall_low"]:
            return f"{value:.3f} [{float(row['recall_low']):.3f}, {float(row['recall_high']):.3f}]"
        return f"{value:.3f}"

    groups: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault((row["sessionization"], row["protocol"]), []).append(row)
    lines += [
        "| sessions | protocol | best: Recall@10 | runner-up | word2vec, tuned |",
        "| --- | --- | --- | --- | --- |",
    ]
    for (sessions, protocol), group in groups.items():
        best, second = group[0], group[1] if len(group) > 1 else None
        tuned = next((r for r in group if r["model"] == "word2vec-tuned"), None)
        lines.append(
            f"| {_SESSIONS_TEXT.get(sessions, sessions)} | {_PROTOCOL_TEXT.get(protocol, protocol)}"
            f" | {best['label']} {recall(best)}"
            f" | {second['label'] + ' ' + recall(second) if second else '-'}"
            f" | {recall(tuned) if tuned else '-'} |"
        )
    seeds = manifest.get("seeds", {})
    quick = bool(manifest["provenance"]["data"].get("quick"))
    size = manifest.get("test_size")
    cuts = manifest.get("cuts") if "temporal" in manifest.get("protocols", {}) else None
    note = (
        "Recall@10: the mean over split seeds (temporal: over rolling cuts) with its bootstrap "
        f"95% interval; test sessions per cell: {f'{size:,}' if size else '?'}"
        + (" (temporal: every session active in the 30 days after the cut)" if cuts else "")
        + "; split seeds: "
        + ", ".join(f"{k} {len(v)}" for k, v in seeds.items())
        + (f"; temporal cuts: {cuts}" if cuts else "")
        + "; no test set holds a session that selection looked at"
        + f"; from `{folder}`."
    )
    if quick:
        note += (
            " It was computed with `--quick` (fewer queries, one seed, word2vec trained for at "
            "most a few epochs): a preview, not the leaderboard."
        )
    lines += ["", note, "", LEADERBOARD_END]
    return "\n".join(lines)


def _replace_block(text: str, start_marker: str, end_marker: str, block: str) -> str:
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < 0:
        raise ValueError(f"README.md lacks the markers {start_marker!r} ... {end_marker!r}")
    return text[:start] + block + text[end + len(end_marker) :]


def update_readme(root: Path = ROOT) -> bool:
    """Rewrite the chapter list and the leaderboard of ``README.md``; True when it changed."""
    path = root / "README.md"
    text = path.read_text(encoding="utf-8")
    new = _replace_block(text, README_START, README_END, readme_chapter_list(root))
    new = _replace_block(new, LEADERBOARD_START, LEADERBOARD_END, readme_leaderboard(root))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


# ------------------------------------------------------------------ committed results
def load_registry(path: Path = REGISTRY) -> list[dict[str, Any]]:
    """The entries of ``book/results.toml`` (each: title, files, command, time, needs, used_by)."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("result", [])
    required = {"title", "files", "command", "time"}
    for i, entry in enumerate(entries):
        missing = required - set(entry)
        if missing:
            raise ValueError(f"{path.name}: result #{i + 1} lacks {sorted(missing)}")
    return entries


def registry_markdown(entries: list[dict[str, Any]], repo_url: str, branch: str) -> str:
    """MyST Markdown for the reproduce page: one section per committed result."""
    out = []
    for entry in entries:
        files = ", ".join(f"[`{f}`]({repo_url}/blob/{branch}/{f})" for f in entry["files"])
        used = entry.get("used_by", [])
        shown = ", ".join(f"{{doc}}`/{doc}`" for doc in used) if used else "no chapter yet"
        out += [
            f"### {entry['title']}",
            "",
            f"Files\n: {files}",
            "",
            f"Takes here\n: {entry['time']} (2 CPU cores)",
            "",
        ]
        if entry.get("needs"):
            out += [f"Needs\n: {entry['needs']}", ""]
        out += [f"Shown in\n: {shown}", "", "```bash", entry["command"], "```", ""]
    return "\n".join(out)


# ------------------------------------------------------------------ which data
def dataset_in_use() -> str:
    """``"online-retail"`` or ``"synthetic"``: what ``load_dataset(SESSREC_DATASET)`` will use.

    The chapters run in the same environment as the build (``SESSREC_DATASET``,
    ``SESSREC_DATA``, the cache, ``SESSREC_OFFLINE``), so asking the same loader here tells
    which data they use.
    """
    name = os.environ.get("SESSREC_DATASET", "auto")
    if name in ("synthetic", "online-retail"):
        return name
    from sessrec.data import DataError, load_online_retail

    try:
        load_online_retail()
    except DataError:
        return "synthetic"
    return "online-retail"


# ------------------------------------------------------------------ Sphinx
def setup(app: Any) -> dict[str, Any]:
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class ResultsRegistry(SphinxDirective):
        """Render ``book/results.toml``: each committed result and how to regenerate it."""

        def run(self) -> list[Any]:
            self.env.note_dependency(str(REGISTRY))
            options = self.config.html_theme_options
            repo = options.get("repository_url", "").rstrip("/")
            branch = options.get("repository_branch", "main")
            text = registry_markdown(load_registry(), repo, branch)
            container = _container()
            self.state.nested_parse(StringList(text.splitlines(), REGISTRY.name), 0, container)
            return container.children

    app.add_directive("results-registry", ResultsRegistry)
    _register_bibliography_style()
    app.connect("builder-inited", _add_site_static)
    app.add_css_file("sessrec.css")
    app.add_js_file("sessrec.js")
    app.connect("builder-inited", _decide_dataset)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _write_build_info)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def _add_site_static(app: Any) -> None:
    if str(SITE_STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(SITE_STATIC))


def author_year_label(persons: list[Any], year: str) -> str:
    """The label of a bibliography entry: "Chen, 2015", "Ludewig and Jannach, 2018", "Li et al.".

    Parameters
    ----------
    persons : list of pybtex.database.Person
        The entry's authors (or editors), in order.
    year : str

    Returns
    -------
    str
    """
    from pybtex.richtext import Text

    def last(person: Any) -> str:
        name = " ".join(person.prelast_names + person.last_names)
        return str(Text.from_latex(name).render_as("text"))

    names = [last(p) for p in persons]
    if not names:
        who = "Anonymous"
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {year}" if year else who


def _persons(entry: Any) -> list[Any]:
    return entry.persons.get("author") or entry.persons.get("editor") or []


def author_year_labels(entries: list[tuple[list[Any], str]]) -> list[str]:
    """Labels of entries in bibliography order; equal labels get "a", "b", ... after the year.

    Parameters
    ----------
    entries : list of (persons, year)

    Returns
    -------
    list of str
    """
    labels = [author_year_label(persons, year) for persons, year in entries]
    repeated = {label for label in labels if labels.count(label) > 1}
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        if label in repeated:
            seen[label] = seen.get(label, 0) + 1
            label += "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
        out.append(label)
    return out


def _sort_text(text: str) -> str:
    """``text`` without accents, case-folded: "Řehůřek" sorts with "Rehurek"."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


def _register_bibliography_style() -> None:
    """Register :data:`BIB_STYLE`: pybtex's ``unsrt`` entries, author-year labels and order."""
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle
    from pybtex.style.sorting import BaseSortingStyle

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries: Any) -> Any:
            entries = [(_persons(e), e.fields.get("year", "")) for e in sorted_entries]
            yield from author_year_labels(entries)

    class AuthorYearOrder(BaseSortingStyle):
        def sorting_key(self, entry: Any) -> tuple[str, str, str]:
            label = author_year_label(_persons(entry), "")
            return _sort_text(label), entry.fields.get("year", ""), entry.fields.get("title", "")

    class AuthorYearStyle(UnsrtStyle):
        default_label_style = AuthorYearLabels
        default_sorting_style = AuthorYearOrder

    register_plugin("pybtex.style.formatting", BIB_STYLE, AuthorYearStyle, force=True)
    _register_citation_style()


def _register_citation_style() -> None:
    """Register :data:`CITE_STYLE`: author-year citations in parentheses, separated by "; "."""
    from dataclasses import dataclass, field

    from sphinxcontrib.bibtex.plugin import register_plugin
    from sphinxcontrib.bibtex.style.referencing import BracketStyle
    from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

    def parentheses() -> BracketStyle:
        return BracketStyle(left="(", right=")", sep="; ")

    @dataclass
    class AuthorYearInParentheses(AuthorYearReferenceStyle):
        bracket_parenthetical: BracketStyle = field(default_factory=parentheses)
        bracket_textual: BracketStyle = field(default_factory=parentheses)

    register_plugin(
        "sphinxcontrib.bibtex.style.referencing", CITE_STYLE, AuthorYearInParentheses, force=True
    )


def _container() -> Any:
    from docutils import nodes

    return nodes.container()


def _decide_dataset(app: Any) -> None:
    app.sessrec_dataset = dataset_in_use()


def _page_context(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if getattr(app, "sessrec_dataset", None) == "synthetic":
        intro = context["pathto"]("book/intro")
        intro = "" if intro.startswith("#") else intro  # on the intro page itself
        context["theme_announcement"] = SYNTHETIC_BANNER.format(intro=intro)
    # sphinx-thebe registers its inline script twice under jupyter-book 1.x, and the second
    # `const THEBE_JS_URL` is a JavaScript error in every page: keep each script once.
    scripts, seen = [], set()
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {}) or {}
        key = (getattr(script, "filename", None) or None, sorted(attributes.items()))
        if repr(key) not in seen:
            seen.add(repr(key))
            scripts.append(script)
    context["script_files"] = scripts


def _write_build_info(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    info = {"dataset": getattr(app, "sessrec_dataset", None), "banner": "synthetic data"}
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--readme"]:
        sys.exit("usage: python book/_ext/sessrec_book.py --readme")
    changed = update_readme()
    print("README.md chapter list and leaderboard " + ("updated" if changed else "up to date"))
