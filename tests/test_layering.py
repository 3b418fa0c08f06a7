"""The shape of the code: the import graph of `crawler` has no circle, and every module imports
only from its own layer or the layers below it. Every import counts: inside functions, and under
`if TYPE_CHECKING:` too. A source module is a declaration: importing one loads no Scrapy engine, no
store and no Redis."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CRAWLER = Path(__file__).resolve().parent.parent / "crawler"
# lowest first; a package or module of crawler/ by its name under crawler/
LAYERS = (
    # the vocabulary: settings, items, failures, URLs, signals, times
    {
        "",
        "backoff",
        "changes",
        "default_settings",
        "display",
        "environment",
        "failures",
        "gcfreeze",
        "items",
        "logs",
        "netguard",
        "recurring",
        "settings",
        "shared",
        "signals",
        "urls",
    },
    # plain functions over pages and texts, no I/O
    {"extract", "clean", "dedup", "discovery"},
    # the sources: declarations over those functions
    {"sources"},
    # the store, and the threads and processes pages are worked in
    {"store", "pagework", "stages", "setting_types"},
    # the crawl's components: capture, pipelines, monitors, run records, extraction without a crawl,
    # learning a source from its pages
    {
        "archive",
        "learn",
        "downloads",
        "conditional",
        "contracts",
        "incremental",
        "monitors",
        "pipelines",
        "rechecks",
        "process",
        "runs",
    },
    # the spiders, the distributed frontier, re-extraction, the dashboard's pages, alerts
    {"spiders", "frontier", "reextract", "dashboard", "alerts"},
    # fetching on demand, for the API and the CLI
    {"ondemand"},
    # the front ends
    {"api", "cli"},
)
SOURCES = sorted(p.stem for p in (CRAWLER / "sources").glob("*.py") if p.stem not in ("__init__", "spec"))


def modules() -> dict[str, Path]:
    found = {}
    for path in CRAWLER.rglob("*.py"):
        parts = path.relative_to(CRAWLER.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(path: Path) -> set[str]:
    """The crawler modules and names a module imports, inside functions and for annotations too."""
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "crawler" or name.startswith("crawler.")}


def graph() -> dict[str, set[str]]:
    """Module -> the crawler modules it imports (a name imported from a module is that module)."""
    known = modules()

    def module_of(name: str) -> str:
        while name not in known:
            name = name.rsplit(".", 1)[0]
        return name

    return {name: {module_of(n) for n in imported(path)} - {name} for name, path in known.items()}


def unit(module: str) -> str:
    """A module's package or module directly under crawler/ ("" for crawler itself)."""
    return module.split(".")[1] if "." in module else ""


def layer(module: str) -> int:
    return next(n for n, members in enumerate(LAYERS) if unit(module) in members)


