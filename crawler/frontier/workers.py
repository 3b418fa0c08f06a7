"""Who is crawling: each worker process keeps a heartbeat key alive while it runs; a worker whose
key has expired is stopped, and its leases may be handed back. The key's value is what
`crawler status` shows of a worker."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from redis import Redis
from redis.exceptions import RedisError
from scrapy.settings import BaseSettings

from crawler.frontier.queue import PREFIX, Depth, Frontier


@cache
def _identity(pid: int) -> tuple[str, float]:
    return f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:6]}", time.time()


def worker_id() -> str:
    """This process's worker id, made on first use in each process: a forked child is a worker of
    its own, never its parent's twin (an id made at import would be inherited)."""
    return _identity(os.getpid())[0]


def started() -> float:
    """When this process's worker id was made (its pages per minute count from there)."""
    return _identity(os.getpid())[1]


START_WAIT = 5.0  # seconds a command waits for Redis to answer before it starts anything


def redis_client(settings: BaseSettings) -> Redis:
    """The connection of REDIS_URL, with REDIS_PARAMS as scrapy-redis reads them (redis-py client
    arguments), and timeouts that let a worker notice an outage in seconds instead of 30."""
    params = {
        "socket_timeout": 5,
        "socket_connect_timeout": 2,
        "retry_on_timeout": True,
        **settings.getdict("REDIS_PARAMS"),
    }
    return Redis.from_url(settings.get("REDIS_URL"), **params)


def unreachable(settings: BaseSettings) -> str | None:
    """Why Redis cannot be reached, in one line naming its host (never its password), after
    trying for START_WAIT seconds (a Redis that is restarting); None once it answers. Commands ask
    before they start a crawl: one that cannot reach its frontier starts nothing and says so."""
    server = redis_client(settings)
    parts = urlsplit(str(settings.get("REDIS_URL")))
    where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
    deadline = time.monotonic() + START_WAIT
    while True:
        try:
            server.ping()
            return None
        except RedisError as exc:
            if time.monotonic() >= deadline:
                return f"redis at {where} unreachable: {str(exc).splitlines()[0]}"
        time.sleep(0.5)


def heartbeat_key(worker: str, source: str) -> str:
    """One key per worker and source: a worker is alive for a source's stream while the crawl of that
    source beats, so a process that stopped crawling one source gives that stream's leases back."""
    return f"{PREFIX}:workers:{source}:{worker}"


@dataclass(frozen=True)
class Heartbeat:
    """One crawl's heartbeat, owned by its scheduler: a key that lapses a lease time after its last beat."""

    server: Redis
    lease_ms: int
    source: str

    def beat(self, pages: int) -> None:
        value = {"host": socket.gethostname(), "pid": os.getpid(), "started": started(), "pages": pages}
        self.server.set(heartbeat_key(worker_id(), self.source), json.dumps(value), px=self.lease_ms)

    def stop(self) -> None:
        self.server.delete(heartbeat_key(worker_id(), self.source))


def snapshot(
    settings: BaseSettings, sources: list[str]
) -> tuple[dict[str, Depth], dict[str, dict[str, Any]]]:
    """Each source's frontier and the live workers, as `crawler status` and /metrics show them."""
    server = redis_client(settings)
    return {name: Frontier(server, name).depth() for name in sources}, live_workers(server)


def live_workers(server: Redis) -> dict[str, dict[str, Any]]:
    """worker -> what its crawls' heartbeats say (pages by source), with pages per minute since it started."""
    workers: dict[str, dict[str, Any]] = {}
    for key in server.scan_iter(match=f"{PREFIX}:workers:*", count=1000):
        raw = server.get(key)
        if raw is None:
            continue
        source, worker = key.decode().removeprefix(f"{PREFIX}:workers:").split(":", 1)
        value = json.loads(raw)
        seen = workers.setdefault(
            worker, {"host": value["host"], "pid": value["pid"], "started": value["started"], "pages": {}}
        )
        seen["pages"][source] = value["pages"]
    for value in workers.values():
        minutes = max((time.time() - value["started"]) / 60, 1 / 60)
        value["per_minute"] = round(sum(value["pages"].values()) / minutes, 1)
    return workers
