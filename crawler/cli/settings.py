"""Project settings for a command, with `-s NAME=VALUE` overrides applied, and checked before
anything connects (crawler/setting_types.py): a wrong value would otherwise surface as a
traceback deep in a crawl."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.alerts.messages import endpoints
from crawler.environment import EnvironmentSettings
from crawler.failures import BadSetting, CannotStart, StoreUnavailable
from crawler.frontier.config import FrontierConfig
from crawler.frontier.workers import unreachable
from crawler.setting_types import check
from crawler.sources import added_sources, registry_of
from crawler.store.client import StoreClient


def verbose_option(parser: argparse.ArgumentParser) -> None:
    """`-v`: a crawling command shows Scrapy's log instead of a line per run (crawler/logs.py)."""
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Scrapy's log on stderr, not a line per run"
    )


def frontier_reachable(settings: Settings) -> None:
    """Raises CannotStart when REDIS_URL is set and Redis does not answer: a crawl or a worker that
    cannot reach its frontier starts nothing (no run, no run record) and says so once."""
    if settings.get("REDIS_URL") and (problem := unreachable(settings)):
        raise CannotStart(problem)


@contextmanager
def store_to_read(settings: Settings) -> Iterator[StoreClient]:
    """The store a command only reads (status, export, history): none there yet, or one that does
    not answer, is one line and exit 1 (CannotStart); a folder with no store is never made one."""
    store = StoreClient(settings)
    if nothing := store.missing():
        raise CannotStart(nothing)
    try:
        with store:
            yield store
    except StoreUnavailable as exc:
        raise CannotStart(store.unavailable(exc)) from None


def known_sources(names: Iterable[str], known: Iterable[str]) -> None:
    """Raises BadSetting naming the sources among `names` that are not `known`, and the known ones."""
    known = list(known)
    if unknown := [name for name in names if name not in known]:
        raise BadSetting(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(known)}")


def stored_sources(settings: Settings) -> list[str]:
    """Every source articles may be stored under: an added source stays one once disabled."""
    return [
        *registry_of(settings).all_specs,
        *(f.spec.name for f in added_sources(settings) if not f.enabled),
    ]


def crawled_sources(settings: Settings, names: list[str], generic: bool = False) -> list[str]:
    """The sources a command crawls: those named, else every enabled one (`generic`: the generic
    fallback may be named too). Raises BadSetting for a name no enabled source has: an added source
    not enabled yet is named as such, with its file."""
    for file in added_sources(settings):
        if file.spec.name in names and not file.enabled:
            raise BadSetting(
                f"source {file.spec.name} is not enabled: set enabled = true in {file.path}"
                f" (or: crawler source enable {file.spec.name})"
            )
    sources = registry_of(settings)
    known_sources(names, sources.all_specs if generic else sources.specs)
    return names or list(sources.specs)


def load_settings(args: argparse.Namespace) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    EnvironmentSettings().update_settings(settings)  # as a crawler's add-ons will; before -s
    defined = set(settings.attributes)
    given = []
    for pair in args.set:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise BadSetting(f"-s {pair}: give a setting as NAME=VALUE")
        settings.set(name, value, priority="cmdline")
        given.append(name)
    try:
        endpoints(settings.get("ALERT_WEBHOOKS") or [])
        if settings.get("REDIS_URL"):  # the frontier's settings, checked together and said together
            FrontierConfig.from_settings(settings)
        for warning in check(settings, given, defined, os.environ):
            print(f"crawler: warning: {warning}", file=sys.stderr)
    except ValueError as exc:
        raise BadSetting(str(exc)) from None
    return settings
