"""The embedded store: with no MONGO_URI the crawler runs SecantusDB (MongoDB wire protocol on
WiredTiger) on a local folder, so it works out of the box.

One folder can be open in one process only. `crawler db serve` keeps it open on a port and writes
`serving.json` into it; every other command then connects to that server instead of opening the
folder itself.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError
from secantus import SecantusDBServer

logger = logging.getLogger(__name__)

SERVING_FILE = "serving.json"
_servers: dict[Path, SecantusDBServer] = {}


def _serving_uri(folder: Path) -> str | None:
    """URI of a live `crawler db serve` on this folder, if there is one."""
    try:
        info = json.loads((folder / SERVING_FILE).read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    try:
        with MongoClient(info["uri"], serverSelectionTimeoutMS=1000) as client:
            client.admin.command("ping")
    except PyMongoError:
        return None
    return str(info["uri"])


def start_server(path: str, host: str = "127.0.0.1", port: int = 0) -> SecantusDBServer:
    folder = Path(path).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    server = SecantusDBServer(host=host, port=port, storage_path=str(folder))
    server.start()
    logger.info("embedded SecantusDB on %s serving %s", server.uri, folder)
    return server


def embedded_uri(path: str) -> str:
    """A URI for the store in `path`: a server already serving it, or one started in-process."""
    folder = Path(path).resolve()
    if uri := _serving_uri(folder):
        return uri
    if folder not in _servers:
        server = start_server(str(folder))
        _servers[folder] = server
        atexit.register(server.stop)
    return str(_servers[folder].uri)


def announce(server: SecantusDBServer, path: str) -> Path:
    """Write serving.json so that other commands on this machine use this server."""
    marker = Path(path).resolve() / SERVING_FILE
    marker.write_text(json.dumps({"uri": server.uri, "pid": os.getpid()}))
    return marker
