"""`crawler schedule` with REDIS_URL: a source's turn seeds a new round into its frontier, for the
workers to crawl, instead of crawling here. Any number of schedulers may run (for availability):
the seed script's lock lets one of them seed a source per half schedule interval."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from redis import Redis
from redis.exceptions import RedisError
from twisted.internet.defer import Deferred, fail, succeed

from crawler.frontier.queue import Frontier
from crawler.frontier.workers import worker_id

logger = logging.getLogger(__name__)


def lock_ms(trigger: BaseTrigger) -> int:
    """Half the time between two of the trigger's runs."""
    if isinstance(trigger, IntervalTrigger):
        seconds = trigger.interval.total_seconds()
    else:
        first = trigger.get_next_fire_time(None, datetime.now(UTC))
        second = trigger.get_next_fire_time(first, first) if first else None
        seconds = (second - first).total_seconds() if first and second and second > first else 60.0
    return int(seconds * 500)


class Seeder:
    """Runs.launch's callable in a distributed deployment; remembers the sources it could not seed."""

    def __init__(self, server: Redis, plan: dict[str, BaseTrigger]) -> None:
        self.server = server
        self.plan = plan
        self.failed: list[str] = []

    def __call__(self, source: str) -> Deferred[str]:
        frontier = Frontier(self.server, source)
        try:
            frontier.ensure()
            outcome = frontier.seed(worker_id(), lock_ms(self.plan[source]))
        except RedisError as exc:
            self.failed.append(source)
            return fail(exc)
        message = {
            "seeded": "new round seeded for the workers",
            "busy": "skipped: its last round is not done",
            "locked": "skipped: another scheduler seeded it lately",
        }[outcome]
        logger.info("%s: %s", source, message)
        return succeed(outcome)
