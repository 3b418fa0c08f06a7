"""The embedded store: with no MONGO_URI the crawler runs SecantusDB (MongoDB wire protocol on
WiredTiger) on a local folder, so it works out of the box.

No command owns it. The first command that needs the folder starts the server as a process of its
own, detached from the command (its own session, as `gpg-agent` or ssh's control master are), on a
loopback port, and every command — the first one included — is a client of it. The server records
itself in `serving.json` beside the data (URI and pid) and its port in `serving.port`; it exits on
its own after MONGO_EMBEDDED_IDLE_EXIT seconds without a client, and at once if its storage fails
for good (WiredTiger's panic, after a full disk): a server that cannot store must not look alive.

A client whose server went away (idle exit, a panic, `crawler db serve` stopped, a kill) starts
the next one on the same port, so its connection comes back by itself (`Revive`, a pymongo
heartbeat listener): nothing it holds has to be spooled. A lock file serialises every start and
stop, so two commands never open the folder at once. `crawler db serve` runs the server in the
foreground instead, on a port of its choosing, for readers outside the crawler; a detached server
it finds is asked to leave first.

Every commit is synced to disk before it is acknowledged (`sync_on_commit`): an article the
crawler counts as stored is on disk, whatever happens to the server after.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError
from pymongo.monitoring import ServerHeartbeatFailedEvent, ServerHeartbeatListener

from crawler.failures import AlreadyServed, NotStarted

logger = logging.getLogger(__name__)

SERVING_FILE = "serving.json"
PORT_FILE = "serving.port"
LOCK_FILE = "serving.lock"
LOG_FILE = "server.log"  # the detached server's own messages (WiredTiger's included)
START_SECONDS = 60.0  # a server that has not said where it listens by then did not start
HEALTH_SECONDS = 1.0  # how often a detached server looks at its clients and its storage
REVIVE_SECONDS = 2.0  # a client starts a server at most this often (a full disk fails each start)
MIN_FREE_BYTES = 20 * 1024 * 1024  # WiredTiger writes its log in files of 10 MB: less, and it panics


@dataclass(frozen=True)
class Record:
    uri: str
    pid: int
    detached: bool


def serving_record(folder: Path) -> Record | None:
    """The live server of this folder, if there is one; a stale record is removed."""
    marker = folder / SERVING_FILE
    try:
        info = json.loads(marker.read_text())
        record = Record(str(info["uri"]), int(info["pid"]), bool(info.get("detached")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if record.pid != os.getpid() and not _answers(record):
        logger.info(
            "removing the stale record of a server on %s (pid %d is gone or silent)", folder, record.pid
        )
        marker.unlink(missing_ok=True)
        return None
    return record


def _answers(record: Record) -> bool:
    try:
        os.kill(record.pid, 0)
        probe: MongoClient[dict[str, Any]] = MongoClient(record.uri, serverSelectionTimeoutMS=1000)
        with probe:
            probe.admin.command("ping")
    except (OSError, PyMongoError):
        return False
    return True


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def disk_full(folder: Path) -> str | None:
    """'N MB free on FOLDER' when the folder's disk has less room than the store needs, else None."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= MIN_FREE_BYTES:
        return None
    return f"{free / 2**20:.1f} MiB free on {folder}, the embedded store needs {MIN_FREE_BYTES // 2**20} MiB"


def ensure_served(path: str, idle_exit: float) -> str:
    """The URI of the server of the store in `path`, started detached if none serves it.
    Raises NotStarted when it cannot be."""
    folder = Path(path).resolve()
    if (record := serving_record(folder)) is not None:
        return record.uri
    with _locked(folder):
        if (record := serving_record(folder)) is not None:  # started while we waited for the lock
            return record.uri
        if full := disk_full(folder):  # WiredTiger would only panic, and leave a log file behind
            raise NotStarted(f"the embedded store on {folder} cannot start: the store's disk is full: {full}")
        return _start_detached(folder, idle_exit)


def _start_detached(folder: Path, idle_exit: float) -> str:
    command = [sys.executable, "-m", "crawler.store.embedded", str(folder)]
    command += ["--port", str(last_port(folder)), "--idle-exit", str(idle_exit)]
    try:
        log = open(folder / LOG_FILE, "ab")  # noqa: SIM115 - the child keeps it
    except OSError:
        log = open(os.devnull, "wb")  # noqa: SIM115
    with log:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,  # not in the command's process group: Ctrl-C and its exit leave it be
            close_fds=True,
            env={k: v for k, v in os.environ.items() if k != "SECANTUS_TEST_FAST_STORAGE"},
        )
    assert child.stdout is not None
    with child.stdout:
        ready, _, _ = select.select([child.stdout], [], [], START_SECONDS)
        line = child.stdout.readline().decode(errors="replace").strip() if ready else ""
    if line.startswith("mongodb://"):
        return line
    if not ready:
        child.kill()
    child.wait()
    raise NotStarted(f"the embedded store on {folder} did not start: {_why_not(folder, line)}")


