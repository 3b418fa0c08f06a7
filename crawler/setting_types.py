"""Every setting's type and range, read off its default (crawler/default_settings.py, and Scrapy's
own defaults for Scrapy's settings given with `-s`), checked before a command connects to
anything: a wrong value is one line naming the setting, never a traceback deep in a crawl, and
an unknown `-s NAME` is a warning naming the closest known setting (as Prometheus' binaries and
Scrapyd refuse a bad flag at start)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import scrapy.settings.default_settings as scrapy_defaults
from scrapy.settings import BaseSettings

from crawler import default_settings
from crawler.default_settings import ENV_SETTINGS
from crawler.store.client import uri_problem

# Numbers are 0 or more unless named here: these must be more than 0 (a batch of 0, a timeout of 0)
POSITIVE = frozenset(
    {
        "MONGO_TIMEOUT_MS",
        "MONGO_BATCH_SIZE",
        "MONGO_FLUSH_INTERVAL",
        "API_TIMEOUT",
        "API_MAX_BYTES",
        "API_MAX_BODY",
        "FETCH_TIMEOUT",
        "ALERT_TIMEOUT",
        "ALERT_STALE_RUNS",
        "ARTICLE_MAX_PAGES",
        "SOURCE_SAMPLE_PAGES",
        "SOURCE_LAYOUT_MIN_PAGES",
        "FRONTIER_LEASE_TIMEOUT",
        "FRONTIER_POLL_INTERVAL",
        "FRONTIER_SEEN_TTL",
        "FRONTIER_MAX_DELIVERIES",
        "MONITOR_HISTORY_RUNS",
        "TITLE_MAX_CHARS",
        "WARC_MAX_BYTES",
        "API_SESSION_HOURS",
        "API_HEADER_TIMEOUT",
        "API_MAX_CONNECTIONS",
    }
)
SHARES = frozenset({"MONITOR_MIN_STORED_SHARE", "MONITOR_MAX_FALLBACK_SHARE", "DEDUP_MIN_COVERAGE"})  # 0 to 1
PORTS = frozenset({"API_PORT"})
NOT_SETTINGS = frozenset({"ENV_SETTINGS"})  # a list of names, not a setting


def project_defaults() -> dict[str, Any]:
    return {
        name: getattr(default_settings, name)
        for name in dir(default_settings)
        if name.isupper() and name not in NOT_SETTINGS
    }


def scrapy_settings() -> dict[str, Any]:
    return {name: getattr(scrapy_defaults, name) for name in dir(scrapy_defaults) if name.isupper()}


def check(
    settings: BaseSettings, given: list[str], defined: set[str], environ: Mapping[str, str]
) -> list[str]:
    """Raises ValueError naming the first setting whose value is wrong; returns a warning for each
    name in `given` (`-s NAME=...`) that no setting has: neither ours, nor Scrapy's, nor one the
    project's settings module `defined`; and for each of our settings set in the `environ`ment
    that the environment does not give (only ENV_SETTINGS): an operator who wrote it in a
    compose file's environment would otherwise never learn that it had no effect."""
    ours, scrapy = project_defaults(), scrapy_settings()
    for name, default in ours.items():
        _check(settings, name, default, project=True)
    for name in given:
        if name in scrapy and name not in ours:
            _check(settings, name, scrapy[name], project=False)
    known = sorted({*ours, *scrapy, *defined})
    warnings = []
    for name in dict.fromkeys(given):
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(f"-s {name}: no such setting, ignored{hint}")
    for name in ours:
        if environ.get(name) and name not in ENV_SETTINGS and name not in given:
            warnings.append(
                f"{name} is set in the environment, which gives only the settings docs/settings.md "
                f"marks env: ignored; give it as -s {name}=VALUE"
            )
    return warnings


def described(name: str) -> str:
    """A project setting's type and range in words, as docs/settings.md's table gives them."""
    default = project_defaults()[name]
    if isinstance(default, bool):
        return "true/false"
    if name in PORTS:
        return "port, 1 to 65535"
    if name in SHARES:
        return "number, 0 to 1"
    if isinstance(default, int | float):
        kind = "whole number" if isinstance(default, int) else "number"
        return f"{kind}, > 0" if name in POSITIVE else f"{kind}, ≥ 0"
    if isinstance(default, dict):
        return "JSON object"
    if isinstance(default, list | tuple):
        return "list"
    if name.endswith("_TIMEZONE"):
        return "time zone"
    return {"MONGO_URI": "MongoDB URI", "REDIS_URL": "Redis URL"}.get(name, "text")


def _check(settings: BaseSettings, name: str, default: Any, project: bool) -> None:
    value = settings.get(name)
    if value is None or value == default:
        return
    problem = _problem(settings, name, default, project)
    if problem:
        shown = "…" if "URI" in name or "URL" in name or "TOKEN" in name else repr(value)
        raise ValueError(f"{name}={shown}: {problem}")


def _problem(settings: BaseSettings, name: str, default: Any, project: bool) -> str | None:
    if isinstance(default, bool):
        return _typed(settings.getbool, name, "not true or false (1/0, true/false)")
    if isinstance(default, int | float):
        whole = project and isinstance(default, int)
        kind = "a whole number" if whole else "a number"
        problem = _typed(settings.getint if whole else settings.getfloat, name, f"not {kind}")
        return problem or _out_of_range(name, settings.getfloat(name))
    if isinstance(default, dict):
        return _json_object(settings.get(name))
    if name == "MONGO_URI":
        return uri_problem(str(settings.get(name)))
    if name == "REDIS_URL" and not str(settings.get(name)).startswith(("redis://", "rediss://", "unix://")):
        return "not a Redis URL (redis://, rediss:// or unix://)"
    if name.endswith("_TIMEZONE"):
        return _zone_problem(str(settings.get(name)))
    return None


def _zone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "not a time zone (an IANA name, such as Asia/Shanghai or UTC)"
    return None


def _typed(read: Callable[[str], Any], name: str, problem: str) -> str | None:
    try:
        read(name)
    except (ValueError, TypeError):
        return problem
    return None


def _out_of_range(name: str, number: float) -> str | None:
    if name in PORTS and not 1 <= number <= 65535:
        return "not a port (1 to 65535)"
    if name in SHARES and not 0 <= number <= 1:
        return "not a share (0 to 1)"
    if name in POSITIVE and number <= 0:
        return "must be more than 0"
    if number < 0:
        return "must be 0 or more"
    return None


def _json_object(value: Any) -> str | None:
    if isinstance(value, dict | BaseSettings):
        return None
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError) as exc:
        return f"not JSON ({exc})"
    return None if isinstance(parsed, dict) else "not a JSON object ({...})"
