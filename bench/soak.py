"""A long crawl through the full pipeline, memory sampled as it goes: does the crawler leak?

    python bench/soak.py --articles 20000

The site of bench/crawl.py (listing pages of 50 links, NetEase-template articles, each a different
story), crawled by `scrapy crawl netease` with every pipeline into an embedded SecantusDB started
here. The crawler's resident memory is read from /proc every half second next to the number of
article pages served. Prints the peak, the memory once the warm-up is over (WARMUP pages), and
the growth after it. Goal: growth under 10 %.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymongo
from secantus import SecantusDBServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl import Pages, crawl_args, crawl_env, serve  # noqa: E402

WARMUP = 2000  # article pages before memory is expected to settle


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as folder:
        work = Path(folder)
        store = SecantusDBServer(storage_path=str(work / "mongo"))
        store.start()
        pages = Pages(args.articles)
        site = serve(pages.answer)
        start = time.perf_counter()
        crawl = subprocess.Popen(
            [sys.executable, "-m", "scrapy", *crawl_args(args.articles, pipelines=True)],
            env=crawl_env(site, store.uri, "soak", work),
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        samples: list[tuple[int, float]] = []  # (article pages served, RSS MB)
        while crawl.poll() is None:
            try:
                samples.append((pages.articles_served, rss_mb(crawl.pid)))
            except FileNotFoundError:
                break
            time.sleep(0.5)
        seconds = time.perf_counter() - start
        site.shutdown()
        with pymongo.MongoClient(store.uri) as client:
            stored = client.soak.articles.count_documents({})
        store.stop()
    after = [mb for served, mb in samples if served >= WARMUP]
    settled = after[0] if after else float("nan")
    print(
        f"articles served   {pages.articles_served}  in {seconds:.0f} s ("
        f"{pages.articles_served / seconds * 60:.0f}/min)"
    )
    print(f"articles stored   {stored}")
    print(f"peak RSS          {max(mb for _, mb in samples):.0f} MB")
    print(
        f"RSS at {WARMUP} pages {settled:.0f} MB; at the end {samples[-1][1]:.0f} MB; highest after warm-up "
        f"{max(after, default=float('nan')):.0f} MB"
    )
    print(
        f"growth after warm-up {(max(after, default=settled) - settled) / settled * 100:.1f} %  (goal < 10 %)"
    )
    for served, mb in samples[:: max(len(samples) // 10, 1)]:
        print(f"  {served:>7} pages  {mb:6.0f} MB")


if __name__ == "__main__":
    main()
