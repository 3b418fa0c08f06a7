"""`crawler source add NAME URL [URL ...]`: a source made from the site itself — probed, sampled,
its article URLs, layouts and noise learned (crawler/learn/), written as SOURCES_DIR/NAME.toml
with its evidence in SOURCES_DIR/NAME/ (the sampled pages, their expected articles, a report),
not enabled until `--enable` or `crawler source enable NAME`. `crawler source check NAME` reads
the evidence pages again and says which no longer give their expected article."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scrapy.crawler import CrawlerProcess

from crawler.cli.settings import load_settings
from crawler.contracts import differing, reviewed
from crawler.failures import BadSetting, BadURL, CannotStart, Failed
from crawler.learn.pages import Sampled, sample
from crawler.learn.source import Learned, learn_source, read_with, report
from crawler.logs import command_logging
from crawler.sources import BUILT_IN, GENERIC, Registry, added_sources, registry_of
from crawler.sources.files import (
    SUFFIX,
    Fixture,
    SourceFile,
    read_fixtures,
    set_enabled,
    write_evidence,
    write_source,
)
from crawler.sources.spec import SourceSpec
from crawler.spiders.probe import Probe, ProbeSpider, site_domain
from crawler.urls import check_url


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("source", help="add a source from a site's address; check or enable one")
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="learn a source from the site: its article URLs, layouts and noise")
    add.add_argument("name", help="the source's name: a lower-case identifier")
    add.add_argument(
        "urls", nargs="+", metavar="URL", help="the site's home, listing pages, feeds or sitemaps"
    )
    add.add_argument("--domain", help="the domain the source owns (default: the first URL's host less www.)")
    add.add_argument(
        "--sample", type=int, help="article pages fetched at most (default: SOURCE_SAMPLE_PAGES)"
    )
    add.add_argument(
        "--min-pages",
        type=int,
        help="pages a template needs to become a layout (default: SOURCE_LAYOUT_MIN_PAGES)",
    )
    add.add_argument("--timezone", default="Asia/Shanghai", help="the zone of times the pages state bare")
    add.add_argument("--enable", action="store_true", help="crawl it from now on (default: review first)")
    add.add_argument("--replace", action="store_true", help="learn again a source added before")
    add.add_argument("-v", "--verbose", action="store_true", help="Scrapy's log on stderr")
    add.set_defaults(run=run_add)
    check = actions.add_parser("check", help="read an added source's evidence pages again")
    check.add_argument("name")
    check.set_defaults(run=run_check)
    for action, enabled in (("enable", True), ("disable", False)):
        flag = actions.add_parser(action, help=f"{action} an added source (its file's `enabled`)")
        flag.add_argument("name")
        flag.set_defaults(run=run_enable, enabled=enabled)


def run_add(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if not settings.get("SOURCES_DIR"):
        raise BadSetting("source add: SOURCES_DIR names no folder: the crawler would not read the source")
    folder = Path(settings.get("SOURCES_DIR"))
    base = _new_source(args, folder, registry_of(settings))
    was_enabled = any(f.spec.name == base.name and f.enabled for f in added_sources(settings))
    sample_size = args.sample or settings.getint("SOURCE_SAMPLE_PAGES")
    min_pages = args.min_pages or settings.getint("SOURCE_LAYOUT_MIN_PAGES")
    if sample_size < 1 or min_pages < 1:
        raise BadSetting("--sample and --min-pages must be 1 or more")
    probe = Probe(list(base.start_urls), base.domains[0], sample_size, base.timezone)
    command_logging(settings, args.verbose)
    process = CrawlerProcess(settings)
    process.crawl(ProbeSpider, probe=probe)
    process.start()
    if probe.articles is None:
        found = ", ".join(f"{url}: {why}" for url, why in list(probe.failed.items())[:3])
        raise CannotStart(
            f"source add {base.name}: no article URL shape among the {len(set(probe.links))} links found"
            + (f" ({found})" if found else "")
            + "; give the site's listing pages, feed or sitemap"
        )
    pages, failed = _sampled(probe, probe.articles.pattern, settings.getint("CLEAN_MIN_BODY_CHARS"))
    if not pages:
        first = next(iter(failed.items()), ("-", "none fetched"))
        raise CannotStart(
            f"source add {base.name}: none of the {len(failed)} sampled article pages gave an article"
            f" ({first[0]}: {first[1]})"
        )
    base = replace(base, start_urls=tuple(probe.discovery_urls()))
    fetched = [url for url in failed if url in probe.pages]  # fetched, and no article in them
    urls = probe.articles.narrowed(probe.links, [page.url for page in pages], fetched)
    learned = learn_source(base, urls, pages, failed, min_pages)
    try:
        path = _write(folder, learned, pages, args.enable)
    except OSError as exc:
        raise CannotStart(
            f"source add {base.name}: cannot write to {folder}: {exc.strerror or exc}"
        ) from None
    _say(learned, path, args.enable, was_enabled)
    return 0


def _new_source(args: argparse.Namespace, folder: Path, sources: Registry) -> SourceSpec:
    """The source's name, domain and discovery URLs, checked; BadSetting for one no crawl takes
    (its domain another source owns: a URL has one source)."""
    try:
        urls = [check_url(url) for url in args.urls]
    except BadURL as exc:
        raise BadSetting(f"source add: {exc}") from None
    if args.name in BUILT_IN.all_specs:
        raise BadSetting(f"source add: {args.name} is a built-in source")
    existing = folder / f"{args.name}{SUFFIX}"
    if existing.exists() and not args.replace:
        raise BadSetting(f"source add: {existing} exists (--replace learns it again)")
    domain = (args.domain or site_domain(urls[0])).lower()
    owner = sources.spec_for_url(f"http://{domain}/")
    if owner.name not in (GENERIC.name, args.name):
        raise BadSetting(f"source add: {domain} is the {owner.name} source's")
    try:
        ZoneInfo(args.timezone)
        return SourceSpec(
            args.name, (domain,), GENERIC.article_pattern, (), tuple(urls), timezone=args.timezone
        )
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise BadSetting(f"source add: {exc}") from None


def _sampled(probe: Probe, pattern: str, min_chars: int) -> tuple[list[Sampled], dict[str, str]]:
    """The sampled pages the generic path reads, and why the other article pages gave nothing."""
    pages, failed = [], {url: why for url, why in probe.failed.items() if re.search(pattern, url)}
    for url, (body, content_type) in sorted(probe.pages.items()):  # one order, whichever came first
        try:
            pages.append(sample(url, body, content_type, GENERIC, min_chars))
        except Failed as exc:
            failed[url] = exc.problem.message
    return pages, failed


def _write(folder: Path, learned: Learned, pages: list[Sampled], enabled: bool) -> Path:
    """The source's file and its evidence: every sampled page with the article the source makes
    of it, and the report."""
    fixtures = []
    for number, page in enumerate(pages, 1):
        article, _ = read_with(learned.spec, page.url, page.body, page.content_type)
        fixtures.append(
            Fixture(f"page_{number:03d}", page.url, page.content_type, page.body, reviewed(article))
        )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    write_evidence(folder / learned.spec.name, fixtures, report(learned, when))
    return write_source(folder, learned.spec, enabled, {"on": when, **learned.summary()})


def _say(learned: Learned, path: Path, enabled: bool, was_enabled: bool) -> None:
    layouts = [t for t in learned.templates if t.layout]
    shown = ", ".join(f"{t.layout} ({len(t.pages)} pages)" for t in layouts) or "none"
    name, generic, noise = learned.spec.name, len(learned.generic_pages), len(learned.spec.noise)
    print(
        f"{name}: article URLs {' '.join(learned.urls.shapes)}; layouts: {shown}; "
        f"{generic} page(s) on the generic path; noise: {noise} selector(s)"
    )
    state = "enabled" if enabled else f"not enabled: review it, then crawler source enable {name}"
    if was_enabled and not enabled:  # learned again: what runs next is reviewed first, as at first
        state = f"no longer enabled (it was): review it, then crawler source enable {name}"
    print(f"wrote {path} and {path.with_suffix('')}/ (the pages, their articles, report.md); {state}")


def _file(settings: Any, name: str) -> SourceFile:
    for file in added_sources(settings):
        if file.spec.name == name:
            return file
    if name in BUILT_IN.all_specs:
        raise BadSetting(f"{name} is a built-in source: `scrapy check {name}` reads its fixture pages")
    raise BadSetting(f"no added source named {name} in {settings.get('SOURCES_DIR')}")


def run_check(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    file = _file(settings, args.name)
    fixtures = list(read_fixtures(file.evidence))
    differ = 0
    for fixture in fixtures:
        problem = _differs(file.spec, fixture)
        if problem:
            differ += 1
            print(f"crawler: {args.name} {fixture.name} ({fixture.url}): {problem}", file=sys.stderr)
    good = len(fixtures) - differ
    print(f"{args.name}: {good} of {len(fixtures)} evidence page(s) give their expected article")
    return 1 if differ or not fixtures else 0


def _differs(spec: SourceSpec, fixture: Fixture) -> str | None:
    try:
        article, _ = read_with(spec, fixture.url, fixture.body, fixture.content_type)
    except Failed as exc:
        return f"no article: {exc.problem.message}"
    fields = differing(fixture.expected, article)
    return f"{', '.join(fields)} differ from the expected article" if fields else None


def run_enable(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    file = _file(settings, args.name)
    try:
        set_enabled(file.path, args.enabled)
    except OSError as exc:
        raise CannotStart(f"source {args.name}: cannot write {file.path}: {exc.strerror or exc}") from None
    state = "enabled" if args.enabled else "disabled"
    print(
        f"{args.name}: {state} ({file.path}); a running `crawler schedule`, its workers and the API "
        "read the sources when they start: restart them to take it"
    )
    return 0
