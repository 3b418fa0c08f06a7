"""Full disks, made for real: a small tmpfs under the embedded store or under the spool (CI runs as
root, so the tests mount them), filled by the crawl itself. What the crawler counts as stored must
be in the store once space is freed, what it counts as spooled in the spool, and the rest said."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pymongo
import pytest

from crawler.store.spool import Spool
from tests.commands import no_delays
from tests.conftest import article_document, run_crawler, wait_for
from tests.site import Page, Site
from tests.test_runs import ARTICLE, article, listing

IDENTS = [f"F{n:015d}" for n in range(60)]
# each story carries 12,000 characters of its own, so a few dozen fill a couple of megabytes
FILLER = "，".join(f"第{n}段落的文字" for n in range(1500))


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """mount(name, size): a tmpfs of that size at tmp_path/name, unmounted after the test."""
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        path = tmp_path / name
        path.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        stop_server(path / "mongo")
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(folder: Path, leave: int) -> Path:
    """Take all the free space of the folder's disk but `leave` bytes; returns the filler file."""
    filler = folder / "filler"
    with filler.open("wb") as handle:
        os.posix_fallocate(
            handle.fileno(), 0, os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize - leave
        )
    return filler


def stop_server(folder: Path) -> None:
    try:
        pid = json.loads((folder / "serving.json").read_text())["pid"]
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass


def big_site(site: Site) -> None:
    listing(site, IDENTS)
    for ident in IDENTS:
        site.add(ARTICLE.format(ident), article(ident, extra=f"{ident}{FILLER}"))


def stat(log: str, name: str) -> int:
    found = re.search(rf"'{name}': (\d+)", log)
    return int(found.group(1)) if found else 0


def crawl_command(site: Site, env: dict[str, str], *settings: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "crawler.cli.main",
        *no_delays(
            "LOG_LEVEL=INFO",
            "MONGO_BATCH_SIZE=5",
            "MONGO_FLUSH_INTERVAL=0.2",
            "CONCURRENT_REQUESTS=4",
            'SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}',
            *settings,
        ),
        "crawl",
        "netease",
        "--max-depth",
        "0",
    ]


def crawl(site: Site, env: dict[str, str], cwd: Path, *settings: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        crawl_command(site, env, *settings),
        env=env | {"http_proxy": site.base},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def spooled_urls(env: dict[str, str]) -> list[str]:
    return [doc["url"] for doc in Spool(env["SPOOL_PATH"]).documents()]


def embedded_articles(env: dict[str, str]) -> pymongo.collection.Collection:
    uri = json.loads((Path(env["MONGO_EMBEDDED_PATH"]) / "serving.json").read_text())["uri"]
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=10000)[env["MONGO_DATABASE"]]["articles"]


