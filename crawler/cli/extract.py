"""`crawler extract FILE.html|DIR|FILE.warc.gz [--url URL] [--source S]`: the articles of pages a
user saved, or of a WARC file's responses, as the same JSON Lines `crawler fetch --no-store`
prints — no network, no store (trafilatura's `-i` / `--input-dir`, for this crawler's extraction).

A saved page's URL is `--url`, else the page's own canonical link (`<link rel=canonical>`,
`og:url`), else `https://offline.invalid/<file name>` (the generic source); a WARC response keeps
its own. A page that gives no article is one line on stderr, and the exit code is 1."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crawler.archive.warcfiles import fetches
from crawler.cli.settings import load_settings
from crawler.failures import BadSetting, BadURL, Failed
from crawler.process import OfflinePage, offline_article, saved_page_url
from crawler.sources import registry_of
from crawler.store.jsonout import article_json
from crawler.urls import check_url

PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "extract", help="extract saved pages or a WARC file's pages offline, print JSON Lines"
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="FILE.html|DIR|FILE.warc.gz")
    parser.add_argument("--url", help="the URL a saved page was served under (one page)")
    parser.add_argument("--source", help="read every page with this source's layouts")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    sources = registry_of(settings)
    if args.source and args.source not in sources.specs:
        known = ", ".join(sorted(sources.specs))
        raise BadSetting(f"--source {args.source}: no such source (known: {known})")
    if args.url:
        try:
            check_url(args.url)
        except BadURL as exc:
            raise BadSetting(f"--url {args.url}: {exc}") from None
    failed = 0
    for name, url, body, content_type in _pages(args.paths, args.url):
        spec = sources.spec_for(args.source) if args.source else sources.spec_for_url(url)
        try:
            article = offline_article([OfflinePage(body, url, content_type)], spec, settings)
        except Failed as exc:
            failed += 1
            print(f"crawler: {name}: {exc.problem.message}", file=sys.stderr)
            continue
        print(json.dumps(article_json(article), ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _pages(paths: list[Path], url: str | None) -> Iterator[tuple[str, str, bytes, str | None]]:
    """(what to call it, URL, body, Content-Type) of each page the paths hold."""
    for path in paths:
        if not path.exists():
            raise BadSetting(f"{path}: no such file or folder")
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.name.endswith(WARC_SUFFIXES):
                for captured, fetch in fetches(file):
                    if fetch.status == 200:
                        yield f"{file}@{captured.offset}", fetch.url, fetch.body, fetch.content_type
            elif file.name.endswith(PAGE_SUFFIXES):
                body = file.read_bytes()
                body = gzip.decompress(body) if file.name.endswith(".gz") else body
                yield str(file), url or saved_page_url(body, file.name), body, None
