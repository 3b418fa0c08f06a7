"""The embedded store: with no MONGO_URI the crawler runs SecantusDB (MongoDB wire protocol on
WiredTiger) on a local folder, so it works out of the box.

One folder can be open in one process only, so the first command that opens it serves it: it
starts the server on a loopback port and records it in `serving.json` beside the data (its URI
and pid). Every later command — `crawler fetch` while `crawler api` runs, `crawler status`,
`crawler export` — reads the record and connects to that server instead of opening the folder.
A record whose process is gone, or whose server does not answer, is stale: the next command
removes it and serves the folder itself. A lock file serialises this, so two commands starting
at once never both open the folder. `crawler db serve` does the same on a port of its choosing,
for readers outside the crawler.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError
from secantus import SecantusDBServer

logger = logging.getLogger(__name__)

SERVING_FILE = "serving.json"
LOCK_FILE = "serving.lock"


class AlreadyServed(Exception):
    """The folder is served by another live process."""


def serving_record(folder: Path) -> dict[str, str | int] | None:
    """The live server of this folder, if there is one; a stale record is removed."""
    marker = folder / SERVING_FILE
    try:
        info = json.loads(marker.read_text())
        uri, pid = str(info["uri"]), int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid != os.getpid():
        try:
            os.kill(pid, 0)
            probe: MongoClient[dict[str, Any]] = MongoClient(uri, serverSelectionTimeoutMS=1000)
            with probe:
                probe.admin.command("ping")
        except (OSError, PyMongoError):
            logger.info(
                "removing the stale record of a server on %s (pid %d is gone or does not answer)", folder, pid
            )
            marker.unlink(missing_ok=True)
            return None
    return {"uri": uri, "pid": pid}


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def serve(path: str, host: str = "127.0.0.1", port: int = 0) -> SecantusDBServer:
    """Start serving the folder in this process and record it; raises AlreadyServed when a live
    process serves it. The record is removed, and the server stopped, when this process exits."""
    folder = Path(path).resolve()
    with _locked(folder):
        if (record := serving_record(folder)) is not None:
            raise AlreadyServed(f"{folder} is served by pid {record['pid']} at {record['uri']}")
        server = SecantusDBServer(host=host, port=port, storage_path=str(folder))
        server.start()
        (folder / SERVING_FILE).write_text(json.dumps({"uri": server.uri, "pid": os.getpid()}))
    atexit.register(stop, server, folder)
    logger.info("embedded SecantusDB on %s serving %s", server.uri, folder)
    return server


def stop(server: SecantusDBServer, folder: Path) -> None:
    """Stop serving; the record goes first, so no command connects to a server that is leaving."""
    with _locked(folder):
        record = serving_record(folder)
        if record is not None and record["pid"] == os.getpid():
            (folder / SERVING_FILE).unlink(missing_ok=True)
    server.stop()


def embedded_uri(path: str) -> str:
    """A URI for the store in `path`: the server that serves it (this process's or another's),
    else one started here for every command that comes later."""
    folder = Path(path).resolve()
    if (record := serving_record(folder)) is not None:
        return str(record["uri"])
    try:
        return str(serve(str(folder)).uri)
    except AlreadyServed:  # another command started serving it a moment ago
        record = serving_record(folder)
        if record is None:
            raise
        return str(record["uri"])
