"""A source learned from a site's own pages, against the generic path and a hand-written module.

    python bench/learn.py                 # learn from every page of the test site, score every page
    python bench/learn.py --holdout       # learn from every other page, score the pages not seen

The site is the one `crawler source add` is tested on (tests/learnsites.py: real NetEase and Sina
pages under a made-up host, two templates and rarer ones). Learning runs as the command runs it,
in-process and without the network (the probe's crawl is the command's, not timed here): each
page read by the generic path, templates, selectors and noise learned and checked. For each page
with a truth: bag-of-characters F1 of the body (as crawler/learn/pages.py compares) of the generic
path, of the learned source and, for the NetEase pages, of the built-in `netease` module; then
the means, the layouts learned and the seconds learning took.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler.default_settings import CLEAN_MIN_BODY_CHARS  # noqa: E402
from crawler.learn.pages import char_f1, normalised, sample  # noqa: E402
from crawler.learn.source import learn_source, read_with  # noqa: E402
from crawler.learn.urls import learn_article_urls  # noqa: E402
from crawler.process import process_page  # noqa: E402
from crawler.sources import GENERIC  # noqa: E402
from crawler.sources.spec import SourceSpec  # noqa: E402
from tests.conftest import expected_json, page_bytes  # noqa: E402
from tests.learnsites import NETEASE, SINA, bench_page, bench_truth, netease_url, sina_url  # noqa: E402


def pages() -> list[tuple[str, str, bytes, str | None]]:
    """(name, url, body, truth) of every page of the site."""
    site = [(n, netease_url(n), page_bytes(n), expected_json(n)["body"]) for n in NETEASE]
    return site + [(n, sina_url(n), bench_page(n), bench_truth(n)) for n in SINA]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--holdout", action="store_true", help="learn from every other page, score the rest")
    parser.add_argument("--min-pages", type=int, default=3)
    args = parser.parse_args()
    site = pages()
    taught = site[::2] if args.holdout else site
    started = time.perf_counter()
    sampled = [sample(url, body, "text/html", GENERIC, CLEAN_MIN_BODY_CHARS) for _, url, body, _ in taught]
    urls = learn_article_urls([url for _, url, _, _ in site], "news.example.com")
    assert urls is not None
    base = SourceSpec("news", ("news.example.com",), urls.pattern, ())
    learned = learn_source(base, urls, sampled, {}, args.min_pages)
    took = time.perf_counter() - started
    scored = [page for page in site if page not in taught] if args.holdout else site
    rows = []
    for name, url, body, truth in scored:
        if truth is None:
            continue
        truth_text = normalised(truth)
        generic = char_f1(normalised(process_page(body, url, "generic").body or ""), truth_text)
        article, _ = read_with(learned.spec, url, body, "text/html", CLEAN_MIN_BODY_CHARS)
        mine = char_f1(normalised(article.body or ""), truth_text)
        module = (
            char_f1(normalised(process_page(body, url, "netease").body or ""), truth_text)
            if name in NETEASE
            else None
        )
        rows.append((name, article.extracted_by, generic, mine, module))
        shown = f"{module:.3f}" if module is not None else "  -  "
        print(
            f"{name:24} {article.extracted_by:16} generic {generic:.3f}  learned {mine:.3f}  module {shown}"
        )
    print(
        f"\n{len(rows)} pages with a truth ({'held out' if args.holdout else 'all seen'}): mean F1 generic "
        f"{statistics.mean(r[2] for r in rows):.3f}, learned {statistics.mean(r[3] for r in rows):.3f}; "
        f"NetEase pages: learned {statistics.mean(r[3] for r in rows if r[4] is not None):.3f}, "
        f"module {statistics.mean(r[4] for r in rows if r[4] is not None):.3f}"
    )
    layouts = ", ".join(
        f"{lay.name} ({lay.marker} -> {lay.selectors.body[0]})" for lay in learned.spec.layouts
    )
    noise = list(learned.spec.noise)
    print(f"learned from {len(taught)} pages in {took:.1f} s: layouts {layouts or 'none'}; noise {noise}")


if __name__ == "__main__":
    main()
