"""Project settings for a command, with `-s NAME=VALUE` overrides applied, and checked where a
wrong value would otherwise surface as a traceback deep in a crawl."""

from __future__ import annotations

import argparse
import os

from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.alerts.messages import endpoints
from crawler.frontier.config import FrontierConfig


class BadSetting(ValueError):
    """A setting no command can run with; `crawler` prints it as one line and exits 2."""


def load_settings(args: argparse.Namespace) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for pair in args.set:
        name, _, value = pair.partition("=")
        settings.set(name, value, priority="cmdline")
    try:
        endpoints(settings.get("ALERT_WEBHOOKS") or [])
        if settings.get("REDIS_URL"):
            FrontierConfig.from_settings(settings)
    except ValueError as exc:
        raise BadSetting(str(exc)) from None
    return settings
