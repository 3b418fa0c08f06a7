"""`crawler db reextract` over a store of real crawled articles: articles per second when every
article changes (a rule that cuts every title: a new version each; then the rule as it was: a
version each again) and when none does (the same code again: read, extract, compare, nothing
written).

    python bench/reextract.py --articles 10000

The store is filled by a real crawl of bench/crawl.py's local site (NetEase-template pages, each
a different story) with capture on, so each article's WARC record is one the crawl wrote; the
store runs in a process of its own, as in bench/crawl.py.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl import Pages, crawl_args, crawl_env, serve, store  # noqa: E402 - bench/crawl.py's site

DATABASE = "bench_reextract"


def reextract(env: dict[str, str], work: Path, *settings: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli.main", *settings, "db", "reextract"],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"reextract failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - start, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench-reextract-") as folder,
        store("process", Path(folder)) as (uri, _),
    ):
        work = Path(folder)
        site = serve(Pages(args.articles).answer)
        env = crawl_env(site, uri, DATABASE, work)
        start = time.perf_counter()
        crawled = subprocess.run(
            [sys.executable, "-m", "scrapy", *crawl_args(args.articles, True)],
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
        )
        site.shutdown()
        if crawled.returncode != 0:
            raise SystemExit(f"the crawl failed:\n{crawled.stderr[-3000:]}")
        print(f"crawled {args.articles} articles with capture on in {time.perf_counter() - start:.0f} s")
        env = {k: v for k, v in env.items() if k != "http_proxy"}  # reextract needs no network
        for label, settings in (
            ("every article changes", ("-s", "TITLE_MAX_CHARS=10")),  # every title cut: a version each
            ("every article changes back", ()),  # the rule as it was: a version each again
            ("none changes", ()),  # read, extracted, compared: nothing written
        ):
            seconds, said = reextract(env, work, *settings)
            print(f"{label}: {seconds:.1f} s, {args.articles / seconds:.0f} articles/s — {said}")


if __name__ == "__main__":
    main()
