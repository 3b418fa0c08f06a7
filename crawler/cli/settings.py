"""Project settings for a command, with `-s NAME=VALUE` overrides applied."""

from __future__ import annotations

import argparse
import os

from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings


def load_settings(args: argparse.Namespace) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for pair in args.set:
        name, _, value = pair.partition("=")
        settings.set(name, value, priority="cmdline")
    return settings
