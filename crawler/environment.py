"""The settings an environment variable of the same name may give (ENV_SETTINGS: the store's URI,
the API's token, REDIS_URL, ...), applied as a Scrapy add-on, so that `scrapy crawl` and every
`crawler` command read them the same way; `-s NAME=VALUE` still wins."""

from __future__ import annotations

import os

from scrapy.settings import BaseSettings

from crawler.default_settings import ENV_SETTINGS


class EnvironmentSettings:
    """Scrapy add-on (ADDONS): each setting of ENV_SETTINGS whose variable is set and not empty."""

    def update_settings(self, settings: BaseSettings) -> None:
        for name in ENV_SETTINGS:
            if value := os.environ.get(name):
                settings.set(name, value, priority="project")
