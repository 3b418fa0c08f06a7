"""`crawler db serve` shares the embedded store with readers; `crawler db replay` empties the spool;
`crawler db regroup` settles stored story groups again with today's rules and fingerprints;
`crawler db reextract` derives stored articles again from their kept pages with today's code;
`crawler db index-warc` indexes the kept pages from their files."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from scrapy.settings import Settings

from crawler.archive.index import reindex
from crawler.cli.export import moment
from crawler.cli.settings import known_sources, load_settings, stored_sources
from crawler.failures import AlreadyServed, NotStarted, StoreUnavailable
from crawler.logs import announce
from crawler.reextract import Selection as Derived
from crawler.reextract import reextract
from crawler.sources import registry_of
from crawler.store.captures import Captures
from crawler.store.client import StoreClient
from crawler.store.embedded import last_port, serve, stop
from crawler.store.ingest import Store
from crawler.store.mongo import redact
from crawler.store.regroup import Checkpoint, Selection, regroup, selected
from crawler.urls import is_loopback

T = TypeVar("T")
STOP_POLL_SECONDS = 0.5
DEFAULT_PORT = 27018  # `crawler db serve`'s port for a folder never served before


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("db", help="the embedded store and the spool")
    actions = parser.add_subparsers(dest="action", required=True)
    serve = actions.add_parser("serve", help="serve MONGO_EMBEDDED_PATH over the MongoDB wire protocol")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=int,
        help="port (default: the one the folder was last served on, so its clients find it; else 27018)",
    )
    serve.add_argument(
        "--unauthenticated-network",
        action="store_true",
        help="allow a --host other than loopback: anyone who reaches it can read and write the store",
    )
    serve.set_defaults(run=run_serve)
    replay = actions.add_parser("replay", help="write spooled articles to the store")
    replay.set_defaults(run=run_replay)
    again = actions.add_parser(
        "regroup", help="settle stored story groups again with today's rules and fingerprints"
    )
    again.add_argument("--source", help="only articles of this source")
    again.add_argument(
        "--since", type=moment, help="only articles first stored at or after (ISO 8601; UTC if no offset)"
    )
    again.add_argument(
        "--restart", action="store_true", help="start over instead of going on from the checkpoint"
    )
    again.set_defaults(run=run_regroup)
    derive = actions.add_parser(
        "reextract", help="derive stored articles again from their kept pages (WARC) with today's code"
    )
    derive.add_argument("--source", help="only articles of this source")
    derive.add_argument(
        "--since", type=moment, help="only articles first stored at or after (ISO 8601; UTC if no offset)"
    )
    derive.add_argument("--url", help="only the article stored under this URL")
    derive.add_argument(
        "--restart", action="store_true", help="start over instead of going on from the checkpoint"
    )
    derive.set_defaults(run=run_reextract)
    index = actions.add_parser(
        "index-warc", help="add to the store's index (captures) every record of WARC_DIR's finished files"
    )
    index.set_defaults(run=run_index_warc)


def run_serve(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    path = settings.get("MONGO_EMBEDDED_PATH")
    if not is_loopback(args.host) and not args.unauthenticated_network:
        print(
            f"crawler: refusing to serve the store on {args.host}: the embedded server has no authentication,"
            " so anyone who reaches it could read, change or delete every article. Serve it on 127.0.0.1 "
            "and reach it through an SSH tunnel, use a MongoDB with authentication (MONGO_URI), or pass "
            "--unauthenticated-network if this network is yours alone.",
            file=sys.stderr,
        )
        return 2
    try:
        port = args.port or last_port(Path(path).resolve()) or DEFAULT_PORT
        server = serve(path, host=args.host, port=port)
    except AlreadyServed as exc:
        print(f"crawler: {exc}; connect to it there, or stop that command first", file=sys.stderr)
        return 1
    except NotStarted as exc:
        print(f"crawler: {exc}", file=sys.stderr)
        return 1
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    announce(f"serving {path} at {server.uri} (database {settings.get('MONGO_DATABASE')}); Ctrl-C stops")
    # The kernel may hand SIGTERM to any of the server's threads; Python then runs the handler in
    # the main thread only when it next wakes, and a wait without a timeout never wakes.
    while not stopping.wait(STOP_POLL_SECONDS):
        pass
    stop(server, Path(path).resolve())
    return 0


def run_replay(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    store = Store(StoreClient(settings), registry_of(settings).outlets)
    try:
        done = store.prepare()
    except StoreUnavailable as exc:
        print(
            f"crawler: store {store.uri} unavailable ({exc}); {len(store.spool)} article(s) stay in "
            f"{store.spool.path}",
            file=sys.stderr,
        )
        return 1
    finally:
        store.close()
    if done.busy:
        print(f"crawler: another replay of {store.spool.path} is running; nothing done", file=sys.stderr)
        return 1
    print(
        f"replayed {done.written} article(s), {done.already} already stored, {done.refused} refused "
        f"again and still in {store.spool.path}, {done.quarantined} unreadable line(s) quarantined"
        + (f" in {store.spool.quarantine}" if done.quarantined else "")
    )
    return 1 if done.refused else 0


def run_regroup(args: argparse.Namespace) -> int:
    selection = Selection(args.source, args.since)
    done = resumable(
        args,
        "regroup",
        lambda store, checkpoint: (selected(store.articles, selection), checkpoint.load(selection).seen),
        lambda store, settings, checkpoint, advance: regroup(
            store.articles, store.outlets, store.thresholds, selection, checkpoint, advance
        ),
    )
    if done is None:
        return 1
    print(
        f"regrouped {done.seen} article(s): {done.renewed} fingerprint(s) renewed, "
        f"{len(done.changed)} group(s) changed"
    )
    return 0


def run_reextract(args: argparse.Namespace) -> int:
    selection = Derived(args.source, args.since, args.url)
    done = resumable(
        args,
        "reextract",
        lambda store, checkpoint: (
            store.articles.count_documents(selection.query()),
            (checkpoint.saved(selection.key()) or {}).get("seen", 0),
        ),
        lambda store, settings, checkpoint, advance: reextract(
            store, settings, selection, checkpoint, advance
        ),
    )
    if done is None:
        return 1
    why = ", ".join(f"{n} {reason}" for reason, n in sorted({**done.skipped, **done.failed}.items()))
    print(
        f"reextracted {done.seen} article(s): {done.changed} changed (new versions), {done.unchanged} "
        f"unchanged, {sum(done.skipped.values())} skipped, {sum(done.failed.values())} failed"
        + (f" ({why})" if why else "")
    )
    return 0


def run_index_warc(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    folder = Path(settings.get("WARC_DIR"))
    if not folder.is_dir():  # a WARC_DIR spelt wrong, or a machine that never captured
        print(f"crawler: no WARC folder at {folder} (WARC_DIR): nothing to index", file=sys.stderr)
        return 1
    client = StoreClient(settings)
    try:
        done = reindex(folder, Captures(client))
    except StoreUnavailable as exc:
        print(
            f"crawler: store {client.name} unavailable ({redact(str(exc))}); nothing indexed", file=sys.stderr
        )
        return 1
    finally:
        client.close()
    for line in done.unreadable:
        print(f"crawler: {folder / line}", file=sys.stderr)
    print(
        f"indexed {done.records} record(s) of {done.files} file(s) in {folder}: {done.new} new, "
        f"{done.records - done.new} already indexed"
        + (f"; {done.writing} file(s) still being written, indexed by their writer" if done.writing else "")
    )
    return 1 if done.unreadable else 0


def resumable(
    args: argparse.Namespace,
    name: str,
    size: Callable[[Store, Checkpoint], tuple[int, int]],
    work: Callable[[Store, Settings, Checkpoint, Callable[[int], None]], T],
) -> T | None:
    """A pass over stored articles that goes on from its checkpoint (`SPOOL_PATH.<name>`) when run
    again (`db regroup`, `db reextract`), with a progress bar on stderr: `size` says how many the
    selection holds and how many are done, `work` does them. None, said in one line, when the
    store is unavailable."""
    from tqdm import tqdm

    settings = load_settings(args)
    known_sources([args.source] if args.source else [], stored_sources(settings))
    store = Store(StoreClient(settings), registry_of(settings).outlets)
    checkpoint = Checkpoint(Path(f"{settings.get('SPOOL_PATH')}.{name}"))
    if args.restart:
        checkpoint.clear()
    try:
        store.prepare()
        total, done_before = size(store, checkpoint)  # a resumed pass's bar starts where it stopped
        with tqdm(
            total=total, initial=done_before, unit=" articles", file=sys.stderr, mininterval=0.5
        ) as bar:
            return work(store, settings, checkpoint, bar.update)
    except StoreUnavailable as exc:
        print(
            f"crawler: store {store.uri} unavailable ({exc}); run the same command again to go on from "
            f"{checkpoint.path}",
            file=sys.stderr,
        )
        return None
    finally:
        store.close()
