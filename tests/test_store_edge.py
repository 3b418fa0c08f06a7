"""Storage lives at the edge: one store client per crawl, handed to every component by the
StoreExtension, and nothing outside crawler/store/ talks to MongoDB itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.commands import no_delays
from tests.site import Site
from tests.test_runs import ARTICLE, article, listing

CRAWLER = Path(__file__).resolve().parent.parent / "crawler"

# pymongo's monitoring counts every client a process opens (each opens its own topology)
COUNTED_CRAWL = """
import sys
from pymongo import monitoring

class Counted(monitoring.TopologyListener):
    count = 0
    def opened(self, event): Counted.count += 1
    def description_changed(self, event): pass
    def closed(self, event): pass

counted = Counted()
monitoring.register(counted)
from crawler.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("exit", code, file=sys.stderr)
print("clients", Counted.count, file=sys.stderr)
"""


def test_nothing_outside_the_store_package_names_pymongo() -> None:
    naming = sorted(
        str(path.relative_to(CRAWLER))
        for path in CRAWLER.rglob("*.py")
        if "pymongo" in path.read_text() and not path.is_relative_to(CRAWLER / "store")
    )
    assert naming == []


def test_a_crawl_opens_one_store_client_for_all_its_parts(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """The pipeline, the run record, the alerts, incremental discovery, the listings' validators
    and the re-checks all share it; on the old main a crawl opened four to six."""
    idents = [f"C{n:015d}" for n in range(3)]
    listing(site, idents)
    for ident in idents:
        site.add(ARTICLE.format(ident), article(ident))
    settings = no_delays('SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}')
    run = subprocess.run(
        [sys.executable, "-c", COUNTED_CRAWL, *settings, "crawl", "netease", "--max-depth", "0"],
        env=crawler_env | {"http_proxy": site.base},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "exit 0" in run.stderr, run.stderr[-3000:]
    assert run.stderr.splitlines()[-1] == "clients 1"
    assert articles.count_documents({}) == 3
    assert articles.database["crawls"].count_documents({"source": "netease", "status": "ok"}) == 1


def test_a_crawl_through_every_component_warns_of_no_deprecation(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """On the old main every run logged three ScrapyDeprecationWarnings from crawler/runs.py and the
    alerts (a signal handler returning a Deferred); Python shows them only with -W: it is given."""
    listing(site, ["D000000000000001"])
    site.add(ARTICLE.format("D000000000000001"), article("D000000000000001"))
    settings = no_delays('SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}', "LOG_LEVEL=INFO")
    run = subprocess.run(
        [
            sys.executable,
            "-W",
            "always::DeprecationWarning",
            "-m",
            "crawler.cli.main",
            *settings,
            "crawl",
            "netease",
        ],
        env=crawler_env | {"http_proxy": site.base},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("netease: ok — 1 new, 0 updated")
    assert "Deprecat" not in run.stderr, [line for line in run.stderr.splitlines() if "Deprecat" in line]
