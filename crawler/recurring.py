"""Recurring crawls: each source on its own trigger (APScheduler on the Twisted reactor), never two
runs of one source at once, a failed run logged and the next one still scheduled."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.debug import DebugExecutor
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

_EVERY = re.compile(r"every\s+(\d+)\s*([smhd])", re.I)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def trigger_for(expression: str, jitter: int, timezone: str) -> BaseTrigger:
    """ "every 30m" (an interval) or a crontab line; anything else is an error at start-up."""
    if match := _EVERY.fullmatch(expression.strip()):
        seconds = int(match.group(1)) * _SECONDS[match.group(2).lower()]
        if seconds <= 0:
            raise ValueError(f"schedule {expression!r}: the interval must be positive")
        return IntervalTrigger(seconds=seconds, jitter=jitter or None, timezone=timezone)
    try:
        return CronTrigger.from_crontab(expression, timezone=timezone)
    except ValueError as exc:
        raise ValueError(
            f"schedule {expression!r} is neither 'every N[smhd]' nor a crontab line: {exc}"
        ) from None


def triggers(sources: list[str], settings: Any) -> dict[str, BaseTrigger]:
    """Each source's trigger: SCHEDULES[source], else SCHEDULE_DEFAULT."""
    overrides = settings.getdict("SCHEDULES")
    unknown = sorted(set(overrides) - set(sources))
    if unknown:
        raise ValueError(f"SCHEDULES names unknown source(s): {', '.join(unknown)}")
    default = settings.get("SCHEDULE_DEFAULT")
    jitter, zone = settings.getint("SCHEDULE_JITTER"), settings.get("SCHEDULE_TIMEZONE")
    return {name: trigger_for(overrides.get(name, default), jitter, zone) for name in sources}


def next_run(trigger: BaseTrigger, last_start: datetime | None, now: datetime) -> datetime | None:
    """When a source runs next. An interval counts from the source's last run in the store, so a
    restarted service neither waits a whole interval nor crawls again what it has just crawled; a
    source never crawled runs now. A crontab line fires on its own times."""
    if isinstance(trigger, IntervalTrigger):
        due = last_start.replace(tzinfo=last_start.tzinfo or UTC) + trigger.interval if last_start else now
        return max(due, now)
    return trigger.get_next_fire_time(None, now)


class Runs:
    """Launches crawls, one run per source at a time; a run's failure never reaches the caller."""

    def __init__(self, crawl: Callable[[str], Deferred[Any]]) -> None:
        self.crawl = crawl
        self.running: dict[str, Deferred[Any]] = {}

    def launch(self, source: str) -> Deferred[Any] | None:
        if source in self.running:
            logger.warning("run of %s skipped: the previous run is still going", source)
            return None
        logger.info("run of %s starting", source)
        started = datetime.now()
        done = self.crawl(source)
        self.running[source] = done
        done.addBoth(self._finished, source, started)
        return done

    def _finished(self, result: Any, source: str, started: datetime) -> None:
        self.running.pop(source, None)
        seconds = (datetime.now() - started).total_seconds()
        if isinstance(result, Failure):
            logger.error("run of %s failed after %.0f s: %s", source, seconds, result.getErrorMessage())
        else:
            logger.info("run of %s ended after %.0f s", source, seconds)


def scheduler(
    runs: Runs, plan: dict[str, BaseTrigger], last_starts: dict[str, datetime], reactor: Any
) -> Any:
    """Jobs run in the reactor's thread (DebugExecutor): a launch only starts a Twisted crawl."""
    # imported here: the module installs Twisted's default reactor, which must come after Scrapy's
    from apscheduler.schedulers.twisted import TwistedScheduler

    jobs = TwistedScheduler(
        reactor=reactor,
        executors={"default": DebugExecutor()},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )
    for source, trigger in plan.items():
        first = next_run(trigger, last_starts.get(source), datetime.now(UTC))
        if first is not None and trigger.jitter:  # sources all due at start-up do not start together
            first += timedelta(seconds=random.uniform(0, trigger.jitter))
        jobs.add_job(
            runs.launch, trigger, args=[source], id=source, name=f"crawl {source}", next_run_time=first
        )
    return jobs
