"""Extension: after each discovery run's record is stored, work out which alert conditions began
or ended for its source and tell ALERT_WEBHOOKS, in a thread, within ALERT_TIMEOUT.

Conditions are kept in the source's document (`sources.alerts`) whether or not webhooks are set,
so /metrics shows them (`crawler_alert_firing`) for Prometheus' rules too. A condition whose
alert reached no endpoint stays unrecorded, so the next run tries again."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from crawler.alerts.conditions import Observed, conditions, transitions
from crawler.alerts.delivery import deliver
from crawler.alerts.messages import Endpoint, endpoints
from crawler.display import display_zone
from crawler.failures import StoreUnavailable
from crawler.frontier.workers import snapshot
from crawler.signals import run_recorded
from crawler.store.extension import store_of
from crawler.store.repositories import Runs
from crawler.store.spool import Spool

logger = logging.getLogger(__name__)


class AlertNotifier:
    def __init__(self, crawler: Crawler, targets: list[Endpoint]) -> None:
        self.crawler = crawler
        settings = self.settings = crawler.settings
        self.targets = targets
        self.stale_runs = settings.getint("ALERT_STALE_RUNS")
        self.timeout = settings.getfloat("ALERT_TIMEOUT")
        self.retries = settings.getint("ALERT_RETRIES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AlertNotifier:
        if not crawler.settings.get("MONGO_CRAWLS_COLLECTION"):
            raise NotConfigured
        targets = endpoints(crawler.settings.get("ALERT_WEBHOOKS") or [])
        notifier = cls(crawler, targets)
        crawler.signals.connect(notifier.run_recorded, signal=run_recorded)
        return notifier

    async def run_recorded(self, record: dict[str, Any]) -> None:
        """Off the reactor: the store, the spool, Redis and the webhooks are all blocking I/O."""
        try:
            await maybe_deferred_to_future(threads.deferToThread(self.notify, record))
        except Exception as exc:  # whatever it was, the run is recorded: say it and go on
            logger.error("alerts for %s not worked out: %s", record["source"], exc)

    def notify(self, record: dict[str, Any]) -> None:
        source, now = record["source"], datetime.now(display_zone(self.settings))  # as messages show it
        runs = Runs(store_of(self.crawler))  # the crawl's store, built after the extensions
        try:
            recent = [
                int((r.get("articles") or {}).get("new", 0))
                for r in runs.latest(source, {"articles.new": 1}, self.stale_runs)
            ]
            held = conditions(
                record,
                Observed(recent, len(Spool(self.settings.get("SPOOL_PATH"))), self._dead(source)),
                self.stale_runs,
            )
            tallies = runs.tallies
            alerts = transitions(record, held, tallies.open_alerts(source), now)
            if not alerts:
                return
            outcomes = deliver(alerts, self.targets, self.timeout, self.retries) if self.targets else []
            reached = {o.alert for o in outcomes if o.delivered}
            settled = [a for a in alerts if not self.targets or a in reached]
            failures = Counter(o.endpoint.kind for o in outcomes if not o.delivered)
            tallies.settle_alerts(
                source,
                {
                    a.condition: {"since": now, "reasons": list(a.reasons)}
                    for a in settled
                    if a.state == "firing"
                },
                [a.condition for a in settled if a.state == "recovered"],
                dict(failures),
            )
        except StoreUnavailable as exc:
            logger.error("alerts for %s not worked out: the store is unreachable (%s)", source, exc)

    def _dead(self, source: str) -> int:
        if not self.settings.get("REDIS_URL"):
            return 0
        try:
            depths, _ = snapshot(self.settings, [source])
        except RedisError as exc:
            logger.warning("frontier of %s not read for alerts: %s", source, exc)
            return 0
        return depths[source].dead