def circle(edges: dict[str, set[str]]) -> list[str]:
    """One circle of the graph, or []."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_every_module_is_in_one_layer() -> None:
    units = {unit(m) for m in modules()}
    placed = [u for members in LAYERS for u in members]
    assert len(placed) == len(set(placed))  # in one layer only
    assert sorted(units - set(placed)) == [] and sorted(set(placed) - units) == []


def test_no_module_imports_one_from_a_layer_above_it() -> None:
    upward = sorted(
        f"{module} (layer {layer(module)}) imports {other} (layer {layer(other)})"
        for module, imports in graph().items()
        for other in imports
        if layer(other) > layer(module)
    )
    assert upward == []


def test_the_import_graph_has_no_circle_between_modules_or_between_packages() -> None:
    edges = graph()
    assert circle(edges) == []
    packages: dict[str, set[str]] = {}
    for module, imports in edges.items():
        packages.setdefault(unit(module), set()).update(unit(i) for i in imports if unit(i) != unit(module))
    assert circle(packages) == []


def test_the_checks_see_a_circle_and_an_import_inside_a_function_or_for_annotations(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from crawler.cli import main\n"
        "def f():\n    from crawler.pipelines import MongoPipeline\n    from crawler import api\n"
    )
    assert imported(module) == {
        "crawler.cli",
        "crawler.cli.main",
        "crawler.pipelines",
        "crawler.pipelines.MongoPipeline",
        "crawler",
        "crawler.api",
    }
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert circle({"a": {"b"}, "b": {"c"}}) == []


@pytest.mark.parametrize("source", SOURCES)
def test_a_source_module_is_a_declaration_that_loads_no_crawl_machinery(source: str) -> None:
    check = (
        f"import sys, crawler.sources.{source}\n"
        "loaded = {'pymongo', 'redis', 'twisted.internet.reactor', 'scrapy.crawler'} & set(sys.modules)\n"
        "assert not loaded, sorted(loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")


def test_the_frontier_and_the_floors_never_import_the_pipelines_or_what_is_built_on_them() -> None:
    """Within its layer too: the distributed frontier schedules requests and records rounds; the
    item pipelines are none of its business."""
    floors = ("frontier", "store", "dedup", "extract", "clean", "monitors")
    above = ("crawler.pipelines", "crawler.ondemand", "crawler.cli", "crawler.api", "crawler.spiders")
    crossing = sorted(
        f"{module}: {other}"
        for module, imports in graph().items()
        if unit(module) in floors
        for other in imports
        if other in above or other.startswith(tuple(f"{a}." for a in above))
    )
    assert crossing == []


def matched_by_name_or_message(path: Path) -> list[str]:
    """Lines that tell an exception by its class name (`type(exc).__name__ == ...`) or its text
    (`"..." in str(exc)`, `str(failure.value).startswith(...)`, `failure.getErrorMessage() == ...`),
    also through a name given to either (`exc = failure.value`, `name = type(exc).__name__`)."""
    tree = ast.parse(path.read_text(), str(path))
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return sorted({line for scope in [tree, *scopes] for line in _matches(path.name, scope)})


def _own(scope: ast.AST) -> list[ast.AST]:
    """The nodes of a function (or the module) outside the functions defined in it."""
    nodes, todo = [], list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        nodes.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            todo.extend(ast.iter_child_nodes(node))
    return nodes


def _matches(name: str, scope: ast.AST) -> list[str]:
    """matched_by_name_or_message within one function (or the module): names are its own."""
    own = _own(scope)
    exceptions = {h.name for h in own if isinstance(h, ast.ExceptHandler) and h.name}
    texts: set[str] = set()

    def is_exception(node: ast.AST) -> bool:
        text = ast.unparse(node)
        return text in exceptions or text in ("failure.value", "failure.value.args") or text.endswith(".args")

    def is_text(node: ast.AST) -> bool:
        return any(
            (isinstance(p, ast.Call) and ast.unparse(p.func) == "str" and p.args and is_exception(p.args[0]))
            or (isinstance(p, ast.Attribute) and p.attr == "__name__" and "type(" in ast.unparse(p.value))
            or (isinstance(p, ast.Call) and ast.unparse(p.func).endswith("getErrorMessage"))
            or (isinstance(p, ast.Name) and p.id in texts)
            for p in ast.walk(node)
        )

    for node in own:  # names given to an exception, or to its text or class name
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if is_exception(node.value):
                exceptions.add(node.targets[0].id)
            elif is_text(node.value):
                texts.add(node.targets[0].id)
    found = []
    for node in own:
        if isinstance(node, ast.Compare) and any(is_text(n) for n in (node.left, *node.comparators)):
            found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith", "find", "index")
            and is_text(node.func.value)
        ):
            found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_code_tells_an_exception_by_its_name_or_its_message(tmp_path: Path) -> None:
    assert [line for path in sorted(CRAWLER.rglob("*.py")) for line in matched_by_name_or_message(path)] == []
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(failure):\n"
        "    try:\n        g()\n    except ValueError as exc:\n"
        "        if 'BUSY' in str(exc) or type(exc).__name__ == 'X':\n            pass\n"
        "    if str(failure.value).startswith('Filtered'):\n        pass\n"
        "    if failure.getErrorMessage() == 'x':\n        pass\n"
        "    if __name__ == '__main__':\n        pass\n"
        "    exc = failure.value\n    name = type(exc).__name__\n"
        "    if name == 'DownloadTimeoutError' or 'MAXSIZE' in str(exc):\n        pass\n"
    )
    lines = sorted({int(line.split(":")[1]) for line in matched_by_name_or_message(sample)})
    assert lines == [5, 7, 9, 15]
