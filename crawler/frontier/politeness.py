"""Politeness across the cluster: CONCURRENT_REQUESTS_PER_DOMAIN and DOWNLOAD_DELAY hold for all
workers together, so three workers send a site no more than one would. A 429 or 503 pauses the site
for every worker, for its Retry-After (or RETRY_BACKOFF_BASE) seconds.

Each request to a host takes a slot in a Redis sorted set for as long as it is being downloaded.
A slot carries an expiry that its worker pushes back while it lives, so the slots of a worker killed
mid-download free themselves after FRONTIER_LEASE_TIMEOUT; a release Redis could not take during an
outage is retried, so no slot leaks.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import LoopingCall, deferLater

from crawler.frontier.config import FrontierConfig
from crawler.frontier.queue import PREFIX
from crawler.frontier.scheduler import leases_of
from crawler.frontier.workers import redis_client

logger = logging.getLogger(__name__)

SLOT = "shared_slot"  # request meta: (host, token) of the slot the request holds

# 0: go; > 0: ms until the host's next request is allowed; -1: every slot is taken.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next_at = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_at > now then return next_at - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[2], now + tonumber(ARGV[4]), 'PX', ARGV[4]) end
return 0
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_, 'PX', ARGV[1])
end
return 0
"""

FULL_WAIT = 0.02  # seconds before asking again for a slot of a host whose slots are all taken
DOWN_WAIT = 1.0  # seconds between attempts while Redis is down


def retry_after(value: bytes | None, default: float, cap: float) -> float:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), within [0, cap]."""
    text = (value or b"").decode("latin-1").strip()
    try:
        seconds = (
            float(text)
            if text.isdigit()
            else (parsedate_to_datetime(text) - datetime.now(UTC)).total_seconds()
        )
    except (TypeError, ValueError):
        seconds = default
    return min(max(seconds, 0.0), cap)


class SharedPolitenessMiddleware:
    """Downloader middleware, next to the download handler so a slot is held only while downloading."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.server = redis_client(settings)
        self.limit = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.delay_ms = int(settings.getfloat("DOWNLOAD_DELAY") * 1000)
        config = FrontierConfig.from_settings(settings)
        self.hold_ms = config.lease_ms
        self.pause_default = settings.getfloat("RETRY_BACKOFF_BASE")
        self.pause_cap = config.max_pause
        self._acquire = self.server.register_script(_ACQUIRE)
        self._pause = self.server.register_script(_PAUSE)
        self.leases = leases_of(crawler)  # tells the scheduler how many requests wait for a slot
        self.held: dict[str, str] = {}  # token -> host of each slot this worker holds
        self.unreleased: list[tuple[str, str]] = []  # (host, token) released while Redis was down
        self.down = False
        self.keeper = LoopingCall(self.keep)
        crawler.signals.connect(self.opened, signal=signals.engine_started)
        crawler.signals.connect(self.closed, signal=signals.engine_stopped)

    def opened(self) -> None:
        self.keeper.start(self.hold_ms / 3000, now=False)

    def closed(self) -> None:
        if self.keeper.running:
            self.keeper.stop()

    def keep(self) -> None:
        """Push back the expiry of the slots held, and release what an outage kept from releasing."""
        try:
            until = self._time_ms() + self.hold_ms
            with self.server.pipeline(transaction=False) as pipe:
                for host, token in self.unreleased:
                    pipe.zrem(self.keys(host)[0], token)
                for token, host in self.held.items():
                    pipe.execute_command("ZADD", self.keys(host)[0], "XX", until, token)
                    pipe.pexpire(self.keys(host)[0], self.hold_ms)
                pipe.execute()
            self.unreleased.clear()
            self._up()
        except RedisError as exc:
            self._down(exc)

    def _time_ms(self) -> int:
        seconds, micros = self.server.time()
        return int(seconds) * 1000 + int(micros) // 1000

    def _down(self, exc: Exception) -> None:
        if not self.down:
            self.down = True
            # the scheduler says the outage once, as a warning; this is what it means for downloads
            logger.info("redis unreachable (%s): requests wait for their politeness slots", exc)

    def _up(self) -> None:
        self.down = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    @staticmethod
    def keys(host: str) -> tuple[str, str]:
        base = f"{PREFIX}:host:{{{host}}}"
        return f"{base}:slots", f"{base}:next"

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlsplit(request.url).hostname or ""
        token = uuid.uuid4().hex
        self.leases.waiting += 1
        try:
            await self._acquire_slot(request, host, token)
        finally:
            self.leases.waiting -= 1
        self.held[token] = host
        request.meta[SLOT] = (host, token)

    async def _acquire_slot(self, request: Request, host: str, token: str) -> None:
        from twisted.internet import reactor

        while True:
            try:
                wait = int(
                    self._acquire(keys=self.keys(host), args=[token, self.limit, self.hold_ms, self.delay_ms])
                )
                self._up()
            except RedisError as exc:
                self._down(exc)
                wait = int(DOWN_WAIT * 1000)
            if wait == 0:
                break
            self.stats.inc_value("politeness/waits")
            await maybe_deferred_to_future(deferLater(reactor, wait / 1000 if wait > 0 else FULL_WAIT))

    def _release(self, request: Request) -> None:
        host, token = request.meta.pop(SLOT, (None, None))
        if host is None:
            return
        self.held.pop(token, None)
        try:
            self.server.zrem(self.keys(host)[0], token)
        except RedisError:
            self.unreleased.append((host, token))  # `keep` releases it once Redis is back

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        self._release(request)
        if response.status in (429, 503):
            host = urlsplit(request.url).hostname or ""
            seconds = retry_after(response.headers.get(b"Retry-After"), self.pause_default, self.pause_cap)
            try:
                self._pause(keys=[self.keys(host)[1]], args=[max(int(seconds * 1000), 1)])
                self.stats.inc_value("politeness/paused")
                logger.info(
                    "%s answered %d: every worker holds off %s for %.1f s",
                    request.url,
                    response.status,
                    host,
                    seconds,
                )
            except RedisError:
                pass  # retries still back off locally
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> Any:
        self._release(request)
        return None
