"""`crawler export`: stored articles as JSON Lines or CSV, to stdout or a file."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from crawler.cli.settings import known_sources, load_settings, store_to_read, stored_sources
from crawler.store.export import ExportFilter, documents, write_csv, write_jsonl


def moment(text: str) -> datetime:
    """ISO 8601; a time without an offset is taken as UTC."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("export", help="stream stored articles as JSON Lines or CSV")
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--output", "-o", help="file to write (default: stdout)")
    parser.add_argument("--bom", action="store_true", help="with --format csv: a UTF-8 BOM first, for Excel")
    parser.add_argument(
        "--since",
        type=moment,
        help="published (with --removed: removed) at or after (ISO 8601; UTC if no offset)",
    )
    parser.add_argument(
        "--until", type=moment, help="published (with --removed: removed) before (ISO 8601; UTC if no offset)"
    )
    parser.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    parser.add_argument("--canonical", action="store_true", help="originals only: each story once")
    parser.add_argument(
        "--removed", action="store_true", help="articles now gone from their site (removed_at set)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    known_sources(args.source, stored_sources(settings))
    selection = ExportFilter(args.since, args.until, tuple(args.source), args.canonical, args.removed)
    write = partial(write_csv, bom=args.bom) if args.format == "csv" else write_jsonl
    unfinished = Path(args.output).with_name(f".{Path(args.output).name}.part") if args.output else None
    try:
        with store_to_read(settings) as store:
            out_file = open(unfinished, "w", encoding="utf-8", newline="") if unfinished else None
            with out_file or nullcontext(sys.stdout) as out:
                count = write(documents(store.collection(), selection), out)
        if unfinished:  # the file appears whole or not at all: a full disk leaves no half export
            unfinished.replace(args.output)
    except OSError as exc:  # -o into a missing folder, onto a full or read-only disk
        if isinstance(exc, BrokenPipeError):
            raise
        if unfinished:
            unfinished.unlink(missing_ok=True)
        print(f"crawler: cannot write {args.output or 'stdout'}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"exported {count} article(s)", file=sys.stderr)
    return 0
