"""A whole crawl, end to end: pages per minute and peak memory, with the project's pipelines and
with them switched off (Scrapy's own ceiling on this machine), as the site grows.

    python bench/crawl.py --sizes 1000 3000
    python bench/crawl.py --sizes 1000 3000 --rounds 5   # the on/off ratio as a median of 5
    python bench/crawl.py --sizes 3000 -s WARN_ON_GENERATOR_RETURN_VALUE=True   # a setting A/B
    python bench/crawl.py --sizes 1000 3000 --rounds 3 -s WARC_CAPTURE=False     # capture off (on: default)
    python bench/crawl.py --sizes 1000 3000 --rounds 5 --versus WARC_CAPTURE=False  # a setting's cost, A/B

A local site (a thread in this process, reached as the crawler's HTTP proxy, so the crawler sees
www.163.com URLs) serves listing pages of 50 links with pagination and that many NetEase-template
article pages, each a different story. The crawler runs as `scrapy crawl netease` in a child
process; the child reports its own peak RSS. The store is the embedded SecantusDB in a process
of its own (`crawler db serve`), as a deployment runs its MongoDB; `--store in-process` starts it
in this process instead, where its work and the site's threads share one interpreter lock (so the
site slows as the store works: the layout of the figures before 2026-12-04).

On a shared 2-vCPU machine one crawl's time drifts by up to 30 % from the next for the same work,
so a single pair is no figure for the on/off ratio: `--rounds N` runs the off and on crawls of each
size in turn N times and ends with each size's median seconds and the median of the rounds'
ratios (each round's two crawls ran next to each other, under the same drift). `--versus
NAME=VALUE` compares a setting the same way: each round crawls with the pipelines on, as set and
then with NAME=VALUE, and the last column is the rate as set over the rate with it.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

from secantus import SecantusDBServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's tests/ (the shared helpers)
from tests.commands import free_port, no_delays, overrides  # noqa: E402

PER_LISTING = 50
# as fast as the machine goes, and no per-run page cap: the site is the size asked for
FULL_SPEED = (
    "ROBOTSTXT_OBEY=0",
    "CONCURRENT_REQUESTS=16",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "LOG_LEVEL=INFO",
    "CLOSESPIDER_PAGECOUNT=0",
)
HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
    "方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好"
    "应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向"
    "道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特"
    "件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理"
    "府研质信"
)
CHILD = (
    "import atexit, gc, resource, sys, time\n"
    "rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "atexit.register(lambda: print('MAXRSS_KB', rss(), file=sys.stderr))\n"
    # CPU seconds the garbage collector took: each collection's thread time, start to stop
    "collecting = [0.0]\n"
    "def timed(phase, info):\n"
    "    collecting[0] += time.thread_time() * (1 if phase == 'stop' else -1)\n"
    "gc.callbacks.append(timed)\n"
    "atexit.register(lambda: print('GC_SECONDS', collecting[0], file=sys.stderr))\n"
    "from scrapy.cmdline import execute\n"
    "execute(['scrapy', *sys.argv[1:]])\n"
)
# --stages: the CPU seconds (thread time) of each stage an article passes in the crawler, so the
# cost of the pipelines is read off stage by stage, beside what the same extraction costs with
# them off: the spider's extract, each synchronous pipeline, the store pipeline's to_document (its
# part of the reactor thread) and its writer's batches (a thread of their own)
STAGES = (
    "import atexit, sys, time\n"
    "import crawler.pipelines\n"
    "from scrapy.utils.misc import load_object\n"
    "from crawler import settings\n"
    "import crawler.spiders.articles\n"
    "from crawler.store.writer import Writer\n"
    "spent = {}\n"
    "def timing(call, label):\n"
    "    def timed_call(*args, **kwargs):\n"
    "        start = time.thread_time()\n"
    "        try:\n"
    "            return call(*args, **kwargs)\n"
    "        finally:\n"
    "            spent[label] = spent.get(label, 0.0) + time.thread_time() - start\n"
    "    return timed_call\n"
    "crawler.spiders.articles.extract_page = timing(crawler.spiders.articles.extract_page, 'extract')\n"
    "for path in sorted(settings.ITEM_PIPELINES, key=settings.ITEM_PIPELINES.get):\n"
    "    cls = load_object(path)\n"
    "    if cls is crawler.pipelines.MongoPipeline:\n"
    "        crawler.pipelines.to_document = timing(crawler.pipelines.to_document, 'to_document')\n"
    "        Writer.write = timing(Writer.write, 'store writes')\n"
    "    else:\n"
    "        cls.process_item = timing(cls.process_item, cls.__name__.removesuffix('Pipeline').lower())\n"
    "atexit.register(lambda: print('STAGES', *(f'{k} {v:.2f}' for k, v in spent.items()), file=sys.stderr))\n"
)


def story(n: int) -> str:
    rng = random.Random(n)
    return "".join(
        "<p>"
        + "。".join("".join(rng.choice(HAN) for _ in range(rng.randint(20, 40))) for _ in range(3))
        + "。</p>"
        for _ in range(8)
    )


class Pages:
    """The site: listing pages /news/<k>/ and articles /dy/article/<id>.html, made on request."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.articles_served = 0
        template = gzip.decompress((ROOT / "tests/fixtures/pages/netease.html.gz").read_bytes()).decode()
        start, end = (
            template.index("<p>12月16日"),
            template.index("</div>", template.index('class="post_body"')),
        )
        self.head, self.tail = template[:start], template[end:]

    def article_id(self, n: int) -> str:
        return f"B{n:015d}"

    def get(self, path: str) -> bytes | None:
        if match := re.fullmatch(r"http://www\.163\.com/news/(\d+)/", path):
            page = int(match.group(1))
            first = page * PER_LISTING
            links = "".join(
                f'<li><a href="/dy/article/{self.article_id(n)}.html">{n}</a></li>'
                for n in range(first, min(first + PER_LISTING, self.size))
            )
            more = (
                f'<div class="list_page"><a class="next" href="/news/{page + 1}/">next</a></div>'
                if first + PER_LISTING < self.size
                else ""
            )
            return f"<html><body><ul>{links}</ul>{more}</body></html>".encode()
        if match := re.fullmatch(r"http://www\.163\.com/dy/article/B(\d{15})\.html", path):
            n = int(match.group(1))
            self.articles_served += 1
            return (
                self.head.replace("字节跳动回应被OpenAI封禁账户", f"第{n}篇") + story(n) + self.tail
            ).encode()
        return None

    def answer(self, path: str, headers: Message) -> tuple[int, dict[str, str], bytes]:
        body = self.get(path)
        return (200, {}, body) if body is not None else (404, {}, b"")


