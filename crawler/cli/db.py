"""`crawler db serve` shares the embedded store with readers; `crawler db replay` empties the spool."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from crawler.cli.settings import load_settings
from crawler.ingest import Store
from crawler.store.embedded import announce, start_server
from crawler.store.mongo import StoreUnavailable


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("db", help="the embedded store and the spool")
    actions = parser.add_subparsers(dest="action", required=True)
    serve = actions.add_parser("serve", help="serve MONGO_EMBEDDED_PATH over the MongoDB wire protocol")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=27018, help="port (default 27018)")
    serve.set_defaults(run=run_serve)
    replay = actions.add_parser("replay", help="write spooled articles to the store")
    replay.set_defaults(run=run_replay)


def run_serve(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    path = settings.get("MONGO_EMBEDDED_PATH")
    server = start_server(path, host=args.host, port=args.port)
    marker = announce(server, path)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"serving {path} at {server.uri} (database {settings.get('MONGO_DATABASE')}); Ctrl-C stops", flush=True)
    stop.wait()
    marker.unlink(missing_ok=True)
    server.stop()
    return 0


def run_replay(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    store = Store(settings)
    try:
        done = store.prepare()
    except StoreUnavailable as exc:
        print(f"crawler: store {store.uri} unavailable ({exc}); {len(store.spool)} article(s) stay in "
              f"{store.spool.path}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if done.busy:
        print(f"crawler: another replay of {store.spool.path} is running; nothing done", file=sys.stderr)
        return 1
    print(f"replayed {done.written} article(s), {done.already} already stored, {done.refused} refused "
          f"again and still in {store.spool.path}, {done.quarantined} unreadable line(s) quarantined"
          + (f" in {store.spool.quarantine}" if done.quarantined else ""))
    return 1 if done.refused else 0
