"""The store side of a crawl's writes: one batch at a time, in a thread, with the outage policy
and the spool. MongoPipeline hands it batches and turns what each came to (`Written`) into
stats, signals and, when a batch ended the run, the spider's close.

- While the store is down, a batch is tried again every RETRY_WAIT seconds (the crawl waits,
  held back by the batches in flight), up to MONGO_OUTAGE_LIMIT; past it the batch is spooled
  and the run ends (`store_unavailable`). A limit of 0 (on-demand fetches) spools at once and
  never ends the run.
- A full disk under the store (Store.full_disk) ends the run at once (`disk_full`); no later
  batch tries the store, and the batch stored last is spooled once more, in case the engine lost
  it (Store.room).
- An append the spool cannot take counts as nothing: those articles are held, in memory, and go
  with the next append; what is still held at the end is said by the pipeline.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from crawler.failures import StoreUnavailable
from crawler.store.ingest import Ingested, Store
from crawler.store.versions import Check

logger = logging.getLogger(__name__)

STORE_UNAVAILABLE = "store_unavailable"  # the close reason of a run that outlasted MONGO_OUTAGE_LIMIT
DISK_FULL = "disk_full"  # the close reason of a run whose store's disk filled
KEPT = "stored just before the store's disk filled: kept in case"


@dataclass
class Written:
    """What one batch came to."""

    done: Ingested | None = None  # None: not written
    recorded: int = 0  # re-checks recorded
    waited: bool = False  # written once an outage ended
    spooled: list[tuple[str, str]] = field(default_factory=list)  # URLs appended to the spool, with why
    respooled: int = 0  # stored, and spooled once more in case (a full disk)
    ended: str | None = None  # the close reason, when this batch ended the run


class Writer:
    RETRY_WAIT = 1.0  # seconds between attempts while the store is down

    def __init__(self, store: Store, outage_limit: float) -> None:
        self.store = store
        self.outage_limit = outage_limit
        self.outage_since: float | None = None  # monotonic time the store was first found down
        self.ended: str | None = None  # why the run ended: store_unavailable, disk_full
        self.held: list[tuple[dict[str, Any], str]] = []  # neither stored nor spooled (yet), with why
        self.last_batch: list[dict[str, Any]] = []  # the batch acknowledged last

    def write(self, docs: list[dict[str, Any]], checks: list[Check]) -> Written:
        """Write a batch and the re-checks that stored no text (after the articles; past the
        limit they are let go: those articles stay due)."""
        written, reason = Written(), None
        while reason is None:
            if self.ended == DISK_FULL:  # a full disk does not empty itself: no write is tried
                reason = "the store's disk is full"
                break
            try:
                written.done = self.store.write(docs) if docs else None
                written.recorded = self.store.check(checks) if checks else 0
                break
            except StoreUnavailable as exc:
                reason = self._failed(exc, written)
        if reason is not None:
            written.done = None
            if checks:
                logger.warning(
                    "%d re-check(s) not recorded (store unavailable): those articles stay due", len(checks)
                )
            written.spooled = self.spool([(doc, reason) for doc in docs])
            return written
        if self.outage_since is not None:
            logger.warning(
                "store %s is back after %.1f s: the articles that waited are stored",
                self.store.uri,
                time.monotonic() - self.outage_since,
            )
        self.outage_since = None
        self.last_batch = docs
        refused = written.done.written.refused if written.done else []
        for doc, why in refused:
            logger.warning("%s: %s", doc.get("url"), why)
        written.spooled = self.spool(refused)
        return written

    def _failed(self, exc: StoreUnavailable, written: Written) -> str | None:
        """Why the batch goes to the spool, or None to try it again after RETRY_WAIT."""
        if full := self.store.full_disk(exc):
            reason = f"the store's disk is full: {full}"
            written.ended = self._end(DISK_FULL, reason)
            written.respooled = self._keep_last_batch()
            return reason
        first = self.outage_since is None
        if self._outage_over_limit():
            written.ended = self._end(STORE_UNAVAILABLE, f"{self.store.uri} down: {exc}")
            return f"store unavailable: {exc}"
        if first:  # said once an outage, as its end is: the crawl holds still meanwhile
            logger.warning(
                "store %s unreachable (%s): writes wait for it, up to MONGO_OUTAGE_LIMIT (%g s); "
                "nothing is dropped meanwhile",
                self.store.uri,
                exc,
                self.outage_limit,
            )
        written.waited = True
        time.sleep(self.RETRY_WAIT)
        return None

    def _outage_over_limit(self) -> bool:
        if self.outage_limit <= 0:
            return True
        now = time.monotonic()
        self.outage_since = self.outage_since or now
        return now - self.outage_since >= self.outage_limit

    def _end(self, reason: str, why: str) -> str | None:
        """The close reason the first time the run ends, said in one line; None after, and for
        an outage under a limit of 0 (an on-demand fetch goes on and tries the store again)."""
        if self.ended is not None or (reason == STORE_UNAVAILABLE and self.outage_limit <= 0):
            return None
        self.ended = reason
        logger.error("%s (%s); articles go to %s", why, reason, self.store.spool.path)
        return reason

    def _keep_last_batch(self) -> int:
        kept, self.last_batch = self.last_batch, []
        if not kept:
            return 0
        try:
            self.store.spool.append(kept, KEPT)
        except OSError as exc:
            logger.error("%d article(s) stored last could not be spooled again: %s", len(kept), exc.strerror)
            return 0
        return len(kept)

    def spool(self, docs: list[tuple[dict[str, Any], str]]) -> list[tuple[str, str]]:
        """Append the documents, and those held before them, to the spool; spooled only once the
        append returned (it fsyncs). What it cannot take is held for the next append. Returns the
        URLs spooled, with why."""
        held, self.held = self.held, []
        todo = held + docs
        if not todo:
            return []
        try:
            for why in dict.fromkeys(reason for _, reason in todo):
                self.store.spool.append([doc for doc, reason in todo if reason == why], why)
        except OSError as exc:  # a full or read-only spool disk: nothing of this append counts
            self.held = todo
            logger.error(
                "%d article(s) neither stored nor spooled: the spool %s cannot be written (%s); held in "
                "memory for the next attempt",
                len(todo),
                self.store.spool.path,
                exc.strerror or exc,
            )
            return []
        return [(doc["url"], reason) for doc, reason in todo]
