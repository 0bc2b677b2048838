"""Every MyST notebook in notebooks/ has a stripped .ipynb twin with identical cells.

The .md file is the source people edit; the .ipynb is what Colab opens and nbmake runs. They are
kept in step with ``jupytext --sync notebooks/<name>.md``; these tests fail when someone edits one
without syncing, or commits a notebook with outputs.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MARKDOWN = sorted(NOTEBOOKS.glob("*.md"))
IPYNB = sorted(NOTEBOOKS.glob("*.ipynb"))
SYNC_HINT = "run `.venv/bin/jupytext --sync notebooks/{name}.md`"


def _source(cell) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _cells(path: Path) -> list[tuple[str, str, list[str]]]:
    """Return (cell type, source, tags) of every cell of a notebook read by jupytext."""
    nb = jupytext.read(path)
    return [
        (cell.cell_type, _source(cell).strip(), sorted(cell.metadata.get("tags", [])))
        for cell in nb.cells
    ]


def test_there_are_notebooks():
    assert MARKDOWN, f"no MyST notebooks found in {NOTEBOOKS}"


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_markdown_notebook_has_ipynb_twin(md: Path):
    twin = md.with_suffix(".ipynb")
    assert twin.exists(), f"{twin.name} is missing: " + SYNC_HINT.format(name=md.stem)


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_markdown_is_a_paired_myst_notebook(md: Path):
    nb = jupytext.read(md)
    meta = nb.metadata
    assert meta.get("kernelspec", {}).get("name") == "python3", f"{md.name}: kernelspec python3"
    formats = meta.get("jupytext", {}).get("formats", "")
    assert set(formats.split(",")) == {"ipynb", "md:myst"}, (
        f"{md.name}: jupytext formats are {formats!r}, expected 'ipynb,md:myst'"
    )
    assert meta["jupytext"]["text_representation"]["format_name"] == "myst"


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_twin_has_identical_cells(md: Path):
    twin = md.with_suffix(".ipynb")
    if not twin.exists():
        pytest.skip("twin missing (reported by test_markdown_notebook_has_ipynb_twin)")
    text_cells, ipynb_cells = _cells(md), _cells(twin)
    assert len(text_cells) == len(ipynb_cells), (
        f"{md.name} has {len(text_cells)} cells, {twin.name} has {len(ipynb_cells)}: "
        + SYNC_HINT.format(name=md.stem)
    )
    for i, (a, b) in enumerate(zip(text_cells, ipynb_cells, strict=True)):
        assert a == b, f"cell {i} differs between {md.name} and {twin.name}: " + SYNC_HINT.format(
            name=md.stem
        )


@pytest.mark.parametrize("ipynb", IPYNB, ids=lambda p: p.name)
def test_ipynb_has_no_outputs_and_a_markdown_source(ipynb: Path):
    assert ipynb.with_suffix(".md").exists(), (
        f"{ipynb.name} has no .md source; create it with "
        f"`.venv/bin/jupytext --set-formats ipynb,md:myst notebooks/{ipynb.name}`"
    )
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{ipynb.name} cell {i} has outputs: strip them"
        assert cell.get("execution_count") is None, (
            f"{ipynb.name} cell {i} has execution_count {cell['execution_count']}: strip it"
        )


# ------------------------------------------------------------------ chapter conventions
GLUE_REF = re.compile(r"\{glue(?::[a-z]+)?\}`([A-Za-z0-9_]+)")
GLUE_CALL = re.compile(r"""glue\(\s*(f?)(["'])(.+?)\2(\s*\+)?""")


def _glued_patterns(md: Path) -> list[re.Pattern[str]]:
    """Regexes for every key a code cell glues.

    An f-string field, or whatever is concatenated after a literal prefix, matches any
    identifier characters.
    """
    patterns = []
    for kind, source, _tags in _cells(md):
        if kind != "code":
            continue
        for is_f, _quote, key, plus in GLUE_CALL.findall(source):
            if plus:
                patterns.append(re.compile(re.escape(key) + "[A-Za-z0-9_]+"))
            elif is_f:
                parts = re.split(r"\{[^}]*\}", key)
                patterns.append(re.compile("[A-Za-z0-9_]+".join(map(re.escape, parts))))
            else:
                patterns.append(re.compile(re.escape(key)))
    return patterns


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_every_glue_reference_is_glued(md: Path):
    patterns = _glued_patterns(md)
    prose = "\n".join(src for kind, src, _t in _cells(md) if kind == "markdown")
    missing = sorted(
        {key for key in GLUE_REF.findall(prose) if not any(p.fullmatch(key) for p in patterns)}
    )
    assert not missing, f"{md.name} refers to glue keys no code cell glues: {missing}"


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_one_parameters_cell_overridable_from_environment(md: Path):
    cells = [src for kind, src, tags in _cells(md) if kind == "code" and "parameters" in tags]
    assert len(cells) == 1, f"{md.name} has {len(cells)} cells tagged 'parameters', expected 1"
    assert "os.environ" in cells[0], (
        f"{md.name}: parameters must be overridable from the environment"
    )
    assert "QUICK" in cells[0] and "SEED" in cells[0], f"{md.name}: parameters need QUICK and SEED"


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_chapter_ends_with_summary_and_exercises(md: Path):
    headings = [
        line.lstrip("#").strip()
        for kind, src, _t in _cells(md)
        if kind == "markdown"
        for line in src.splitlines()
        if re.match(r"^##\s", line)
    ]
    assert headings[-2:] == ["Summary", "Exercises"], (
        f"{md.name}: the last two sections are {headings[-2:]}, expected Summary, Exercises"
    )


# ------------------------------------------------------------- what a reader sees, Colab
ROOT = NOTEBOOKS.parent
RESULT_READERS = {"result_path", "read_result_json", "read_result_text"}


def _code_ast(source: str) -> ast.Module:
    """Parse a code cell, with IPython magics (``%pip ...``, ``!cmd``) blanked out."""
    lines = [
        line[: len(line) - len(line.lstrip())] + "pass"
        if line.lstrip().startswith(("%", "!"))
        else line
        for line in source.splitlines()
    ]
    return ast.parse("\n".join(lines))


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_cells_that_only_glue_show_nothing(md: Path):
    """A cell ending in a bare ``glue(...)`` would print the glued value as a stray output."""
    bad = []
    for i, (kind, source, _tags) in enumerate(_cells(md)):
        if kind != "code" or not source:
            continue
        body = _code_ast(source).body
        if not body or not isinstance(body[-1], ast.Expr):
            continue
        if _call_name(body[-1].value) == "glue" and not source.rstrip().endswith(";"):
            bad.append(i)
    assert not bad, (
        f"{md.name} code cells {bad} end with a bare glue(...): the glued value would show as "
        "a stray output; end the line with ';' or show something meaningful last"
    )


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_colab_setup_cell_installs_from_the_repository(md: Path):
    from sessrec.results import REPOSITORY_URL

    cells = [src for kind, src, _t in _cells(md) if kind == "code" and "google.colab" in src]
    assert len(cells) == 1, f"{md.name}: expected one Colab setup cell, found {len(cells)}"
    assert f"git+{REPOSITORY_URL}" in cells[0], (
        f"{md.name}: the Colab setup cell must install sessrec from {REPOSITORY_URL} "
        "(repository.url in _config.yml)"
    )


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_committed_files_are_read_through_sessrec_results(md: Path):
    """On Colab only the notebook is there: committed files come through sessrec.results."""
    bad = []
    for kind, source, _tags in _cells(md):
        if kind != "code":
            continue
        tree = _code_ast(source)
        allowed = {
            id(arg)
            for node in ast.walk(tree)
            if _call_name(node) in RESULT_READERS
            for arg in node.args[:1]
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value
            if id(node) in allowed or not text or "\n" in text or len(text) > 200:
                continue
            looks_relative = text.startswith(("../", "./"))
            committed = any((base / text).is_file() for base in (ROOT, NOTEBOOKS))
            if looks_relative or committed:
                bad.append(text)
    assert not bad, (
        f"{md.name} reads repository files by relative path {bad}: use "
        "sessrec.results.read_result_json / read_result_text / result_path, which also work "
        "on Colab"
    )
