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


# ------------------------------------------------------------- the book standard (GUIDE.md)
#: Chapters written to the book standard: methods from scratch, no visible machinery, exercises
#: with answers that run. Add a chapter here when it is rewritten to the standard.
BOOK_STANDARD_CHAPTERS = [
    "01_data",
    "02_sessions",
    "03_baselines",
    "04_word2vec",
    "05_tuning",
    "06_sweep_analysis",
    "07_leaderboard",
    "08_protocols",
    "09_neighbours",
    "10_recurrent",
]
STANDARD = [NOTEBOOKS / f"{name}.md" for name in BOOK_STANDARD_CHAPTERS]
#: Longest code line that shows without horizontal scrolling in the content column at 1,280 px.
MAX_CODE_LINE = 78


def _meta_cells(path: Path) -> list[tuple[str, str, list[str], dict]]:
    """(cell type, source, tags, mystnb metadata) of every cell."""
    nb = jupytext.read(path)
    return [
        (
            cell.cell_type,
            _source(cell).strip(),
            sorted(cell.metadata.get("tags", [])),
            dict(cell.metadata.get("mystnb", {})),
        )
        for cell in nb.cells
    ]


def _glue_calls(source: str) -> list[ast.Call]:
    return [node for node in ast.walk(_code_ast(source)) if _call_name(node) == "glue"]


def test_standard_chapters_exist():
    for md in STANDARD:
        assert md.is_file(), f"BOOK_STANDARD_CHAPTERS lists {md.name}, which does not exist"


@pytest.mark.parametrize("md", STANDARD, ids=lambda p: p.name)
def test_no_visible_cell_glues(md: Path):
    """Cells that glue numbers for the prose are machinery: they are removed from the page."""
    bad = [
        i
        for i, (kind, source, tags, _m) in enumerate(_meta_cells(md))
        if kind == "code" and "remove-cell" not in tags and _glue_calls(source)
    ]
    assert not bad, f"{md.name}: code cells {bad} call glue(...) but are not tagged remove-cell"


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: p.name)
def test_no_prose_assembled_by_if_else(md: Path):
    """Prose is written, not chosen by code: a claim is backed by a hidden assert instead."""
    if md.stem not in BOOK_STANDARD_CHAPTERS:
        pytest.skip("chapter not yet rewritten to the book standard")
    bad = [
        ast.unparse(call)[:80]
        for kind, source, _t, _m in _meta_cells(md)
        if kind == "code"
        for call in _glue_calls(source)
        if any(isinstance(node, ast.IfExp) for arg in call.args[1:] for node in ast.walk(arg))
    ]
    assert not bad, f"{md.name} glues text chosen by if/else: {bad}"


@pytest.mark.parametrize("md", STANDARD, ids=lambda p: p.name)
def test_visible_code_lines_fit_the_page(md: Path):
    long = [
        line
        for kind, source, tags, _m in _meta_cells(md)
        if kind == "code" and "remove-cell" not in tags
        for line in source.splitlines()
        if len(line) > MAX_CODE_LINE
    ]
    assert not long, f"{md.name}: visible code lines over {MAX_CODE_LINE} characters: {long}"


# A number in a caption or heading is typed by hand; metric names (Recall@10) and model names
# (word2vec) are not numbers.
_NOT_NUMBERS = re.compile(r"@\d+|@k|word2vec|gru4rec|\{[a-z]+\}`[^`]*`", re.IGNORECASE)


@pytest.mark.parametrize("md", STANDARD, ids=lambda p: p.name)
def test_figures_have_alt_text_and_captions_without_numbers(md: Path):
    cells = _meta_cells(md)
    figures = [meta for kind, _s, _t, meta in cells if kind == "code" and "figure" in meta]
    assert figures, f"{md.name} has no captioned figure"
    for meta in figures:
        name = meta["figure"].get("name", "?")
        caption = meta["figure"].get("caption", "")
        alt = meta.get("image", {}).get("alt", "")
        assert caption.strip() and alt.strip(), f"{md.name} {name}: a caption and alt text"
        assert "/" not in alt.split()[0] and len(alt.split()) >= 8, f"{name}: describe the figure"
        assert not re.search(r"\d", _NOT_NUMBERS.sub("", caption)), f"{name}: number in caption"
        assert re.search(r"\b(look|see|note)\b", caption, re.IGNORECASE), (
            f"{md.name} {name}: the caption should say what to look at"
        )


@pytest.mark.parametrize("md", STANDARD, ids=lambda p: p.name)
def test_headings_carry_no_numbers(md: Path):
    headings = [
        line
        for kind, source, _t, _m in _meta_cells(md)
        if kind == "markdown"
        for line in source.splitlines()
        if line.startswith("#")
    ]
    bad = [h for h in headings if re.search(r"\d", _NOT_NUMBERS.sub("", h))]
    assert not bad, f"{md.name}: headings with numbers typed by hand: {bad}"


def _exercises(md: Path) -> list[list[tuple[str, str, list[str], dict]]]:
    """The cells of each exercise, from its numbered question to the next question.

    A markdown cell may end one exercise (its answer) and start the next (the question): it is
    split at every line that starts with a number and a full stop.
    """
    cells = _meta_cells(md)
    start = next(
        i
        for i, (kind, source, _t, _m) in enumerate(cells)
        if kind == "markdown" and re.search(r"^## Exercises\s*$", source, re.M)
    )
    exercises: list[list[tuple[str, str, list[str], dict]]] = []
    for kind, source, tags, meta in cells[start:]:
        if kind != "markdown":
            if exercises:
                exercises[-1].append((kind, source, tags, meta))
            continue
        text = source.split("## Exercises")[-1]
        first, *questions = re.split(r"(?m)^(?=\d+\.\s)", text)
        if exercises and first.strip():
            exercises[-1].append((kind, first, tags, meta))
        for question in questions:
            exercises.append([(kind, question, tags, meta)])
    return exercises


@pytest.mark.parametrize("md", STANDARD, ids=lambda p: p.name)
def test_exercises_have_solutions_that_run_and_answers_with_numbers(md: Path):
    exercises = _exercises(md)
    assert len(exercises) >= 3, f"{md.name}: {len(exercises)} exercises, expected at least 3"
    implement = 0
    for n, cells in enumerate(exercises, start=1):
        solutions = [
            (source, meta)
            for kind, source, tags, meta in cells
            if kind == "code" and "hide-cell" in tags
        ]
        assert len(solutions) == 1, f"{md.name} exercise {n}: one solution cell tagged hide-cell"
        source, meta = solutions[0]
        assert meta.get("code_prompt_show") == "Show the solution", f"{md.name} exercise {n}"
        last = _code_ast(source).body[-1]
        assert isinstance(last, ast.Expr) and _call_name(last.value) != "glue", (
            f"{md.name} exercise {n}: the solution must end by showing its result"
        )
        answers = [
            source
            for kind, source, _t, _m in cells
            if kind == "markdown" and re.search(r":::\{dropdown\} Answer", source)
        ]
        assert answers and GLUE_REF.search(answers[0]), (
            f"{md.name} exercise {n}: an Answer dropdown stating the result with a glued number"
        )
        if "*Implement it yourself.*" in cells[0][1]:
            implement += 1
            checks = [
                source
                for kind, source, tags, _m in cells
                if kind == "code" and "remove-cell" in tags and "assert" in source
            ]
            assert checks, f"{md.name} exercise {n}: a hidden assert checks the implementation"
    assert implement >= 1, f"{md.name}: no '*Implement it yourself.*' exercise"
