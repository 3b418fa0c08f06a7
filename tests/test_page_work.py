"""Pages are extracted in page workers, never on the reactor thread (crawler/pagework.py): the API
answers while a heavy page is worked on, a worker process killed mid-page fails that page alone,
and no module of the crawler installs a reactor on import (which would make every command's own
`install_reactor` fail)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import expected_json, page_bytes, wait_for
from tests.site import Site
from tests.test_api import Api

PARAGRAPHS = 25_000


def heavy_page() -> bytes:
    """Hand-built: no real page is this long. A headline, then 25,000 paragraphs (4.7 MB): two
    seconds of extraction, cleaning and fingerprinting."""
    paragraphs = "".join(
        f"<p>第{n}段：这是一段用于测试的新闻正文，记者在现场报道了相关情况，并采访了多位当事人。</p>"
        for n in range(PARAGRAPHS)
    )
    return (
        "<html><head><meta charset='utf-8'><title>长篇报道</title></head><body><h1>长篇报道</h1>"
        f"<div class='article'>{paragraphs}</div></body></html>"
    ).encode()


@pytest.fixture
def heavy_api(api_env, tmp_path: Path) -> Iterator[tuple[Api, Site]]:
    site = Site("127.0.0.2")
    api = Api(api_env, tmp_path, ("API_TIMEOUT=60", "API_EXTRACT_PROCESSES=1"))
    yield api, site
    api.stop()
    site.close()


def metric(api: Api, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{api.port}/metrics", timeout=30) as response:
        lines = response.read().decode().splitlines()
    return next(float(line.split()[-1]) for line in lines if line.startswith(name + " "))


def in_background(call) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(call()))
    thread.start()
    return thread, result


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_the_api_answers_health_and_metrics_while_a_heavy_page_is_extracted(heavy_api) -> None:
    api, site = heavy_api
    url = site.add("/news/2026/long.html", heavy_page())
    thread, result = in_background(lambda: api.fetch(url))
    wait_for(lambda: metric(api, "crawler_page_work_busy") == 1)  # answered during the page's work
    assert api.call("/health") == (200, {"status": "ok"})
    thread.join(60)
    [(status, article)] = result
    assert status == 200, article
    assert article["title"] == "长篇报道" and f"第{PARAGRAPHS - 1}段" in article["body"]
    assert metric(api, "crawler_page_work_busy") == 0 and metric(api, "crawler_page_work_queued") == 0


def test_a_page_worker_killed_mid_page_fails_that_page_alone(heavy_api) -> None:
    api, site = heavy_api
    url = site.add("/news/2026/long.html", heavy_page())
    thread, result = in_background(lambda: api.fetch(url))
    wait_for(lambda: metric(api, "crawler_page_work_busy") == 1)
    [server] = [pid for pid in children(api.process.pid) if b"forkserver" in cmdline(pid)]
    workers = children(server)
    assert len(workers) == 1  # API_EXTRACT_PROCESSES=1
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    thread.join(60)
    [(status, answer)] = result
    assert (status, answer["message"]) == (500, "the process extracting the page died (out of memory?)")
    again = site.add("/news/solidot.html", page_bytes("flat_003"))
    status, article = api.fetch(again)  # a new pool took over
    assert status == 200 and article["body"] == expected_json("flat_003")["body"]
    api.stop()
    assert api.process.returncode == 0 and "Traceback" not in api.process.stderr.read()


def test_no_module_installs_a_reactor_on_import() -> None:
    """Importing `twisted.internet.reactor` installs the default one; every command installs
    Scrapy's asyncio reactor first, and fails if a module it imported got there before. The API's
    resources are the one exception: `crawler api` imports them once its reactor is installed."""
    code = (
        "import sys, pkgutil, importlib, crawler\n"
        "for m in pkgutil.walk_packages(crawler.__path__, 'crawler.'):\n"
        "    if m.name != 'crawler.api.resources': importlib.import_module(m.name)\n"
        "print('twisted.internet.reactor' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "False", run.stderr


def test_a_killed_api_leaves_no_page_worker_behind(heavy_api) -> None:
    """A pool's workers wait on a queue they hold both ends of: without watching their parent
    they (and the fork server, and the API's stderr they inherited) would outlive it for ever."""
    api, _ = heavy_api
    wait_for(lambda: any(b"forkserver" in cmdline(pid) for pid in children(api.process.pid)))
    [server] = [pid for pid in children(api.process.pid) if b"forkserver" in cmdline(pid)]
    wait_for(lambda: len(children(server)) == 1)
    left = [server, *children(server)]
    api.process.kill()
    api.process.wait(30)
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in left))
    api.process.stderr.read()  # every holder of its write end has gone: this returns
