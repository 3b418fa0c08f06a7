"""Every source's spider, made from its spec (crawler/sources/) by `SourceSpider.of`, and Scrapy's
loader over them (`RegistrySpiderLoader`, SPIDER_LOADER_CLASS), so `scrapy list`, `scrapy crawl
SOURCE` and URL lookups see the same set: the built-in sources and the enabled files of
SOURCES_DIR."""

from __future__ import annotations

import builtins

from scrapy import Request, Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from crawler.sources import Registry, registry_of
from crawler.spiders.source import SourceSpider


def spiders_of(registry: Registry) -> dict[str, type[SourceSpider]]:
    """The spider of every source of the registry, the generic fallback's last."""
    return {name: SourceSpider.of(spec) for name, spec in registry.all_specs.items()}


class RegistrySpiderLoader:  # Scrapy's SpiderLoaderProtocol
    """Scrapy's spider loader over the registry; spiders of any SPIDER_MODULES a deployment adds are
    found as Scrapy's own loader finds them, beside the registry's (a name in both is an error)."""

    def __init__(self, settings: BaseSettings) -> None:
        self.registry = registry_of(settings)
        sources = spiders_of(self.registry)
        modules = SpiderLoader.from_settings(settings)
        both = set(modules.list()) & sources.keys()
        if both:
            raise ValueError(f"spider name(s) {sorted(both)} in SPIDER_MODULES are the registry's")
        self.spiders: dict[str, type[Spider]] = {**sources, **{n: modules.load(n) for n in modules.list()}}

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

    def for_url(self, url: str) -> type[Spider]:
        """The spider of the source that owns the URL's host, else the generic fallback's."""
        return self.spiders[self.registry.spec_for_url(url).name]
