"""Sources kept as data: one TOML file per site in the folder SOURCES_DIR names (`crawler source
add` writes them; an operator reviews and edits them). A file becomes the same `SourceSpec` a
source module declares, checked the same way and more (every key known, every selector and regex
compiled), so a typo is one line naming the file before any crawl starts.

Next to `NAME.toml`, the folder `NAME/` keeps the source's evidence: the pages it was learned from
(`pages/*.html.gz`, their URLs in `pages.json`), their expected articles (`expected/*.json`) and
the report of how it was learned (`report.md`); `crawler source check NAME` re-runs them.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w
from cssselect import SelectorError

from crawler.extract.article import Layout, Selectors
from crawler.extract.html import css
from crawler.failures import BadSetting
from crawler.sources.spec import SourceSpec

SUFFIX = ".toml"
PAGES, EXPECTED, INDEX, REPORT = "pages", "expected", "pages.json", "report.md"  # the evidence folder's
LIST_KEYS = ("domains", "start_urls", "noise", "pagination", "names")
TEXT_KEYS = ("article_pattern", "article_id", "canonical_url", "timezone")
SELECTOR_KEYS = ("title", "body", "time", "author", "origin")
LAYOUT_KEYS = frozenset({"name", "marker", *SELECTOR_KEYS})
KEYS = frozenset({"name", "enabled", "layouts", "learned", "generic_share", *LIST_KEYS, *TEXT_KEYS})


@dataclass(frozen=True)
class SourceFile:
    """One source file: its spec, whether the operator enabled it, where it is."""

    spec: SourceSpec
    enabled: bool
    path: Path

    @property
    def evidence(self) -> Path:
        """The folder of the pages the source was learned from and their expected articles."""
        return self.path.with_suffix("")


def source_files(folder: str | Path) -> Iterator[SourceFile]:
    """Every `*.toml` of the folder, read and checked; no folder, no files. Raises BadSetting."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        yield read_source(path)


def read_source(path: Path) -> SourceFile:
    """The source file at `path`. Raises BadSetting naming the file and what is wrong in it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return SourceFile(_spec(data, path.stem), _flag(data), path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
        raise BadSetting(f"{path}: {exc}") from None


def write_source(folder: Path, spec: SourceSpec, enabled: bool, learned: dict[str, Any]) -> Path:
    """Writes `NAME.toml` (replacing an earlier one) and returns its path; `learned` says how the
    source was made (kept in the file, for whoever reviews it)."""
    data: dict[str, Any] = {
        "name": spec.name,
        "enabled": enabled,
        "domains": list(spec.domains),
        "start_urls": list(spec.start_urls),
        "article_pattern": spec.article_pattern,
        "article_id": spec.article_id,
        "canonical_url": spec.canonical_url,
        "timezone": spec.timezone,
        "noise": list(spec.noise),
        "pagination": list(spec.pagination),
        "names": list(spec.names),
        "generic_share": spec.generic_share,
        "learned": learned,
        "layouts": [_layout_data(layout) for layout in spec.layouts],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{spec.name}{SUFFIX}"
    _replace(path, tomli_w.dumps(data))
    return path


def _replace(path: Path, text: str) -> None:
    """The file whole or not at all: a full disk never leaves a torn source file, which would
    stop every command (its name does not end in `.toml` until it is whole)."""
    part = path.with_name(f".{path.name}.part")
    try:
        with part.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


@dataclass(frozen=True)
class Fixture:
    """One page a source was learned from, as fetched, and the article the source made of it."""

    name: str
    url: str
    content_type: str | None
    body: bytes
    expected: dict[str, Any]


def write_evidence(folder: Path, fixtures: list[Fixture], report: str) -> None:
    """Writes the source's evidence folder anew: its pages, their expected articles, the report;
    written aside and moved in place whole, so a full disk leaves the old evidence as it was."""
    part = folder.with_name(f".{folder.name}.part")
    shutil.rmtree(part, ignore_errors=True)
    try:
        (part / PAGES).mkdir(parents=True)
        (part / EXPECTED).mkdir()
        index = {}
        for fixture in fixtures:
            (part / PAGES / f"{fixture.name}.html.gz").write_bytes(gzip.compress(fixture.body))
            text = json.dumps(fixture.expected, ensure_ascii=False, indent=1, sort_keys=True)
            (part / EXPECTED / f"{fixture.name}.json").write_text(text + "\n", encoding="utf-8")
            index[fixture.name] = {"url": fixture.url, "content_type": fixture.content_type}
        (part / INDEX).write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        (part / REPORT).write_text(report, encoding="utf-8")
    except OSError:
        shutil.rmtree(part, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    part.rename(folder)


def read_fixtures(folder: Path) -> Iterator[Fixture]:
    """The evidence's pages and expected articles. Raises BadSetting naming a file that is missing
    or torn."""
    try:
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
        for name, entry in index.items():
            body = gzip.decompress((folder / PAGES / f"{name}.html.gz").read_bytes())
            expected = json.loads((folder / EXPECTED / f"{name}.json").read_text(encoding="utf-8"))
            yield Fixture(name, entry["url"], entry.get("content_type"), body, expected)
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise BadSetting(f"{folder}: its evidence cannot be read ({exc})") from None


def set_enabled(path: Path, enabled: bool) -> None:
    """Enables or disables a source file, keeping everything else in it."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    _replace(path, tomli_w.dumps({**data, "enabled": enabled}))


