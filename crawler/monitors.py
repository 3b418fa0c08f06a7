"""Layout drift: the usual way a per-source crawler breaks is silent. A site changes its template
and articles come back empty, undated or full of noise while every request still answers 200.
After each run these checks compare what the run extracted with fixed floors and with the
source's own history; a run that falls below one is `degraded`, with the reasons in its record.

All the rules are here, in `check_run`; their thresholds are the MONITOR_* settings. Spidermon
was considered: its monitors are unittest suites reporting through actions (mail, Slack), while
these results must land in the run record, `crawler status` and the exit code, and need the
source's history from the store; a page of plain functions does that with less machinery."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from crawler.extract.article import NO_LAYOUT
from crawler.sources.spec import SourceSpec
from crawler.stages import BodyFloorPipeline

FIELDS = ("title", "body", "published_at")
SAMPLE = 2000  # body lengths kept per run (a uniform reservoir), enough for a stable median


@dataclass(frozen=True)
class Floors:
    min_articles: int  # article pages a run needs before its shares mean anything
    stored_share: float  # articles stored / article pages fetched
    field_share: dict[str, float]  # share of extracted articles with each field present
    body_ratio: float  # the run's median body length / the median of the source's recent runs
    fallback_share: float  # article pages whose source layout was set aside for the generic path
    layout_fallback_share: float  # of them, pages a layout claimed (its marker matched) but failed

    @classmethod
    def from_settings(cls, settings: BaseSettings, generic_share: float = 0.0) -> Floors:
        """The MONITOR_* floors; the fallback ceiling raised by `generic_share`, the share of the
        source's pages known to take the generic path (`SourceSpec.generic_share`). Only pages no
        layout claims (`no_layout`) are known to: a layout that claims a page and fails on it is
        held to the setting's ceiling alone, so a broken learned layout shows as soon as a
        module's would."""
        ceiling = settings.getfloat("MONITOR_MAX_FALLBACK_SHARE")
        return cls(
            min_articles=settings.getint("MONITOR_MIN_ARTICLES"),
            stored_share=settings.getfloat("MONITOR_MIN_STORED_SHARE"),
            field_share={k: float(v) for k, v in settings.getdict("MONITOR_MIN_FIELD_SHARE").items()},
            body_ratio=settings.getfloat("MONITOR_MIN_BODY_RATIO"),
            fallback_share=min(1.0, ceiling + generic_share),
            layout_fallback_share=ceiling,
        )

    @classmethod
    def of(cls, crawler: Crawler) -> Floors:
        """The floors of a crawl of one source: the settings', with its spider's spec."""
        spec = getattr(crawler.spidercls, "spec", None)
        known = spec.generic_share if isinstance(spec, SourceSpec) else 0.0
        return cls.from_settings(crawler.settings, known)


def extraction(stats: dict[str, Any]) -> dict[str, Any]:
    """What the run extracted, from the counts MonitorPipeline keeps: the run record's `extraction`."""
    items = int(stats.get("monitor/items", 0))
    return {
        "article_pages": int(stats.get("monitor/article_pages", 0)),
        "articles": items,
        "field_share": {
            f: round(int(stats.get(f"monitor/with_{f}", 0)) / items, 3) if items else None for f in FIELDS
        },
        "median_body_chars": stats.get("monitor/median_body_chars"),
        "pages_missing": int(stats.get("extraction/pages_missing", 0)),
        "noise_removed": {
            k.removeprefix("clean/removed/"): int(v)
            for k, v in stats.items()
            if k.startswith("clean/removed/")
        },
        "fallbacks": {
            k.removeprefix("extraction/fallback/"): int(v)
            for k, v in stats.items()
            if k.startswith("extraction/fallback/")
        },
    }


def check_run(record: dict[str, Any], history: list[dict[str, Any]], floors: Floors) -> list[str]:
    """Why the run looks broken, one line per failed rule; empty when it looks like the source."""
    seen = record["extraction"]
    if seen["article_pages"] < floors.min_articles:
        return []  # too few pages to judge
    problems = []
    counts = record["articles"]
    stored = counts["new"] + counts["updated"] + counts["unchanged"]
    if stored / seen["article_pages"] < floors.stored_share:
        problems.append(
            f"stored {stored} of {seen['article_pages']} article pages (floor {floors.stored_share:.0%})"
        )
    for name, floor in floors.field_share.items():
        share = seen["field_share"].get(name)
        if share is not None and share < floor:
            problems.append(f"{name} found on {share:.0%} of articles (floor {floor:.0%})")
    problems.extend(_fallback_problems(seen.get("fallbacks") or {}, seen["article_pages"], floors))
    usual = [
        r["extraction"]["median_body_chars"]
        for r in history
        if (r.get("extraction") or {}).get("median_body_chars")
    ]
    median = seen["median_body_chars"]
    if usual and median is not None and median < floors.body_ratio * statistics.median(usual):
        problems.append(
            f"median body {median} chars, under {floors.body_ratio:.0%} of the usual "
            f"{statistics.median(usual):.0f}"
        )
    return problems


def _fallback_problems(fallbacks: dict[str, int], pages: int, floors: Floors) -> list[str]:
    """The layouts' own failures against their ceiling, else every fallback against the ceiling
    raised by the pages known to take the generic path: one line, whichever rule broke."""
    claimed = {reason: n for reason, n in fallbacks.items() if reason != NO_LAYOUT}
    for counted, ceiling in ((claimed, floors.layout_fallback_share), (fallbacks, floors.fallback_share)):
        if sum(counted.values()) > ceiling * pages:
            return [
                f"source layout set aside on {sum(counted.values())} of {pages} article pages "
                f"(ceiling {ceiling:.0%}): {', '.join(sorted(counted))}"
            ]
    return []


class MonitorPipeline(BodyFloorPipeline):
    """Counts, for every cleaned article (before validation drops any), which fields it has and
    how long its body is: the raw material of `check_run`."""

    def __init__(self, stats: StatsCollector, min_body_chars: int) -> None:
        super().__init__(stats, min_body_chars)
        self.lengths: list[int] = []
        self.seen = 0
        self.random = random.Random(0)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        body = adapter.get("body") or ""
        present = {
            "title": bool(adapter.get("title")),
            "body": len(body) >= self.min_body_chars,
            "published_at": adapter.get("published_at") is not None,
        }
        self.stats.inc_value("monitor/items")
        for name, found in present.items():
            if found:
                self.stats.inc_value(f"monitor/with_{name}")
        self._sample(len(body))
        return item

    def _sample(self, length: int) -> None:
        self.seen += 1
        if len(self.lengths) < SAMPLE:
            self.lengths.append(length)
        elif (slot := self.random.randrange(self.seen)) < SAMPLE:
            self.lengths[slot] = length

    def close_spider(self) -> None:
        if self.lengths:
            self.stats.set_value("monitor/median_body_chars", int(statistics.median(self.lengths)))
