"""What `crawler api` answers, how fast, with fetches in parallel and with its store down.

    python bench/api.py [--requests 64] [--concurrency 1 4 16]

1. `/fetch` of the five sources' real fixture pages, through a local forward proxy (the tests'
   site, on 127.0.0.2), at each concurrency: requests per second, p50 and p95 milliseconds, and
   how many answers were not 200 or came back for another URL than the one asked for, and how
   many requests the site saw for pages nobody asked for (discovery pages).
2. The store down (MONGO_URI naming a port nothing listens on): ten `/health` calls wait on the
   store in parallel while `/fetch` of a bad URL and `/elsewhere` are timed: their milliseconds
   (goal: under 100 ms), and how long `/health` took to say 503.
3. Heavy pages: 1, 4 and 10 `/fetch`es at once of a 4.7 MB page of 25,000 paragraphs (under
   API_MAX_BYTES), while `/health` is called every 20 ms: its p50, p99 and slowest milliseconds
   (goal: p99 under 100 ms), and how long the heavy fetches took.
Every address used is on loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from secantus import SecantusDBServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.commands import free_port  # noqa: E402
from tests.conftest import PAGES, page_bytes  # noqa: E402
from tests.site import Site  # noqa: E402

SOURCES = ("netease", "bannedbook", "daydaynews", "solidot", "aibase")


def start_api(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", "api", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None and "serving" in process.stdout.readline()
    return process, f"http://127.0.0.1:{port}"


def call(url: str) -> tuple[int, dict, float]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            status, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        status, body = error.code, json.loads(error.read())
    return status, body, (time.perf_counter() - start) * 1000


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * share))]


def fetch_rates(base: str, site: Site, requests: int, concurrency: list[int]) -> None:
    urls = [PAGES[name]["url"].replace("https://", "http://") for name in SOURCES]
    print(
        f"{'concurrent':>10}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'not 200':>9}{'wrong URL':>11}"
        f"{'unasked':>9}"
    )
    for workers in concurrency:
        asked = [urls[n % len(urls)] for n in range(requests)]
        seen = len(site.requests)
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            answers = list(
                pool.map(lambda url: (url, *call(f"{base}/fetch?url={urllib.parse.quote(url)}")), asked)
            )
        elapsed = time.perf_counter() - start
        times = [ms for _, _, _, ms in answers]
        failed = sum(status != 200 for _, status, _, _ in answers)
        wrong = sum(status == 200 and body["url"] != url for url, status, body, _ in answers)
        unasked = sum(1 for u in site.requests[seen:] if u not in urls and not u.endswith("/robots.txt"))
        print(
            f"{workers:>10}{requests / elapsed:>8.1f}{statistics.median(times):>8.0f}"
            f"{percentile(times, 0.95):>8.0f}{failed:>9}{wrong:>11}{unasked:>9}",
            flush=True,
        )


def store_down(env: dict[str, str], cwd: Path) -> None:
    process, base = start_api(env | {"MONGO_URI": f"mongodb://127.0.0.1:{free_port()}/"}, cwd)
    try:
        with ThreadPoolExecutor(12) as pool:
            health = [pool.submit(call, f"{base}/health") for _ in range(10)]
            time.sleep(0.2)  # the health checks are waiting on the store now
            bad = [call(f"{base}/fetch?url=ftp%3A%2F%2Fx") for _ in range(20)]
            missing = [call(f"{base}/elsewhere") for _ in range(20)]
            waited = [h.result()[2] for h in health]
        print(
            f"store down: /fetch bad URL p50 {statistics.median(t for *_, t in bad):.1f} ms, max "
            f"{max(t for *_, t in bad):.1f} ms; /elsewhere p50 "
            f"{statistics.median(t for *_, t in missing):.1f} ms, max {max(t for *_, t in missing):.1f} ms; /"
            f"health 503 after {min(waited):.0f}-{max(waited):.0f} ms ("
            f"{sum(h.result()[0] == 503 for h in health)} of {len(health)})"
        )
    finally:
        process.terminate()
        process.wait(30)


def heavy_page() -> bytes:
    """A long page built here (no real page is this long): a headline, then 25,000 paragraphs."""
    paragraphs = "".join(
        f"<p>第{n}段：这是一段用于测试的新闻正文，记者在现场报道了相关情况，并采访了多位当事人。</p>"
        for n in range(25_000)
    )
    return (
        "<html><head><meta charset='utf-8'><title>长篇报道</title></head><body><h1>长篇报道</h1>"
        f"<div class='article'>{paragraphs}</div></body></html>"
    ).encode()


def health_under_load(base: str, site: Site, loads: list[int]) -> None:
    url = "http://heavy.example.com/news/2026/12/05/long.html"
    site.add(url, heavy_page())
    print(f"{'heavy':>6}{'health p50':>12}{'p99':>8}{'max':>8}{'calls':>7}{'fetches s':>11}{'not 200':>9}")
    for load in loads:
        with ThreadPoolExecutor(load) as pool:
            fetches = [pool.submit(call, f"{base}/fetch?url={urllib.parse.quote(url)}") for _ in range(load)]
            times = []
            while not all(f.done() for f in fetches):
                times.append(call(f"{base}/health")[2])
                time.sleep(0.02)
            answers = [f.result() for f in fetches]
        print(
            f"{load:>6}{statistics.median(times):>12.0f}{percentile(times, 0.99):>8.0f}"
            f"{max(times):>8.0f}{len(times):>7}{max(ms for *_, ms in answers) / 1000:>11.1f}"
            f"{sum(status != 200 for status, *_ in answers):>9}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--heavy", type=int, nargs="+", default=[1, 4, 10])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        work = Path(folder)
        server = SecantusDBServer(storage_path=str(work / "mongo"))
        server.start()
        site = Site("127.0.0.2")
        for name in SOURCES:
            site.add(PAGES[name]["url"].replace("https://", "http://"), page_bytes(name))
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env |= {
            "MONGO_URI": str(server.uri),
            "MONGO_DATABASE": "bench",
            "SPOOL_PATH": str(work / "spool.jsonl"),
            "MONGO_EMBEDDED_PATH": str(work / "embedded"),
            "http_proxy": site.base,
        }
        process, base = start_api(env, work)
        try:
            fetch_rates(base, site, args.requests, args.concurrency)
            health_under_load(base, site, args.heavy)
        finally:
            process.terminate()
            process.wait(30)
        store_down(env, work)
        site.close()
        server.stop()


if __name__ == "__main__":
    main()