def test_a_crawl_that_fills_the_stores_disk_loses_nothing_it_counted_and_the_next_command_works(
    site: Site, crawler_env, tmpfs, tmp_path: Path
) -> None:
    """On the old main a crawl counted store/new 134 on a 2 MB tmpfs; after a restart 60 were in the
    store and 66 in the spool, and every later command printed a 35-line WT_PANIC traceback."""
    disk = tmpfs("disk", "48m")
    env = {k: v for k, v in crawler_env.items() if k != "MONGO_URI"} | {
        "MONGO_EMBEDDED_PATH": str(disk / "mongo")
    }
    started = run_crawler(["db", "replay"], env, tmp_path)  # the server starts with room for its journal
    assert started.returncode == 0, started.stderr
    filler = fill(disk, leave=24_000_000)  # room for a few megabytes of articles above the 20 MB guard
    big_site(site)

    run = crawl(site, env, tmp_path)

    assert run.returncode == 1, run.stderr[-3000:]
    assert run.stderr.count("ERROR: the store's disk is full:") == 1, run.stderr[-3000:]
    assert "crawler: netease: run failed (disk_full)" in run.stderr
    assert "WT_PANIC" not in run.stderr and "Traceback" not in run.stderr
    new, spooled = stat(run.stderr, "store/new"), stat(run.stderr, "store/spooled")
    assert new > 0 and spooled > 0  # the disk filled mid-crawl
    assert stat(run.stderr, "store/unsaved") == 0  # the spool's disk had room
    assert new + spooled == stat(run.stderr, "item_scraped_count")

    filler.unlink()  # space freed: the next command starts the store again, which recovers
    export = run_crawler(["export"], env, tmp_path)
    assert export.returncode == 0, export.stderr
    assert "WT_PANIC" not in export.stderr and "Traceback" not in export.stderr
    stored = {json.loads(line)["url"] for line in export.stdout.splitlines()}
    assert len(stored) == new
    kept = stat(run.stderr, "store/respooled")  # the batch stored last, spooled once more in case
    assert 0 < kept <= 5 and len(spooled_urls(env)) == spooled + kept
    assert stored | set(spooled_urls(env)) == {ARTICLE.format(i).replace("http:", "https:") for i in IDENTS}

    replay = run_crawler(["db", "replay"], env, tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert embedded_articles(env).count_documents({}) == new + spooled == len(IDENTS)


def test_a_disk_another_process_fills_mid_crawl_loses_nothing_once_space_is_freed(
    site: Site, crawler_env, tmpfs, tmp_path: Path
) -> None:
    """Past the guard: the store's journal fails on a disk filled to the last byte by someone else.
    WiredTiger panics, and the write it acknowledged last can be missing after recovery: that batch
    was spooled once more, so the replay after the space is freed has every article."""
    disk = tmpfs("disk", "48m")
    env = {k: v for k, v in crawler_env.items() if k != "MONGO_URI"} | {
        "MONGO_EMBEDDED_PATH": str(disk / "mongo")
    }
    assert run_crawler(["db", "replay"], env, tmp_path).returncode == 0
    big_site(site)
    for ident in IDENTS:  # slow pages: the disk fills while the crawl is under way
        site.add(ARTICLE.format(ident), Page(article(ident, extra=f"{ident}{FILLER}").encode(), delay=0.2))
    command = crawl_command(site, env, "CONCURRENT_REQUESTS=2", "MONGO_BATCH_SIZE=2")
    with subprocess.Popen(
        command,
        env=env | {"http_proxy": site.base},
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    ) as running:
        wait_for(lambda: embedded_articles(env).count_documents({}) >= 6)
        filler = fill(disk, leave=0)
        _, stderr = running.communicate(timeout=300)
    assert running.returncode == 1, stderr[-3000:]
    assert "crawler: netease: run failed (disk_full)" in stderr
    new, spooled = stat(stderr, "store/new"), stat(stderr, "store/spooled")
    assert new + spooled == stat(stderr, "item_scraped_count")
    assert stat(stderr, "store/respooled") > 0  # the batch acknowledged last, spooled once more

    filler.unlink()
    replay = run_crawler(["db", "replay"], env, tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert embedded_articles(env).count_documents({}) == new + spooled
    assert spooled_urls(env) == []


@pytest.mark.parametrize(("size", "stores"), [("12m", False), ("32m", True)])
def test_a_fetch_of_200_pages_on_a_small_store_says_the_truth_about_every_url(
    size: str, stores: bool, site: Site, crawler_env, tmpfs, tmp_path: Path
) -> None:
    """On the old main, on 12 MB, all 200 URLs said "the article waits in …/a.jsonl" and the spool
    held 120. Now 12 MB is too little for the store to start (its journal needs 20 MB free), so
    each of the 200 is spooled and says so; on 32 MB the first ones are stored, the rest spooled."""
    disk = tmpfs("disk", size)
    env = {k: v for k, v in crawler_env.items() if k != "MONGO_URI"} | {
        "MONGO_EMBEDDED_PATH": str(disk / "mongo")
    }
    idents = [f"G{n:015d}" for n in range(200)]
    urls = [site.add(ARTICLE.format(i), article(i, extra=f"{i}{FILLER[:3000]}")) for i in idents]

    fetch = ["fetch", "--timeout", "240", *urls]  # the disk, not the fetch's budget, is what is tested
    run = run_crawler(fetch, env | {"http_proxy": site.base}, tmp_path, timeout=300)

    assert run.returncode == 1  # not every URL was stored
    assert "Traceback" not in run.stderr and "WT_PANIC" not in run.stderr
    printed = [json.loads(line)["url"] for line in run.stdout.splitlines()]
    waiting = [line for line in run.stderr.splitlines() if "the article waits in" in line]
    assert len(printed) + len(waiting) == 200, run.stderr[-3000:]
    assert bool(printed) is stores and bool(waiting)
    assert all(f"waits in {env['SPOOL_PATH']}" in line for line in waiting)
    assert all("(the store's disk is full" in line for line in waiting)
    spooled = set(spooled_urls(env))
    said_waiting = {line.split(": ")[1].replace("http://", "https://") for line in waiting}
    assert said_waiting <= spooled  # and the others there are stored ones, spooled again in case:
    assert spooled - said_waiting <= set(printed)  # one batch at most (MONGO_BATCH_SIZE)
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)  # space freed
    export = run_crawler(["export"], env, tmp_path)
    if stores:
        assert export.returncode == 0, export.stderr
        assert {json.loads(line)["url"] for line in export.stdout.splitlines()} >= set(printed)
    else:  # the store never started: nothing was stored, and export says so
        assert export.returncode == 1 and "nothing was stored there" in export.stderr


def test_a_full_spool_disk_with_the_store_down_is_counted_and_said_never_claimed(
    site: Site, crawler_env, tmpfs, tmp_path: Path, unused_loopback_port: int
) -> None:
    """On the old main: 94 articles scraped, 24 whole lines and a torn one in the spool, and the
    log said "8 article(s)… spooled"; `crawler fetch` said "the article waits in …"."""
    spool_disk = tmpfs("spool", "256k")
    env = crawler_env | {
        "MONGO_URI": f"mongodb://user:s3cret@127.0.0.1:{unused_loopback_port}/",
        "SPOOL_PATH": str(spool_disk / "articles.jsonl"),
    }
    fill(spool_disk, leave=0)
    listing(site, IDENTS[:10])
    for ident in IDENTS[:10]:
        site.add(ARTICLE.format(ident), article(ident))

    run = crawl(site, env, tmp_path, "MONGO_TIMEOUT_MS=300", "MONGO_OUTAGE_LIMIT=1")

    assert run.returncode == 1, run.stderr[-3000:]
    assert stat(run.stderr, "store/spooled") == 0
    assert stat(run.stderr, "store/unsaved") == stat(run.stderr, "item_scraped_count") == 10
    assert "10 article(s) lost: neither stored nor spooled" in run.stderr
    assert "spooled to" not in run.stderr
    assert "s3cret" not in run.stderr
    assert spooled_urls(env) == []

    url = ARTICLE.format(IDENTS[0])
    fetch = run_crawler(
        ["-s", "MONGO_TIMEOUT_MS=300", "fetch", url], env | {"http_proxy": site.base}, tmp_path
    )
    assert fetch.returncode == 1
    assert fetch.stderr.startswith(f"crawler: {url}: neither stored nor spooled (store unavailable: ")
    assert "waits in" not in fetch.stderr and "s3cret" not in fetch.stderr
    wait_for(lambda: spooled_urls(env) == [])


def test_an_export_onto_a_full_disk_is_one_line_and_leaves_the_last_good_file(
    crawler_env, articles, tmpfs, tmp_path: Path
) -> None:
    articles.insert_many(
        [article_document(f"https://example.com/{n}.html", "正文" * 4000, None) for n in range(200)]
    )
    disk = tmpfs("exports", "1m")
    target = disk / "articles.jsonl"
    target.write_text("the export of yesterday\n")
    run = run_crawler(["export", "-o", str(target)], crawler_env, tmp_path)
    assert (run.returncode, run.stderr) == (1, f"crawler: cannot write {target}: No space left on device\n")
    assert [p.name for p in disk.iterdir()] == ["articles.jsonl"]  # no half export beside it
    assert target.read_text() == "the export of yesterday\n"