def serve(answer: Callable[[str, Message], tuple[int, dict[str, str], bytes]]) -> ThreadingHTTPServer:
    """The site on 127.0.0.1, in a thread: `answer(path, request headers)` gives the status, the
    headers beyond the HTML Content-Type, and the body."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            status, headers, body = answer(self.path, self.headers)
            self.send_response(status)
            for name, value in {
                "Content-Type": "text/html; charset=utf-8",
                **headers,
                "Content-Length": str(len(body)),
            }.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def crawl_env(site: ThreadingHTTPServer, mongo_uri: str, database: str, work: Path) -> dict[str, str]:
    """The crawler's environment: the site as its proxy, the bench's store."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        http_proxy=f"http://127.0.0.1:{site.server_address[1]}",
        MONGO_URI=mongo_uri,
        MONGO_DATABASE=database,
        SPOOL_PATH=str(work / "spool.jsonl"),
        SCRAPY_SETTINGS_MODULE="crawler.settings",
    )
    return env


def crawl_args(size: int, pipelines: bool) -> list[str]:
    """`scrapy crawl netease` over the whole site, as fast as the machine goes."""
    args = [
        "crawl",
        "netease",
        "-a",
        "start_urls=http://www.163.com/news/0/",
        "-a",
        f"max_depth={size // PER_LISTING + 1}",
        *no_delays(*FULL_SPEED),
    ]
    return args if pipelines else [*args, *overrides("ITEM_PIPELINES={}")]


class Run(NamedTuple):
    """One crawl: its seconds, articles stored (or scraped), peak RSS in MB of the crawler process,
    CPU seconds of the crawler, of this process (the site, and the store when it runs here), of
    the store's own process, of the crawler's garbage collections, and (with `--stages`) of each
    stage, as "name seconds" pairs."""

    seconds: float
    stored: int
    rss: int
    crawler_cpu: float
    site_cpu: float
    store_cpu: float
    collector: float
    stages: str
    warc_bytes: int  # bytes of the response records the crawl wrote to WARC (WARC_CAPTURE)


