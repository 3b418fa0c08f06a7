"""Body extraction quality and speed: this project next to trafilatura, on the same real pages.

    python bench/extract.py ../shared/bench-data/cwce_zh ../shared/bench-data/gne_zh \
        ../shared/bench-data/scrapinghub_aeb_en --fixtures
    python bench/extract.py --fixtures          # the per-source test pages only
    python bench/extract.py ../shared/bench-data/gne_zh --worst 5   # and the five worst pages
    python bench/extract.py ../shared/bench-data/gne_zh --generic   # as a site without a module

For each page set: token-level precision / recall / F1 of the body against the truth (a token is
one Han character or one Latin word; bags compared, macro-averaged over pages with a truth), the
pages whose body came out empty, the pages where a link-farm or sign-off marker survived
(热点推荐, 相关阅读, 责任编辑, ...), must / must-not snippets where a set has them, and
milliseconds per page (the two extractors run in turn on each page, best of three), with their
ratio. On the source fixtures, also the noise snippets left in the body.
Pages and truths are read by tests/evalsets.py, as the evaluation gate in the suite reads them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura
from scrapy.http import HtmlResponse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler.process import process_page  # noqa: E402
from crawler.sources import BUILT_IN  # noqa: E402
from tests.evalsets import Page, load_set, markers_left, prf  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
REPEAT = 3  # timing runs per page; the minimum is reported, as the least disturbed


def ours(body: bytes, url: str) -> str:
    return process_page(body, url, BUILT_IN.spec_for_url(url).name).body


def ours_generic(body: bytes, url: str) -> str:
    """Every page as a site without a source module meets it: the generic path, whatever the URL."""
    return process_page(body, url, "generic").body


def theirs(body: bytes, url: str) -> str:
    text = HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html"}).text
    return trafilatura.extract(text, url=url) or ""


EXTRACTORS: dict[str, Callable[[bytes, str], str]] = {"this project": ours, "trafilatura": theirs}


def run_once(extract: Callable[[bytes, str], str], body: bytes, url: str) -> tuple[str, float]:
    start = time.perf_counter()
    try:
        out = extract(body, url)
    except Exception:  # noqa: BLE001 - a page an extractor cannot handle scores zero
        out = ""
    return out, (time.perf_counter() - start) * 1000


def timed(body: bytes, url: str) -> dict[str, tuple[str, float]]:
    """Each extractor's output and best time on one page, the runs interleaved (ours, theirs, ours,
    ...) so that a machine slowing down or speeding up mid-run weighs on both alike."""
    results: dict[str, tuple[str, float]] = {}
    for _ in range(REPEAT):
        for label, extract in EXTRACTORS.items():
            out, ms = run_once(extract, body, url)
            results[label] = (out, min(ms, results.get(label, (out, float("inf")))[1]))
    return results


def evaluate(name: str, pages: list[Page], noise: dict[str, list[str]] | None = None, worst: int = 0) -> None:
    print(f"\n{name}: {len(pages)} pages, {sum(p.truth is not None for p in pages)} with a body truth")
    print(
        f"{'extractor':<14}{'precision':>10}{'recall':>8}{'F1':>8}{'empty':>7}{'markers':>9}"
        f"{'snippets':>10}{'ms/page':>9}{'noise left':>12}"
    )
    runs = [timed(page.html, page.url) for page in pages]
    for label in EXTRACTORS:
        scores, times, empty, marked, left, snip_ok, snip_all = [], [], 0, 0, 0, 0, 0
        per_page: list[tuple[float, str]] = []
        for page, run in zip(pages, runs, strict=True):
            text, ms = run[label]
            times.append(ms)
            empty += not text.strip()
            marked += bool(markers_left(text))
            left += sum(snippet in text for snippet in (noise or {}).get(page.url, []))
            snip_ok += sum(s in text for s in page.must) + sum(s not in text for s in page.must_not)
            snip_all += len(page.must) + len(page.must_not)
            if page.truth is not None:
                scores.append(prf(text, page.truth))
                per_page.append((scores[-1][2], page.name))
        p, r, f = (statistics.mean(s[i] for s in scores) if scores else float("nan") for i in range(3))
        snippets = f"{snip_ok}/{snip_all}" if snip_all else "-"
        noise_col = str(left) if noise is not None else "-"
        print(
            f"{label:<14}{p:>10.3f}{r:>8.3f}{f:>8.3f}{empty:>7}{marked:>9}{snippets:>10}"
            f"{statistics.mean(times):>9.2f}{noise_col:>12}"
        )
        if worst and label == "this project":
            for score, page_name in sorted(per_page)[:worst]:
                print(f"    worst: {score:.3f} {page_name}")
    ours_ms = sum(run["this project"][1] for run in runs)
    theirs_ms = sum(run["trafilatura"][1] for run in runs)
    print(
        f"time of this project / trafilatura: {ours_ms / theirs_ms:.2f}x (interleaved runs, "
        f"best of {REPEAT} per page)"
    )


def fixture_set() -> tuple[list[Page], dict[str, list[str]]]:
    """The per-source test pages, with their reviewed expected bodies as truth."""
    entries = json.loads((FIXTURES / "pages.json").read_text())
    pages, noise = [], {}
    for name, entry in entries.items():
        if entry["source"] == "generic":
            continue
        body = gzip.decompress((FIXTURES / "pages" / f"{name}.html.gz").read_bytes())
        truth = json.loads((FIXTURES / "expected" / f"{name}.json").read_text())["body"]
        pages.append(Page(name, body, entry["url"], truth=truth))
        noise[entry["url"]] = entry["noise"]
    return pages, noise


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folders", nargs="*", type=Path, help="bench-data folders with index.json")
    parser.add_argument("--fixtures", action="store_true", help="also (or only) the per-source test pages")
    parser.add_argument("--worst", type=int, default=0, help="list this many lowest-F1 pages of each set")
    parser.add_argument(
        "--generic",
        action="store_true",
        help="every page through the generic path, whatever source its URL belongs to",
    )
    args = parser.parse_args()
    if args.generic:
        EXTRACTORS["this project"] = ours_generic
    for folder in args.folders:
        evaluate(folder.name, load_set(folder), worst=args.worst)
    if args.fixtures or not args.folders:
        pages, noise = fixture_set()
        evaluate("source fixtures", pages, noise, worst=args.worst)


if __name__ == "__main__":
    main()
