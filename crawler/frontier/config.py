"""The frontier's settings, read once and checked together: each is sane alone, and some only make
sense beside another (a worker that polls less often than its heartbeat must be renewed looks dead
to the others while it works, and its requests are handed out twice)."""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.settings import BaseSettings


@dataclass(frozen=True)
class FrontierConfig:
    lease_ms: int  # FRONTIER_LEASE_TIMEOUT: a stopped worker's heartbeat and slots live this long
    poll_interval: float  # FRONTIER_POLL_INTERVAL: an idle worker's looks at the queue, and its heartbeats
    seen_ttl: int  # FRONTIER_SEEN_TTL
    max_deliveries: int  # FRONTIER_MAX_DELIVERIES
    seed_on_start: bool  # FRONTIER_SEED_ON_START
    exit_when_empty: bool  # FRONTIER_EXIT_WHEN_EMPTY
    outage_limit: float  # REDIS_OUTAGE_LIMIT
    max_pause: float  # POLITENESS_MAX_PAUSE

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> FrontierConfig:
        """Raises ValueError naming the setting (or the pair) that is wrong."""
        lease = settings.getfloat("FRONTIER_LEASE_TIMEOUT")
        config = cls(
            lease_ms=int(lease * 1000),
            poll_interval=settings.getfloat("FRONTIER_POLL_INTERVAL"),
            seen_ttl=int(settings.getfloat("FRONTIER_SEEN_TTL")),
            max_deliveries=settings.getint("FRONTIER_MAX_DELIVERIES"),
            seed_on_start=settings.getbool("FRONTIER_SEED_ON_START"),
            exit_when_empty=settings.getbool("FRONTIER_EXIT_WHEN_EMPTY"),
            outage_limit=settings.getfloat("REDIS_OUTAGE_LIMIT"),
            max_pause=settings.getfloat("POLITENESS_MAX_PAUSE"),
        )
        wrong = [
            f"FRONTIER_LEASE_TIMEOUT={lease:g} must be more than 0" if lease <= 0 else "",
            f"FRONTIER_POLL_INTERVAL={config.poll_interval:g} must be more than 0"
            if config.poll_interval <= 0
            else "",
            f"FRONTIER_POLL_INTERVAL={config.poll_interval:g} must be at most a third of "
            f"FRONTIER_LEASE_TIMEOUT={lease:g}: a worker beats its heartbeat as it polls, and one that beats "
            "too seldom looks dead to the others, who hand its requests out again"
            if 0 < lease < 3 * config.poll_interval
            else "",
            f"FRONTIER_SEEN_TTL={config.seen_ttl} must be at least 1" if config.seen_ttl < 1 else "",
            f"FRONTIER_MAX_DELIVERIES={config.max_deliveries} must be at least 1"
            if config.max_deliveries < 1
            else "",
            f"REDIS_OUTAGE_LIMIT={config.outage_limit:g} must be 0 or more"
            if config.outage_limit < 0
            else "",
            f"POLITENESS_MAX_PAUSE={config.max_pause:g} must be more than 0" if config.max_pause <= 0 else "",
        ]
        if any(wrong):
            raise ValueError("; ".join(w for w in wrong if w))
        return config
