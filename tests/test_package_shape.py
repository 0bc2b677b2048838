"""The package's shape: small modules and functions, imports in one direction, a README map.

The engineering standard: no module over 700 lines, no function over 80 (its docstring aside),
imports flowing one way (data -> sessions -> split -> ... -> cli) without cycles, the README's
Architecture table naming every module, and no module growing past its line budget
(``tests/package_budget.toml``) unless the same change raises it.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sessrec"
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80

# Bottom to top; a module imports only from its own layer or the ones before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("sessrec", "_checks", "_io", "_signals", "_pool", "_modelfiles", "_gru4rec_torch"),
    ("data",),
    ("sessions", "_sessions"),
    ("split",),
    ("base",),
    ("metrics", "compare"),
    ("baselines", "knn", "stan", "training", "word2vec", "gru4rec"),
    ("models",),
    ("store",),
    (
        "runs",
        "sweeps",
        "tune",
        "_raytune",
        "leaderboard",
        "_leaderboard_cells",
        "_leaderboard_keep",
        "summary",
    ),
    ("analysis", "_analysis_trials", "_analysis_rungs", "_analysis_gains", "plots", "report"),
    ("results",),
    ("cli", "_cli_args", "__main__"),
)


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    """Index in LAYERS of a module (a subpackage's modules share their package's layer)."""
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "sessrec"
    for i, names in enumerate(LAYERS):
        if key in names:
            return i
    raise AssertionError(f"{module} is in no layer of LAYERS; add it")


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(module: str) -> set[str]:
    """Package modules ``module`` imports at run time (``if TYPE_CHECKING`` blocks aside)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_lines(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in typing_only:
            continue
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            if not node.level:
                target = node.module or ""
            candidates = [f"{target}.{alias.name}" for alias in node.names]
            if not any(c in MODULES for c in candidates):
                candidates = [target]
        else:
            continue
        found.update(c for c in candidates if c in MODULES and c != module)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_700_lines(module: str) -> None:
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_MODULE_LINES, f"{module} has {n} lines; split it along a seam of roles"


BUDGET_FILE = ROOT / "tests" / "package_budget.toml"
#: How far below its budget a module may fall before the budget must be lowered to keep the gain.
BUDGET_SLACK = 20


def _budget_problems(sizes: dict[str, int], budget: dict[str, int]) -> list[str]:
    """What breaks the line budget: modules over it, far under it, or missing from it."""
    problems = []
    for name, n in sorted(sizes.items()):
        if name not in budget:
            problems.append(f"{name} ({n} lines) has no budget: add it")
        elif n > budget[name]:
            problems.append(
                f"{name} has {n} lines, its budget is {budget[name]}: shorten it, or raise its "
                "budget and say in the commit message which feature needs the lines"
            )
        elif n < budget[name] - BUDGET_SLACK:
            problems.append(f"{name} has {n} lines: lower its budget to {n} to keep the gain")
    gone = sorted(budget.keys() - sizes.keys())
    problems += [f"{name} is in the budget but not in the package" for name in gone]
    return problems


def test_no_module_grows_past_its_line_budget() -> None:
    budget = tomllib.loads(BUDGET_FILE.read_text(encoding="utf-8"))["modules"]
    sizes = {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in MODULES.values()
    }
    problems = _budget_problems(sizes, budget)
    assert not problems, f"{BUDGET_FILE.name}: " + "; ".join(problems)


def test_the_budget_check_sees_growth_a_new_module_and_a_kept_gain() -> None:
    budget = {"a.py": 100, "b.py": 100, "gone.py": 5}
    sizes = {"a.py": 101, "b.py": 79, "c.py": 7}
    assert _budget_problems(sizes, budget) == [
        "a.py has 101 lines, its budget is 100: shorten it, or raise its budget and say in the "
        "commit message which feature needs the lines",
        "b.py has 79 lines: lower its budget to 79 to keep the gain",
        "c.py (7 lines) has no budget: add it",
        "gone.py is in the budget but not in the package",
    ]
    assert not _budget_problems({"a.py": 100, "b.py": 80}, {"a.py": 100, "b.py": 100})


def test_no_function_is_over_80_lines_besides_its_docstring() -> None:
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            n = (node.end_lineno or node.lineno) - node.lineno + 1
            doc = node.body[0]
            if ast.get_docstring(node) is not None:
                n -= (doc.end_lineno or doc.lineno) - doc.lineno + 1
            if n > MAX_FUNCTION_LINES:
                long.append(f"{module}.{node.name} ({n} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports of a module from a higher layer than its own."""
    return [
        f"{module} (layer {_layer(module)}) imports {dep} (layer {_layer(dep)})"
        for module, deps in sorted(graph.items())
        for dep in sorted(deps)
        if _layer(dep) > _layer(module)
    ]


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (its modules in order, the first repeated), or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(path: list[str]) -> list[str]:
        state[path[-1]] = 1
        for dep in sorted(graph[path[-1]]):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state and (found := visit([*path, dep])):
                return found
        state[path[-1]] = 2
        return []

    for module in sorted(graph):
        if module not in state and (found := visit([module])):
            return found
    return []


def test_imports_flow_from_lower_layers_to_higher_ones() -> None:
    assert not _upward(GRAPH)


def test_the_imports_have_no_cycle() -> None:
    assert not _cycle(GRAPH), f"import cycle: {' -> '.join(_cycle(GRAPH))}"


def test_the_checks_see_an_upward_import_and_a_cycle() -> None:
    wrong = {**GRAPH, "sessrec.sessions": GRAPH["sessrec.sessions"] | {"sessrec.split"}}
    assert _upward(wrong) == ["sessrec.sessions (layer 2) imports sessrec.split (layer 3)"]
    assert _cycle(wrong) == ["sessrec.sessions", "sessrec.split", "sessrec.sessions"]
    assert "sessrec.sessions" in GRAPH["sessrec.split"]  # the edge the wrong one reverses


def test_readme_architecture_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([A-Za-z_][\w.]*)/?`", section))
    missing = []
    for module in MODULES:
        parts = module.split(".")[1:]
        if not parts or parts[-1] == "__main__":
            continue
        if parts[-1] not in named and ".".join(parts) not in named:
            missing.append(module)
    assert not missing, f"README's Architecture section does not name {missing}"


# What the package must not know of: the book's chapters and result folders, and the issues.
BOOK_WORDS = re.compile(r"\bchapters?\b|benchmarks/results|\bissues?\s*#?\d+", re.IGNORECASE)
# Private attributes of dependencies the package once leaned on (Ray's result grid internals,
# the process pool's worker count); the public APIs replace them.
PRIVATE_APIS = re.compile(r"\._experiment_analysis\b|\._processes\b|\._max_workers\b")


def _book_mentions(text: str) -> list[str]:
    return [m.group(0) for m in BOOK_WORDS.finditer(text)]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_the_package_knows_nothing_of_the_book(module: str) -> None:
    found = _book_mentions(MODULES[module].read_text(encoding="utf-8"))
    assert not found, f"{module} mentions the book or its issues: {found}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_the_package_uses_no_private_api_of_a_dependency(module: str) -> None:
    found = PRIVATE_APIS.findall(MODULES[module].read_text(encoding="utf-8"))
    assert not found, f"{module} uses private APIs: {found}"


def test_the_book_check_sees_a_chapter_and_an_issue() -> None:
    text = "see Chapter 4 and issue #21; benchmarks/results/x; color '#333333'"
    assert _book_mentions(text) == ["Chapter", "issue #21", "benchmarks/results"]
