"""The book's sources agree with each other: table of contents, README, results registry, citations.

These need no build; tests/test_site.py and tests/test_browser.py check the built website.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "book").glob("*.md")) + sorted((ROOT / "notebooks").glob("*.md"))
RESULT_READERS = {"result_path", "read_result_json", "read_result_text"}


def _load_ext():
    spec = importlib.util.spec_from_file_location(
        "sessrec_book", ROOT / "book" / "_ext" / "sessrec_book.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sessrec_book", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


EXT = _load_ext()


def _committed(pattern: str) -> list[str]:
    """Files git tracks that match a pathspec (files on disk when git is not available)."""
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        out = subprocess.run(
            [git, "ls-files", "--", pattern], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return sorted(out.stdout.split())
    return sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern) if p.is_file())


def test_every_toc_page_exists_and_has_a_title():
    pages = EXT.toc_chapters(ROOT)
    assert pages, "_toc.yml lists no pages"
    for _number, doc, title in pages:
        assert (ROOT / f"{doc}.md").is_file(), f"_toc.yml lists {doc}, which does not exist"
        assert title


def test_readme_chapter_list_matches_the_toc():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert EXT.readme_chapter_list(ROOT) in readme, (
        "README.md's chapter list is out of date: run `make sync`"
    )


def test_readme_leaderboard_matches_the_committed_results():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = EXT.readme_leaderboard(ROOT)
    assert block in readme, "README.md's leaderboard is out of date: run `make sync`"


def test_readme_leaderboard_rows(tmp_path):
    import json
    import shutil

    (tmp_path / "README.md").write_text(
        f"x\n{EXT.README_START}\n{EXT.README_END}\n{EXT.LEADERBOARD_START}\n"
        f"{EXT.LEADERBOARD_END}\n",
        encoding="utf-8",
    )
    shutil.copy(ROOT / "_toc.yml", tmp_path / "_toc.yml")
    for _n, doc, _t in EXT.toc_chapters(ROOT):
        (tmp_path / f"{doc}.md").parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / f"{doc}.md", tmp_path / f"{doc}.md")
    assert "not been committed yet" in EXT.readme_leaderboard(tmp_path)
    folder = tmp_path / EXT.LEADERBOARD
    folder.mkdir(parents=True)
    header = (
        "sessionization,protocol,model,label,n_seeds,n_test,recall,recall_std,recall_low,"
        "recall_high"
    )
    rows = [
        "customer,last,sr,SR,1,300,0.3,,0.25,0.35",
        "customer,last,word2vec-tuned,Word2vec (tuned),1,300,0.2,,0.15,0.25",
        "invoice,prefix,sknn,SKNN,5,300,0.4,0.01,0.38,0.42",
    ]
    (folder / "leaderboard.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    manifest = {"test_size": 300, "seeds": {"customer": [0]}, "cuts": 3}
    manifest["protocols"] = {"last": "", "prefix": "", "temporal": ""}
    manifest["provenance"] = {"data": {"quick": True}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    block = EXT.readme_leaderboard(tmp_path)
    assert "| customer | last item | SR 0.300 [0.250, 0.350] | Word2vec (tuned) 0.200" in block
    assert "| invoice | session prefix | SKNN 0.400 [0.380, 0.420] | - | - |" in block
    assert "computed with `--quick`" in block and "temporal cuts: 3" in block
    assert EXT.update_readme(tmp_path) is True and EXT.update_readme(tmp_path) is False
    shutil.rmtree(folder)


def test_readme_screenshot_is_committed_and_small():
    shot = ROOT / "book" / "_static" / "screenshot.png"
    assert shot.is_file(), "book/_static/screenshot.png is missing: run `make readme-screenshot`"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size < 400_000
    assert "(book/_static/screenshot.png)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_intro_maps_every_chapter():
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    assert "```{tableofcontents}" in intro, "the intro's chapter map is the {tableofcontents}"


# ------------------------------------------------------------------ committed results
REGISTRY = EXT.load_registry()
REGISTERED = {f for entry in REGISTRY for f in entry["files"]}


def test_every_committed_result_is_registered():
    committed = [f for f in _committed("*results/*") if not f.endswith("README.md")]
    missing = sorted(set(committed) - REGISTERED)
    assert not missing, f"committed results missing from book/results.toml: {missing}"


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e["files"][0])
def test_registered_results_exist_and_name_their_chapters(entry: dict):
    for file in entry["files"]:
        assert (ROOT / file).is_file(), f"book/results.toml lists {file}, which does not exist"
    assert entry["command"].strip() and entry["time"].strip()
    toc = {doc for _n, doc, _t in EXT.toc_chapters(ROOT)}
    for doc in entry.get("used_by", []):
        assert (ROOT / f"{doc}.md").is_file(), f"used_by names {doc}, which does not exist"
        assert doc in toc or doc.startswith("notebooks/"), doc


def _result_reads(md: Path) -> set[str]:
    import jupytext

    reads = set()
    for cell in jupytext.read(md).cells:
        if cell.cell_type != "code":
            continue
        lines = [ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            func = getattr(node, "func", None)
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if isinstance(node, ast.Call) and name in RESULT_READERS and node.args:
                if isinstance(node.args[0], ast.Constant):
                    reads.add(node.args[0].value)
    return reads


@pytest.mark.parametrize("md", sorted((ROOT / "notebooks").glob("*.md")), ids=lambda p: p.name)
def test_files_chapters_read_are_registered(md: Path):
    unregistered = sorted(_result_reads(md) - REGISTERED)
    assert not unregistered, (
        f"{md.name} reads {unregistered}: add them to book/results.toml with the command that "
        "regenerates them"
    )
    for rel in _result_reads(md):
        entry = next(e for e in REGISTRY if rel in e["files"])
        assert f"notebooks/{md.stem}" in entry.get("used_by", []), (
            f"book/results.toml: add notebooks/{md.stem} to used_by of {rel}"
        )


# ------------------------------------------------------------------ references
BIB_KEYS = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text(), re.M))
CITES = {
    key.strip()
    for md in SOURCES
    for keys in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", md.read_text(encoding="utf-8"))
    for key in keys.split(",")
}


def test_every_citation_is_in_the_bibliography():
    assert not CITES - BIB_KEYS, f"cited but not in book/references.bib: {CITES - BIB_KEYS}"


def test_every_bibliography_entry_is_cited():
    assert not BIB_KEYS - CITES, f"in book/references.bib but cited nowhere: {BIB_KEYS - CITES}"


def test_book_build_is_strict():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "jupyter-book build . -W -n --keep-going" in makefile


# ------------------------------------------------------------------ front and back matter
def test_intro_says_whom_the_book_is_for_and_what_it_assumes():
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    assert "## Who this book is for" in intro
    for prerequisite in ("Python", "pandas", "probability"):
        assert prerequisite in intro, f"the intro does not say it assumes {prerequisite}"


def test_back_matter_has_glossary_performance_and_index():
    docs = [doc for _n, doc, _t in EXT.toc_chapters(ROOT)]
    for page in ("book/glossary", "book/performance", "book/reproduce", "book/references"):
        assert page in docs, f"_toc.yml does not list {page}"
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    assert "```{glossary}" in glossary and "<genindex>" in glossary
    for term in ("session", "query", "truth", "Recall@k", "MRR@k", "NDCG@k", "epoch", "rung"):
        assert re.search(rf"^{re.escape(term)}$", glossary, re.M), f"glossary lacks {term!r}"


def test_every_glossary_term_a_chapter_links_is_defined():
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    block = glossary.split("```{glossary}")[1].split("```")[0]
    defined = {line.strip().lower() for line in block.splitlines() if re.match(r"^\S", line)}
    used = {
        (target or text).strip().lower()
        for md in SOURCES
        for text, target in re.findall(
            r"\{term\}`([^<`]+?)(?:\s*<([^>]+)>)?`", md.read_text(encoding="utf-8")
        )
    }
    assert used, "no chapter links a glossary term"
    assert not used - defined, f"{{term}} links to undefined glossary terms: {used - defined}"


def test_bibliography_is_author_year():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    assert config["bibtex_reference_style"] == EXT.CITE_STYLE
    assert config["bibtex_default_style"] == EXT.BIB_STYLE
    EXT._register_bibliography_style()
    from sphinxcontrib.bibtex.plugin import find_plugin
    from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

    style = find_plugin("sphinxcontrib.bibtex.style.referencing", EXT.CITE_STYLE)()
    assert isinstance(style, AuthorYearReferenceStyle)
    assert style.bracket_parenthetical.left == "(" and style.bracket_parenthetical.sep == "; "


def test_author_year_labels():
    from pybtex.database import Person

    def label(*names: str, year: str = "2018") -> str:
        return EXT.author_year_label([Person(n) for n in names], year)

    assert label("Chen, Daqing", year="2015") == "Chen, 2015"
    assert label("Ludewig, Malte", "Jannach, Dietmar") == "Ludewig and Jannach, 2018"
    assert label("Li, Liam", "Jamieson, Kevin", "Recht, Ben") == "Li et al., 2018"
    assert label("{\\v R}eh{\\r u}{\\v r}ek, Radim", "Sojka, Petr", year="2010") == (
        "Řehůřek and Sojka, 2010"
    )
    assert label("van der Maaten, Laurens", "Hinton, G.", year="2008") == (
        "van der Maaten and Hinton, 2008"
    )
    assert label("{Cloudera Fast Forward}", year="2021") == "Cloudera Fast Forward, 2021"


def test_equal_author_year_labels_get_letters():
    from pybtex.database import Person

    mikolov = [Person("Mikolov, Tomas"), Person("Chen, Kai"), Person("Dean, J.")]
    labels = EXT.author_year_labels([(mikolov, "2013"), (mikolov, "2013"), (mikolov, "2014")])
    assert labels == ["Mikolov et al., 2013a", "Mikolov et al., 2013b", "Mikolov et al., 2014"]