def _why_not(folder: Path, said: str) -> str:
    if full := disk_full(folder):
        return f"the store's disk is full: {full}"
    return f"{said or 'it said nothing'} (see {folder / LOG_FILE})"


def last_port(folder: Path) -> int:
    """The port the folder was last served on (0: any): a new server there is the one clients of
    the last one reconnect to by themselves."""
    try:
        return int((folder / PORT_FILE).read_text())
    except (OSError, ValueError):
        return 0


def _record(folder: Path, uri: str, port: int, detached: bool) -> None:
    """Write the record in one step (a reader never sees half of it), and the port beside it."""
    tmp = folder / (SERVING_FILE + ".tmp")
    tmp.write_text(json.dumps({"uri": uri, "pid": os.getpid(), "detached": detached}))
    os.replace(tmp, folder / SERVING_FILE)
    (folder / PORT_FILE).write_text(str(port))


def _open(folder: Path, host: str, ports: tuple[int, ...]) -> Any:
    """A started server of the folder, on the first of `ports` that is free (0: any)."""
    from secantus import SecantusDBServer  # the server's code is loaded by the process that serves

    server = SecantusDBServer(host=host, port=ports[0], storage_path=str(folder), sync_on_commit=True)
    for port in ports:
        server.port = port
        try:
            server.start()
        except OSError as exc:
            failed = exc
            continue
        return server
    server.storage.close()
    raise NotStarted(f"cannot serve {folder} on {host} port {ports[-1]}: {failed.strerror}")


def serve(path: str, host: str = "127.0.0.1", port: int = 0) -> Any:
    """Start serving the folder in this process (`crawler db serve`) and record it; a detached
    server is asked to leave first. Raises AlreadyServed when another foreground process serves
    it. The record is removed, and the server stopped, by `stop`."""
    folder = Path(path).resolve()
    while True:
        with _locked(folder):
            record = serving_record(folder)
            if record is None:
                server = _open(folder, host, (port,))
                _record(folder, server.uri, server.address[1], detached=False)
                logger.info("embedded SecantusDB on %s serving %s", server.uri, folder)
                return server
            if not record.detached:
                raise AlreadyServed(f"{folder} is served by pid {record.pid} at {record.uri}")
            os.kill(record.pid, signal.SIGTERM)
        _wait_gone(record.pid)


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def stop(server: Any, folder: Path) -> None:
    """Stop serving; the record goes first, so no command connects to a server that is leaving,
    and the lock is held until the folder is closed, so the next server opens it only then."""
    with _locked(folder):
        record = serving_record(folder)
        if record is not None and record.pid == os.getpid():
            (folder / SERVING_FILE).unlink(missing_ok=True)
        server.stop()


class Revive(ServerHeartbeatListener):
    """Starts the folder's next server when the one a client talks to stops answering: on the
    same port, so the client's pool finds it again and the write it was retrying goes through."""

    def __init__(self, path: str, idle_exit: float) -> None:
        self.path = path
        self.idle_exit = idle_exit
        self.tried = 0.0
        self.failing = False  # said once per outage: the writer that waits on it says the rest
        self.lock = threading.Lock()

    def started(self, event: Any) -> None:
        pass

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: ServerHeartbeatFailedEvent) -> None:
        with self.lock:
            if time.monotonic() - self.tried < REVIVE_SECONDS:
                return
            self.tried = time.monotonic()
        try:
            uri = ensure_served(self.path, self.idle_exit)
        except NotStarted as exc:
            logger.log(logging.DEBUG if self.failing else logging.INFO, "%s", exc)
            self.failing = True
            return
        self.failing = False
        if not uri.endswith(f":{event.connection_id[1]}/"):
            logger.warning(
                "the embedded store %s moved to %s; this command reaches it again when it next starts",
                self.path,
                uri,
            )


# --- The detached server's process ---------------------------------------------------------------


def _serve_detached(folder: Path, port: int, idle_exit: float) -> int:
    """Serve until idle for `idle_exit` seconds (0: never), SIGTERM, or a storage failure."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the starting command's Ctrl-C is not ours
    try:
        server = _open(folder, "127.0.0.1", (port, 0) if port else (0,))
    except Exception as exc:  # WiredTiger's own error (a full disk, a folder in use): one line
        print(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", flush=True)
        return 1
    _record(folder, server.uri, server.address[1], detached=True)
    print(server.uri, flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the starter stops reading here
    idle_since = time.monotonic()
    while not stopping.wait(HEALTH_SECONDS):
        try:
            server.storage.list_databases()
        except Exception as exc:  # WT_PANIC: nothing it does can store any more; the next server recovers
            logger.error("storage failed (%s): leaving, so that the next command starts a new server", exc)
            with _locked(folder):
                (folder / SERVING_FILE).unlink(missing_ok=True)
            os._exit(3)
        if len(server.connections):
            idle_since = time.monotonic()
        elif idle_exit > 0 and time.monotonic() - idle_since >= idle_exit:
            break
    stop(server, folder)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the embedded store's detached server (started by commands)")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--idle-exit", type=float, default=300.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    with suppress(KeyboardInterrupt):
        return _serve_detached(args.folder.resolve(), args.port, args.idle_exit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
