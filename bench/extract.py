"""Body extraction quality and speed: this project next to trafilatura, on the same pages.

    python bench/extract.py ../shared/bench-data/cwce_zh ../shared/bench-data/scrapinghub_aeb_en
    python bench/extract.py --fixtures          # the per-source test pages only

For each page set: token-level precision / recall / F1 of the body against the hand-made truth
(a token is one Han character or one Latin word; bags compared, macro-averaged over pages), and
milliseconds per page. On the source fixtures, also the noise snippets left in the body.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura
from scrapy.http import HtmlResponse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler.process import process_page  # noqa: E402
from crawler.sources import spider_for_url  # noqa: E402

TOKEN = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9]+")
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
REPEAT = 3  # timing runs per page; the minimum is reported, as the least disturbed


def tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in TOKEN.findall(text or ""))


def prf(found: str, truth: str) -> tuple[float, float, float]:
    got, want = tokens(found), tokens(truth)
    common = sum((got & want).values())
    p = common / sum(got.values()) if got else 0.0
    r = common / sum(want.values()) if want else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def load_set(folder: Path) -> list[tuple[bytes, str, str]]:
    """(html bytes, url, truth text) for every page of a bench-data folder."""
    pages = []
    for entry in json.loads((folder / "index.json").read_text()):
        truth_raw = (folder / entry["truth"]).read_text(encoding="utf-8")
        truth = json.loads(truth_raw)["articleBody"] if entry["truth"].endswith(".json") else truth_raw
        url = entry.get("url") or f"http://bench.invalid/{Path(entry['html']).stem}.html"
        pages.append(((folder / entry["html"]).read_bytes(), url, truth))
    return pages


def ours(body: bytes, url: str) -> str:
    return process_page(body, url, spider_for_url(url).name).body


def theirs(body: bytes, url: str) -> str:
    text = HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html"}).text
    return trafilatura.extract(text, url=url) or ""


def timed(extract: Callable[[bytes, str], str], body: bytes, url: str) -> tuple[str, float]:
    best, out = float("inf"), ""
    for _ in range(REPEAT):
        start = time.perf_counter()
        try:
            out = extract(body, url)
        except Exception:  # noqa: BLE001 - a page an extractor cannot handle scores zero
            out = ""
        best = min(best, time.perf_counter() - start)
    return out, best * 1000


def evaluate(name: str, pages: list[tuple[bytes, str, str]], noise: dict[str, list[str]] | None = None) -> None:
    print(f"\n{name}: {len(pages)} pages")
    print(f"{'extractor':<14}{'precision':>10}{'recall':>10}{'F1':>10}{'ms/page':>10}{'noise left':>12}")
    for label, extract in (("this project", ours), ("trafilatura", theirs)):
        scores, times, left = [], [], 0
        for body, url, truth in pages:
            text, ms = timed(extract, body, url)
            scores.append(prf(text, truth))
            times.append(ms)
            left += sum(snippet in text for snippet in (noise or {}).get(url, []))
        p, r, f = (statistics.mean(s[i] for s in scores) for i in range(3))
        noise_col = str(left) if noise is not None else "-"
        print(f"{label:<14}{p:>10.3f}{r:>10.3f}{f:>10.3f}{statistics.mean(times):>10.2f}{noise_col:>12}")


def fixture_set() -> tuple[list[tuple[bytes, str, str]], dict[str, list[str]]]:
    """The per-source test pages, with their reviewed expected bodies as truth."""
    entries = json.loads((FIXTURES / "pages.json").read_text())
    pages, noise = [], {}
    for name, entry in entries.items():
        if entry["source"] == "generic":
            continue
        body = gzip.decompress((FIXTURES / "pages" / f"{name}.html.gz").read_bytes())
        truth = json.loads((FIXTURES / "expected" / f"{name}.json").read_text())["body"]
        pages.append((body, entry["url"], truth))
        noise[entry["url"]] = entry["noise"]
    return pages, noise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path, help="bench-data folders with index.json")
    parser.add_argument("--fixtures", action="store_true", help="also (or only) the per-source test pages")
    args = parser.parse_args()
    for folder in args.folders:
        evaluate(folder.name, load_set(folder))
    if args.fixtures or not args.folders:
        pages, noise = fixture_set()
        evaluate("source fixtures", pages, noise)


if __name__ == "__main__":
    main()
