"""The API process's one store and the threads that talk to it, shared by its endpoints and the
dashboard's pages: the store is read and written with blocking calls, never on the reactor thread.
Importing it installs no reactor (the dashboard imports it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from scrapy.settings import Settings
from twisted.internet import defer, threads
from twisted.internet.interfaces import IReactorFromThreads
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from crawler.failures import StoreUnavailable
from crawler.sources import registry_of
from crawler.store.client import StoreClient
from crawler.store.ingest import Store
from crawler.store.mongo import translated

logger = logging.getLogger(__name__)
T = TypeVar("T")
HEALTH_DEADLINE = 2.0  # seconds /health waits for the store's answer before it says 503


class StoreCalls:
    """The process's one store and the threads that talk to it."""

    def __init__(self, settings: Settings) -> None:
        self.sources = registry_of(settings)  # the sources this deployment has
        self.store = Store(StoreClient(settings), self.sources.outlets)
        self.pool = ThreadPool(minthreads=1, maxthreads=8, name="store")
        self.pool.start()
        _reactor().addSystemEventTrigger("during", "shutdown", self.pool.stop)
        _reactor().addSystemEventTrigger("after", "shutdown", self.store.close)
        self.waiting: list[defer.Deferred[None]] = []  # /health calls waiting for the ping in flight

    def call(self, function: Callable[..., T], *args: Any) -> defer.Deferred[T]:
        """`function` in the store's threads; the store's own errors come as StoreUnavailable."""
        pool = self.pool
        return threads.deferToThreadPool(
            cast(IReactorFromThreads, _reactor()), pool, translated(function), *args
        )

    def prepare(self) -> None:
        """Validator, indexes and the spool's replay, once, off the reactor; a store that is down
        now is prepared by the first fetch that finds it up."""

        def unavailable(failure: Failure) -> None:
            failure.trap(StoreUnavailable)
            logger.warning(
                "store %s unreachable at start (%s): fetched articles go to %s until it is back",
                self.store.uri,
                failure.value,
                self.store.spool.path,
            )

        self.call(self.store.prepare).addErrback(unavailable)

    def health(self) -> defer.Deferred[None]:
        """One ping at a time however many ask; each asker waits at most HEALTH_DEADLINE."""
        answer: defer.Deferred[None] = defer.Deferred()
        self.waiting.append(answer)
        if len(self.waiting) == 1:
            self.call(self.store.client.ping).addBoth(self._answer_waiting)
        return answer.addTimeout(HEALTH_DEADLINE, _reactor())

    def _answer_waiting(self, result: Any) -> None:
        waiting, self.waiting = self.waiting, []
        for answer in waiting:
            if answer.called:  # gave up at its deadline
                continue
            if isinstance(result, Failure):
                answer.errback(result)
            else:
                answer.callback(None)


def _reactor() -> Any:
    """The reactor `crawler api` installed before it made its resources (importing it here at
    module level would install the default one)."""
    from twisted.internet import reactor

    return reactor
