"""The floors of the code: the stages' plain functions and the store know nothing of the crawl that
uses them. No module of frontier/, store/, dedup/, extract/, clean/, nor monitors.py, imports the
item pipelines or what is built on them (on-demand fetch, the CLI, the API), even inside a function."""

import ast
from pathlib import Path

CRAWLER = Path(__file__).resolve().parent.parent / "crawler"
LOWER = [
    *(p for d in ("frontier", "store", "dedup", "extract", "clean") for p in (CRAWLER / d).rglob("*.py")),
    CRAWLER / "monitors.py",
]
ABOVE = ("crawler.pipelines", "crawler.ondemand", "crawler.cli", "crawler.api")


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_lower_floors_never_import_the_pipelines_or_what_is_built_on_them() -> None:
    assert len(LOWER) > 30  # the packages are where this test looks for them
    crossing = {
        f"{path.relative_to(CRAWLER)}: {name}"
        for path in LOWER
        for name in imported(path)
        if name in ABOVE or name.startswith(tuple(f"{a}." for a in ABOVE))
    }
    assert crossing == set()


def test_the_check_sees_an_import_from_above_even_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from crawler.pipelines import MongoPipeline\n    from crawler import api\n"
    )
    assert {"crawler.pipelines", "crawler.pipelines.MongoPipeline", "crawler.api"} <= imported(module)