def _layout_data(layout: Layout) -> dict[str, Any]:
    data: dict[str, Any] = {"name": layout.name}
    if layout.marker:
        data["marker"] = layout.marker
    for key in SELECTOR_KEYS:
        data[key] = list(getattr(layout.selectors, key))
    return data


def _flag(data: dict[str, Any]) -> bool:
    enabled = data.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ValueError(f"enabled must be true or false, not {enabled!r}")
    return enabled


def _spec(data: dict[str, Any], stem: str) -> SourceSpec:
    if unknown := sorted(set(data) - KEYS):
        raise ValueError(f"unknown key(s) {', '.join(unknown)}")
    if data.get("name", stem) != stem:
        raise ValueError(f"name {data['name']!r} is not the file's name {stem!r}")
    if "article_pattern" not in data:
        raise ValueError("article_pattern is missing")
    lists = {key: tuple(_strings(data, key)) for key in LIST_KEYS}
    texts = {key: _text(data, key) if key in data else "" for key in TEXT_KEYS}
    if not lists["domains"]:
        raise ValueError("domains is missing: the hosts the source owns")
    for key in ("article_pattern", "article_id"):
        _regex(texts[key], key)
    if texts["timezone"]:
        try:
            ZoneInfo(texts["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {texts['timezone']!r} is not a time zone") from None
    for selector in (*lists["noise"], *lists["pagination"]):
        _selector(selector, "noise/pagination")
    generic_share = data.get("generic_share", 0.0)
    if isinstance(generic_share, bool) or not isinstance(generic_share, int | float):
        raise ValueError(f"generic_share must be a number from 0 to 1, not {generic_share!r}")
    layouts = data.get("layouts", [])
    if not isinstance(layouts, list):
        raise ValueError("layouts must be an array of tables ([[layouts]])")
    return SourceSpec(
        name=stem,
        domains=lists["domains"],
        start_urls=lists["start_urls"],
        noise=lists["noise"],
        pagination=lists["pagination"],
        names=lists["names"],
        article_pattern=texts["article_pattern"],
        article_id=texts["article_id"],
        canonical_url=texts["canonical_url"],
        timezone=texts["timezone"] or "Asia/Shanghai",
        layouts=tuple(_layout(entry) for entry in layouts),
        generic_share=float(generic_share),
    )


def _layout(data: Any) -> Layout:
    if not isinstance(data, dict):
        raise ValueError("layouts must be an array of tables ([[layouts]])")
    if unknown := sorted(set(data) - LAYOUT_KEYS):
        raise ValueError(f"layout: unknown key(s) {', '.join(unknown)}")
    name = _text(data, "name") if "name" in data else ""
    if not name:
        raise ValueError("a layout needs a name")
    marker = _text(data, "marker") if "marker" in data else None
    if marker:
        _selector(marker, f"layout {name}: marker")
    selectors = {key: tuple(_strings(data, key)) for key in SELECTOR_KEYS}
    for key, values in selectors.items():
        for selector in values:
            _selector(selector, f"layout {name}: {key}")
    if not selectors["body"]:
        raise ValueError(f"layout {name}: body selectors are missing")
    return Layout(name, Selectors(**selectors), marker or None)


def _strings(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be an array of strings")
    return value


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _regex(pattern: str, key: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{key}: not a regular expression ({exc})") from None


def _selector(selector: str, where: str) -> None:
    try:
        css(selector)
    except SelectorError as exc:
        raise ValueError(f"{where}: {selector!r} is not a CSS selector ({exc})") from None
