"""Every source's spider, made from its spec (crawler/sources/) by `SourceSpider.of`, and Scrapy's
loader over them (`RegistrySpiderLoader`, SPIDER_LOADER_CLASS), so `scrapy list`, `scrapy crawl
SOURCE` and URL lookups see the same set."""

from __future__ import annotations

import builtins

from scrapy import Request, Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from crawler.sources import GENERIC, SPECS, spec_for_url
from crawler.spiders.source import SourceSpider

SOURCES: dict[str, type[SourceSpider]] = {name: SourceSpider.of(spec) for name, spec in SPECS.items()}
GenericSpider = SourceSpider.of(GENERIC)  # the fallback for a URL no source owns
ALL_SPIDERS: dict[str, type[SourceSpider]] = {**SOURCES, GENERIC.name: GenericSpider}


class RegistrySpiderLoader:  # Scrapy's SpiderLoaderProtocol
    """Scrapy's spider loader over the registry; spiders of any SPIDER_MODULES a deployment adds are
    found as Scrapy's own loader finds them, beside the registry's (a name in both is an error)."""

    def __init__(self, settings: BaseSettings) -> None:
        modules = SpiderLoader.from_settings(settings)
        both = set(modules.list()) & ALL_SPIDERS.keys()
        if both:
            raise ValueError(f"spider name(s) {sorted(both)} in SPIDER_MODULES are the registry's")
        self.spiders: dict[str, type[Spider]] = {
            **ALL_SPIDERS,
            **{n: modules.load(n) for n in modules.list()},
        }

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RegistrySpiderLoader:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        try:
            return self.spiders[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name}") from None

    def list(self) -> list[str]:
        return list(self.spiders)

    def find_by_request(self, request: Request) -> builtins.list[str]:
        return [name for name, spider in self.spiders.items() if spider.handles_request(request)]


def spider_for_url(url: str) -> type[SourceSpider]:
    """The spider of the source that owns the URL's host, else the generic fallback's."""
    return ALL_SPIDERS[spec_for_url(url).name]