def crawl(
    size: int,
    pipelines: bool,
    mongo_uri: str,
    database: str,
    work: Path,
    store_cpu: Callable[[], float],
    extra: tuple[str, ...] = (),
    stages: bool = False,
) -> Run:
    server = serve(Pages(size).answer)
    env = crawl_env(server, mongo_uri, database, work)
    start, own_cpu, child_cpu, store = time.perf_counter(), time.process_time(), children_cpu(), store_cpu()
    run = subprocess.run(
        [sys.executable, "-c", (STAGES if stages else "") + CHILD, *crawl_args(size, pipelines), *extra],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    seconds, own_cpu, child_cpu = (
        time.perf_counter() - start,
        time.process_time() - own_cpu,
        children_cpu() - child_cpu,
    )
    store = store_cpu() - store
    server.shutdown()
    if run.returncode != 0:  # e.g. the project not installed (`pip install -e '.[bench]'`)
        raise SystemExit(f"the crawl failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
    rss = int(re.search(r"MAXRSS_KB (\d+)", run.stderr).group(1)) // 1024
    scraped = re.search(r"'item_scraped_count': (\d+)", run.stderr)
    collector = float(re.search(r"GC_SECONDS (\S+)", run.stderr).group(1))
    spent = re.search(r"STAGES (.*)", run.stderr)
    stored = int(scraped.group(1)) if scraped else 0
    warc = re.search(r"'warc/bytes': (\d+)", run.stderr)
    return Run(
        seconds,
        stored,
        rss,
        child_cpu,
        own_cpu,
        store,
        collector,
        spent.group(1) if spent else "",
        int(warc.group(1)) if warc else 0,
    )


def process_cpu(pid: int) -> float:
    """CPU seconds a running process has used (user + system, /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def store(where: str, work: Path) -> Iterator[tuple[str, Callable[[], float]]]:
    """The store's URI, and how much CPU its own process has used (0 when it runs in this one)."""
    if where == "in-process":
        server = SecantusDBServer(storage_path=str(work / "mongo"))
        server.start()
        try:
            yield server.uri, lambda: 0.0
        finally:
            server.stop()
        return
    port = free_port()
    env = {
        **os.environ,
        "MONGO_EMBEDDED_PATH": str(work / "mongo"),
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
    }
    serving = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", "db", "serve", "--port", str(port)],
        env=env,
        cwd=work,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert serving.stdout is not None
        if not serving.stdout.readline().startswith("serving"):
            raise SystemExit(f"`crawler db serve` did not start (exit {serving.wait()})")
        yield f"mongodb://127.0.0.1:{port}/", lambda: process_cpu(serving.pid)
    finally:
        serving.terminate()
        serving.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument(
        "--store",
        choices=("process", "in-process"),
        default="process",
        help="the embedded store in a process of its own (default) or in this one, beside the site",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="off and on crawls of every size in turn, this many times"
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="under each crawl, the crawler's CPU seconds in each stage (extract, each pipeline)",
    )
    parser.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for both crawls, e.g. -s WARN_ON_GENERATOR_RETURN_VALUE=True (repeatable)",
    )
    parser.add_argument(
        "--versus",
        metavar="NAME=VALUE",
        help="instead of pipelines off and on: pipelines on, as set and with this setting, in turn",
    )
    args = parser.parse_args()
    extra = tuple(overrides(*args.set))
    # (label, pipelines on, settings) of the two crawls each round makes of each size
    pair = (
        [("as set", True, extra), (args.versus, True, (*extra, *overrides(args.versus)))]
        if args.versus
        else [("off", False, extra), ("on", True, extra)]
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-crawl-") as folder,
        store(args.store, Path(folder)) as (uri, store_cpu),
    ):
        work = Path(folder)
        print(
            f"{'articles':>9}{'pipelines':>11}{'seconds':>9}{'stored':>8}{'pages/min':>11}{'peak MB':>9}"
            f"{'crawler CPU s':>15}{'site CPU s':>12}{'store CPU s':>13}{'GC s':>7}{'WARC B/art':>11}"
        )
        rates: dict[tuple[int, int], list[float]] = {}
        for round_ in range(args.rounds):
            for size in args.sizes:
                for which, (label, pipelines, settings) in enumerate(pair):
                    done = crawl(
                        size,
                        pipelines,
                        uri,
                        f"bench_{round_}_{size}_{which}",
                        work,
                        store_cpu,
                        settings,
                        args.stages,
                    )
                    rate = done.stored / done.seconds * 60
                    rates.setdefault((size, which), []).append(rate)
                    print(
                        f"{size:>9}{label[:10]:>11}{done.seconds:>9.1f}{done.stored:>8}"
                        f"{rate:>11.0f}{done.rss:>9}{done.crawler_cpu:>15.1f}{done.site_cpu:>12.1f}"
                        f"{done.store_cpu:>13.1f}{done.collector:>7.2f}"
                        f"{done.warc_bytes // max(done.stored, 1):>11}",
                        flush=True,
                    )
                    if args.stages:
                        print(f"{'':>20}stages, CPU s: {done.stages}", flush=True)
        if args.rounds > 1:
            print(f"\nmedians of {args.rounds} rounds")
            (first, _, _), (second, _, _) = pair
            ratio_of = f"{second}/{first}" if not args.versus else f"{first}/{second}"
            print(f"{'articles':>9}{first[:12]:>15}{second[:12]:>14}   {ratio_of} (pages/min)")
            for size in args.sizes:
                a, b = rates[size, 0], rates[size, 1]
                ratios = (
                    (x / y for x, y in zip(a, b, strict=True))
                    if args.versus
                    else (y / x for x, y in zip(a, b, strict=True))
                )
                ratio = statistics.median(ratios)
                print(f"{size:>9}{statistics.median(a):>15.0f}{statistics.median(b):>14.0f}   {ratio:.0%}")


if __name__ == "__main__":
    main()
