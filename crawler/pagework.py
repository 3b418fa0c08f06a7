"""The CPU-heavy steps of a page (parsing and extraction, cleaning, the fingerprint, the stored
document) run in page workers, never on the reactor thread: a 5 MB page takes two seconds to
extract, and while it does the reactor answers nothing (the API's /health and dashboard, other
downloads, the store's heartbeats).

- A crawl (`crawl`, `schedule`, `worker`, `fetch`) works on the reactor thread by default
  (EXTRACT_THREADS = 0): threads would let the reactor go on between the steps' bytecodes, but
  add no speed (one interpreter lock) and cost ~40 MB of peak memory per crawl (malloc arenas;
  `bench/crawl.py -s EXTRACT_THREADS=2`), and some steps hold the interpreter a tenth of a second
  in one C call anyway (lxml over the whole tree, a regex over the whole text, OpenCC).
- The API, which must answer /health and the dashboard within 100 ms while heavy fetches run,
  uses API_EXTRACT_PROCESSES processes (`bench/api.py`): nothing of the work touches its
  interpreter. They are forked from a server that has imported the crawler already
  (multiprocessing's forkserver), so a worker starts in milliseconds, and one that dies (out of
  memory) fails only the pages it held: the next page gets a new pool.

The steps are plain functions of plain values (`extract_page`, `cleaned`, `fingerprint`,
`to_document`), so that either kind of worker runs them. The pool is bounded: a burst of heavy
pages waits in its queue, which /metrics shows. With 0 workers a step runs where it is called."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.failures import Failed, Reason
from crawler.shared import given

T = TypeVar("T")
PRELOAD = ["crawler.sources", "crawler.clean", "crawler.dedup.fingerprint", "crawler.store.schema"]


class PageWork:
    """A bounded pool of page workers; `await work.run(f, *args)` from a Scrapy callback."""

    def __init__(self, workers: int, processes: bool = False) -> None:
        self.workers = workers
        self.processes = processes
        self.in_flight = 0
        self.executor = self._executor()

    def _executor(self) -> Executor | None:
        if not self.workers:
            return None
        if not self.processes:
            return ThreadPoolExecutor(self.workers, thread_name_prefix="pages")
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=leave_with, initargs=(os.getpid(),)
        )

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)` in a worker. A worker process that died mid-page is a Failed
        (WORKER_DIED) for the pages it held, and the next page gets a new pool."""
        executor = self.executor
        if executor is None:
            return function(*args)
        self.in_flight += 1
        try:
            return await asyncio.wrap_future(executor.submit(function, *args))
        except BrokenProcessPool:
            if self.executor is executor:
                executor.shutdown(wait=False, cancel_futures=True)
                self.executor = self._executor()
            raise Failed(
                Reason.WORKER_DIED, "the process extracting the page died (out of memory?)"
            ) from None
        finally:
            self.in_flight -= 1

    def start(self) -> None:
        """Start every worker now (the API at its start), not at the first page: a worker
        process's fork server imports the crawler once, which takes a second."""
        for _ in range(self.workers if self.executor is not None else 0):
            self.executor.submit(len, "")  # type: ignore[union-attr]  # not None, as just checked

    def queued(self) -> int:
        """Steps waiting for a worker."""
        return max(0, self.in_flight - self.workers)

    def busy(self) -> int:
        """Workers running a step now."""
        return min(self.in_flight, self.workers)

    def stop(self) -> None:
        """Pages not started are dropped; the ones being worked on finish (a second or two):
        a pool left behind without waiting breaks the interpreter's own exit."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


def leave_with(pid: int) -> None:
    """Run in each worker process as it starts: it exits as soon as process `pid` (the one whose
    pool it serves) is gone. A pool's workers wait on a queue whose writing end they hold
    themselves, so a SIGKILLed crawler would leave them (and the fork server, and whatever
    pipe they inherited) for ever."""
    try:
        parent = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(0)

    def watch() -> None:
        select.select([parent], [], [])  # readable once the process has exited
        os._exit(0)

    threading.Thread(target=watch, name="leave-with-parent", daemon=True).start()


class PageWorkExtension:
    """The crawl's page workers: the process's when it gave them (SharedCrawler), else its own
    EXTRACT_THREADS threads (none: inline), stopped once the engine has."""

    def __init__(self, work: PageWork) -> None:
        self.work = work

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageWorkExtension:
        shared = given(crawler, PageWork)
        extension = cls(shared or PageWork(crawler.settings.getint("EXTRACT_THREADS")))
        if shared is None:
            crawler.signals.connect(extension.work.stop, signal=signals.engine_stopped)
        return extension


def page_work(crawler: Crawler) -> PageWork:
    """The crawl's page workers (PageWorkExtension in EXTENSIONS)."""
    extension = crawler.get_extension(PageWorkExtension)
    assert extension is not None, "PageWorkExtension is not in EXTENSIONS"
    return extension.work
