"""The docs say what the code does: docs/settings.md documents exactly the settings, docs/schema.md
exactly the document fields; the README stays a newcomer's page that links every docs page."""

import re
from pathlib import Path

from crawler import default_settings
from crawler.items import STORED_FIELDS
from crawler.store.schema import STORE_FIELDS, VALIDATOR

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
SETTINGS = (DOCS / "settings.md").read_text(encoding="utf-8")
SCHEMA = (DOCS / "schema.md").read_text(encoding="utf-8")
SCHEMA_TABLE = SCHEMA.split("## MongoDB document schema", 1)[1].split("\n## ", 1)[0]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def table_names(text: str) -> list[str]:
    return re.findall(r"^\| `([A-Za-z_]+)`", text, flags=re.M)


def test_the_readme_is_a_newcomers_page_that_links_every_docs_page() -> None:
    assert len(README.encode()) <= 15 * 1024
    linked = {target.split("#")[0] for target in LINK.findall(README)}
    assert {f"docs/{p.name}" for p in DOCS.glob("*.md")} <= linked


def anchors(text: str) -> set[str]:
    """GitHub's anchors of a page's headings (code blocks' `#` lines are no headings)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return {
        re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        for title in re.findall(r"^#{1,4} (.+)$", text, flags=re.M)
    }


def test_every_link_between_the_pages_reaches_a_page_and_a_heading_there() -> None:
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    broken = []
    for page in pages:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            found = (page.parent / path).resolve() if path else page
            if not found.exists() or (anchor and anchor not in anchors(found.read_text(encoding="utf-8"))):
                broken.append(f"{page.name}: {target}")
    assert broken == []


def test_every_setting_is_documented_once_and_only_those() -> None:
    names = [n for n in vars(default_settings) if n.isupper() and n != "ENV_SETTINGS"]
    assert sorted(table_names(SETTINGS)) == sorted(names)


def test_each_settings_type_and_range_is_the_one_the_commands_check() -> None:
    from crawler.setting_types import described

    section = SETTINGS
    documented = dict(re.findall(r"^\| `([A-Z_]+)`(?: \*env\*)? \| ([^|]+?) \|", section, flags=re.M))
    assert documented == {name: described(name) for name in documented}
    assert documented["MONGO_BATCH_SIZE"] == "whole number, > 0"


def test_env_settings_are_marked_env_in_the_settings_page() -> None:
    marked = re.findall(r"^\| `([A-Z_]+)` \*env\*", SETTINGS, flags=re.M)
    assert sorted(marked) == sorted(default_settings.ENV_SETTINGS)


def test_every_document_field_is_documented_and_validated() -> None:
    fields = [*STORED_FIELDS, *STORE_FIELDS]
    assert table_names(SCHEMA_TABLE) == fields
    assert sorted(VALIDATOR["$jsonSchema"]["properties"]) == sorted(fields)


def documented_types() -> dict[str, str]:
    return dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|", SCHEMA_TABLE, flags=re.M))


def validator_words(spec: dict) -> str:
    names = {
        "string": "string",
        "date": "date",
        "int": "int",
        "long": "int",
        "double": "double",
        "object": "object",
        "array": "array",
    }
    kinds = spec["bsonType"] if isinstance(spec["bsonType"], list) else [spec["bsonType"]]
    words = list(dict.fromkeys(names[k] for k in kinds if k != "null"))
    text = " or ".join(words)
    if text == "array":
        items = spec["items"]["bsonType"]
        text = "array of " + " or ".join(
            f"{names.get(k, k)}s" for k in ([items] if isinstance(items, str) else items)
        )
    return text + (" or null" if "null" in kinds else "")


def test_documented_types_are_the_validators_types() -> None:
    properties = VALIDATOR["$jsonSchema"]["properties"]
    documented = documented_types()
    assert {name: validator_words(spec) for name, spec in properties.items()} == {
        name: documented[name] for name in properties
    }


def test_nothing_listens_unless_asked(monkeypatch) -> None:
    """Scrapy 2.19 opens a telnet console and a remote-control HTTP server by default."""
    from scrapy.utils.project import get_project_settings

    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False


def test_compose_scales_workers_on_one_persistent_redis_that_only_the_crawler_reaches() -> None:
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    redis = services["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert "ports" not in redis  # private to the compose network
    worker = services["worker"]
    assert not {"ports", "container_name"} & set(worker)  # `--scale worker=4` needs neither
    assert worker["command"] == ["-s", "LOG_FORMAT=json", "worker"]
    for name in ("crawler", "worker"):
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_every_crawler_service_of_compose_reads_the_same_added_sources() -> None:
    """A source added (and enabled) in ./sources is scheduled, crawled by the workers and shown by
    the API alike; only the API cannot change it."""
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("crawler", "worker", "api"):
        assert services[name]["environment"]["SOURCES_DIR"] == "/sources", name
        assert any(v.split(":")[:2] == ["./sources", "/sources"] for v in services[name]["volumes"]), name
    assert "./sources:/sources:ro" in services["api"]["volumes"]


def test_the_image_runs_unprivileged_and_the_api_service_checks_its_health() -> None:
    import yaml

    users = [
        line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("USER ")
    ]
    assert users and users[-1] not in ("root", "0")
    api = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["api"]
    probe = " ".join(api["healthcheck"]["test"])
    assert "http://127.0.0.1:9080/health" in probe and "'Bearer ' + os.environ['API_TOKEN']" in probe


def test_the_layout_names_every_module_and_package_of_crawler() -> None:
    layout = (DOCS / "design.md").read_text(encoding="utf-8")
    parts = [
        p.name
        for p in (ROOT / "crawler").iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py") or (p.is_dir() and (p / "__init__.py").exists())
    ]
    assert len(parts) > 20
    assert [p for p in sorted(parts) if p not in layout] == []


def test_ci_and_pre_commit_make_the_same_checks_with_the_pinned_ruff() -> None:
    """A commit that passes pre-commit passes CI's checks: the same commands, the same ruff."""
    ci = (ROOT / ".ci" / "run").read_text()
    hooks = (ROOT / ".pre-commit-config.yaml").read_text()
    pinned = re.search(r'"ruff==([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned and f"rev: v{pinned[1]}" in hooks
    assert "id: ruff-check" in hooks and "id: ruff-format" in hooks and "args: [--check]" in hooks
    assert "ruff check ." in ci and "ruff format --check ." in ci
    assert "entry: python -m mypy crawler" in hooks and "python -m mypy crawler" in ci


def test_the_index_of_kept_pages_is_documented_with_the_fields_it_validates() -> None:
    from crawler.store.captures import CAPTURE_FIELDS, CAPTURES_VALIDATOR

    evidence = (DOCS / "evidence.md").read_text(encoding="utf-8")
    [listed] = re.findall(r"one document\s+per response record, `\{([a-z_, ]+)\}`", evidence)
    assert listed.split(", ") == list(CAPTURE_FIELDS) == list(CAPTURES_VALIDATOR["$jsonSchema"]["properties"])
