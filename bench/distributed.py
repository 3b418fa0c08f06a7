"""Distributed crawling: pages per second with 1, 2 and 3 workers, and articles lost when one of three
workers is SIGKILLed at 40 %, this project's frontier next to plain scrapy-redis on the same site.

    python bench/distributed.py --articles 300 --latency 0.2

Both sides run the same NetEase spider, cleaning and store pipelines (into one embedded SecantusDB);
only the frontier differs. This project: `crawler schedule --once` seeds the round, `crawler worker
--until-idle` processes crawl it. scrapy-redis: `scrapy crawl netease` processes with its Scheduler,
RFPDupeFilter, SCHEDULER_PERSIST (without it the first worker to finish wipes the queue), its FIFO
queue with SCHEDULER_IDLE_BEFORE_CLOSE=5 (without a wait, the workers that start before the listing
is parsed find the queue empty and close at once), and Scrapy's own downloader middlewares. The site
(a thread here, reached as the workers' HTTP proxy) answers every page after `--latency` seconds and
spreads the articles over 8 hosts of 163.com, so that per-host politeness (4 at once per host: per
worker for scrapy-redis, for the whole cluster here) is not what limits either side. After a SIGKILL
the survivors finish, then one more worker runs: what is still missing then is lost.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymongo
from secantus import SecantusDBServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cluster import article  # noqa: E402
from tests.commands import no_delays, overrides  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.site import Page, Site  # noqa: E402

HOSTS = ("www", "news", "tech", "money", "sports", "ent", "auto", "war")
LISTING = "http://www.163.com/news/"
COMMON = no_delays(
    "LOG_LEVEL=INFO",
    "CONCURRENT_REQUESTS_PER_DOMAIN=4",
    "MONGO_FLUSH_INTERVAL=1",
)
OURS = [*COMMON, "-s", "FRONTIER_LEASE_TIMEOUT=5", "-s", f'SOURCE_START_URLS={{"netease": ["{LISTING}"]}}']
SCRAPY_REDIS = [
    *COMMON,
    *overrides(
        "SCHEDULER=scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS=scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST=True",
        "SCHEDULER_QUEUE_CLASS=scrapy_redis.queue.FifoQueue",
        "SCHEDULER_IDLE_BEFORE_CLOSE=5",
        "DOWNLOADER_MIDDLEWARES={}",
    ),
    "-a",
    f"start_urls={LISTING}",
]


def article_url(n: int) -> str:
    return f"http://{HOSTS[n % len(HOSTS)]}.163.com/dy/article/D{n:015d}.html"


def build_site(count: int, latency: float) -> Site:
    site = Site()
    links = "".join(f'<li><a href="{article_url(n)}">{n}</a></li>' for n in range(count))
    site.add(LISTING, Page(f"<html><body><ul>{links}</ul></body></html>".encode(), delay=latency))
    for n in range(count):
        site.add(article_url(n), Page(article(f"D{n:015d}"), delay=latency))
    return site


class Run:
    def __init__(self, kind: str, count: int, latency: float, mongo: SecantusDBServer, folder: Path) -> None:
        self.kind, self.count, self.folder = kind, count, folder
        self.site = build_site(count, latency)
        self.redis = RedisServer(folder / "redis")
        self.db = f"bench_{''.join(c if c.isalnum() else '_' for c in kind)}_{int(time.time() * 1000)}"
        self.articles = pymongo.MongoClient(mongo.uri)[self.db]["articles"]
        self.env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        self.env.update(
            MONGO_URI=str(mongo.uri),
            MONGO_DATABASE=self.db,
            REDIS_URL=self.redis.url,
            http_proxy=self.site.base,
            SPOOL_PATH=str(folder / "spool.jsonl"),
            SCRAPY_SETTINGS_MODULE="crawler.settings",
        )
        if kind == "this project":
            done = subprocess.run(
                [sys.executable, "-m", "crawler.cli.main", *OURS, "schedule", "--once", "netease"],
                env=self.env,
                cwd=folder,
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, done.stderr[-2000:]

    def worker(self) -> subprocess.Popen:
        if self.kind == "this project":
            command = ["-m", "crawler.cli.main", *OURS, "worker", "--until-idle", "netease"]
        else:
            command = ["-m", "scrapy", "crawl", "netease", *SCRAPY_REDIS]
        log = (self.folder / f"worker-{time.monotonic_ns()}.log").open("w")
        return subprocess.Popen(
            [sys.executable, *command], env=self.env, cwd=self.folder, stdout=subprocess.DEVNULL, stderr=log
        )

    def stored(self) -> int:
        return self.articles.count_documents({})

    def article_fetches(self) -> list[tuple[str, float]]:
        return [
            (r, t) for r, t in zip(self.site.requests, self.site.times, strict=False) if "/dy/article/" in r
        ]

    def close(self) -> None:
        self.articles.database.client.drop_database(self.db)
        self.redis.stop()
        self.site.close()


def throughput(run: Run, workers: int) -> tuple[float, int, int]:
    processes = [run.worker() for _ in range(workers)]
    for p in processes:
        p.wait(1800)
    fetches = run.article_fetches()
    seconds = fetches[-1][1] - fetches[0][1] if len(fetches) > 1 else float("nan")
    return len(fetches) / seconds, run.stored(), len(fetches)


def cpu_ticks(process: subprocess.Popen) -> int:
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def kill_one(run: Run) -> tuple[int, int, int]:
    """SIGKILL the busiest of three workers (most CPU so far) at 40 % stored; the others finish, then
    one more runs."""
    processes = [run.worker() for _ in range(3)]
    while run.stored() < 0.4 * run.count:
        time.sleep(0.05)
    victim = max(processes, key=cpu_ticks)  # the busiest
    victim.send_signal(signal.SIGKILL)
    for p in processes:
        p.wait(1800)
    after_survivors = run.stored()
    run.worker().wait(1800)
    return after_survivors, run.stored(), len(run.article_fetches())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mongo = SecantusDBServer(storage_path=str(Path(tmp) / "mongo"))
        mongo.start()
        print(
            f"{args.articles} articles over {len(HOSTS)} hosts, {args.latency * 1000:.0f} ms per page, "
            "2 cores"
        )
        print(f"{'frontier':14} {'workers':>7} {'pages/s':>8} {'stored':>7} {'fetches':>8}")
        for kind in ("scrapy-redis", "this project"):
            for workers in args.workers:
                run = Run(kind, args.articles, args.latency, mongo, Path(tempfile.mkdtemp(dir=tmp)))
                rate, stored, fetches = throughput(run, workers)
                print(f"{kind:14} {workers:>7} {rate:>8.1f} {stored:>7} {fetches:>8}", flush=True)
                run.close()
        print(
            f"\nSIGKILL of 1 of 3 workers at 40 %: {'frontier':14} {'after survivors':>15} "
            f"{'after a restart':>15} {'lost':>5} {'fetches':>8}"
        )
        for kind in ("scrapy-redis", "this project"):
            run = Run(kind, args.articles, args.latency, mongo, Path(tempfile.mkdtemp(dir=tmp)))
            survivors, restarted, fetches = kill_one(run)
            print(
                f"{'':35}{kind:14} {survivors:>15} {restarted:>15} {args.articles - restarted:>5} "
                f"{fetches:>8}",
                flush=True,
            )
            run.close()
        mongo.stop()


if __name__ == "__main__":
    main()
