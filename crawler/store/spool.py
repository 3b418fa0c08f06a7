"""A local JSON Lines file for writes the store could not take, replayed when it can."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bson import json_util

logger = logging.getLogger(__name__)

# Canonical Extended JSON: int64 and dates come back with their BSON types, as the validator wants.
_JSON = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=True)


class Spool:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def append(self, docs: list[dict[str, Any]], reason: str) -> None:
        """Add documents, flushed and fsynced before returning: the only copy they have."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            for doc in docs:
                record = {"reason": reason, "doc": {k: v for k, v in doc.items() if k != "_id"}}
                handle.write(json_util.dumps(record, json_options=_JSON, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [json_util.loads(line, json_options=_JSON)["doc"] for line in handle if line.strip()]

    def __len__(self) -> int:
        return len(self.read())

    def replay(self, write: Callable[[list[dict[str, Any]]], list[tuple[dict[str, Any], str]]]) -> tuple[int, int]:
        """Hand every spooled document to `write`; keep only those it gives back. Returns
        (written, still spooled). If `write` raises, the spool is left as it was."""
        docs = self.read()
        if not docs:
            return 0, 0
        refused = write(docs)
        tmp = self.path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        if refused:
            for doc, reason in refused:
                Spool(tmp).append([doc], reason)
            os.replace(tmp, self.path)
        else:
            self.path.unlink()
        logger.info("replayed %d spooled articles from %s, %d still spooled", len(docs) - len(refused), self.path, len(refused))
        return len(docs) - len(refused), len(refused)
