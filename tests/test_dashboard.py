"""The operator's dashboard, in a real headless Chromium against `crawler api`, over a store seeded
through the real pipelines: the numbers are the store's, a degraded source is marked, stories show
their original first, scraped text stays text, and nothing leaves 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from warcio.archiveiterator import ArchiveIterator

from crawler.api.token import session
from crawler.extract.lang import converter
from tests.commands import no_delays
from tests.conftest import page_bytes, run_crawler, store
from tests.site import Page, Site
from tests.test_discovery import solidot_story
from tests.test_schedule import serve_netease

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "artifacts")) / "dashboard"
SCRIPT_TITLE = "<script>alert(1)</script>"
IMG_TITLE = "<img src=x onerror=alert(2)>"
STORY = [
    "今年入冬以来，北方多地迎来大范围降雪，气象部门连续发布寒潮蓝色预警，提醒公众注意出行安全。",
    "据气象台介绍，本轮降雪过程持续时间长、影响范围广，部分地区积雪深度超过十五厘米，道路结冰严重。",
    "交通部门已启动应急预案，高速公路部分路段实行临时交通管制，铁路部门增开多趟临时列车保障旅客出行。",
    "农业农村部门提醒各地做好设施农业防寒保温工作，及时清除大棚积雪，防止棚体坍塌造成损失。",
    "专家表示，随着冷空气持续南下，未来一周南方地区气温也将明显下降，请市民及时添衣保暖。",
]


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def hostile_page(title: str, extra: str = "") -> str:
    """A generic page whose headline is markup-looking text (escaped in its HTML, as it should be)."""
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        f"<html><head><meta charset='utf-8'><title>{escaped(title)}</title></head><body><article>"
        f"<h1>{escaped(title)}</h1>{paragraphs}{extra}</article></body></html>"
    )


def seed(site: Site, env: dict[str, str], cwd: Path) -> None:
    """Every source's run through the real pipelines: NetEase fine, Solidot with a missing story."""
    serve_netease(site)
    settings = [
        *no_delays(
            "MONITOR_MIN_ARTICLES=3",
        ),
        "-s",
        "SOURCE_START_URLS="
        + json.dumps(
            {"netease": ["http://www.163.com/news/"], "solidot": ["http://www.solidot.org/index.rss"]}
        ),
    ]
    feed = "".join(f"<item><link>http://www.solidot.org/story?sid={sid}</link></item>" for sid in (1, 2, 3))
    site.add(
        "http://www.solidot.org/index.rss",
        Page(f"<rss><channel>{feed}</channel></rss>".encode(), content_type="application/rss+xml"),
    )
    site.add("http://www.solidot.org/story?sid=1", solidot_story(1))
    site.add(
        "http://www.solidot.org/story?sid=2",
        solidot_story(2).replace("第2篇：OpenAI 和微软的紧密关系出现裂缝", escaped(IMG_TITLE)),
    )
    for source in ("netease", "solidot"):  # sid=3 is missing: 404, so Solidot's run is degraded
        run = run_crawler([*settings, "crawl", source], env, cwd)
        assert run.returncode == (0 if source == "netease" else 3), run.stderr[-2000:]
    mirror = converter("s2t").convert(page_bytes("netease").decode())
    urls = [
        site.add("/mirror/1.html", mirror),
        site.add("/hostile/1.html", hostile_page(SCRIPT_TITLE)),
        site.add(
            "/hostile/2.html", hostile_page(SCRIPT_TITLE, "<p>（本文转载自网络，如有侵权请联系删除。）</p>")
        ),
    ]
    fetched = run_crawler(["fetch", *urls], env | {"no_proxy": "127.0.0.1"}, cwd)
    assert fetched.returncode == 0, fetched.stderr[-2000:]


@contextmanager
def serving(env: dict[str, str], port: int, cwd: Path) -> Iterator[str]:
    """`crawler api` on the port, once it says it listens; its base URL."""
    api = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", "api", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    assert api.stdout is not None and "serving " + base in api.stdout.readline(), api.stderr  # it listens
    try:
        yield base
    finally:
        api.terminate()
        api.wait(10)


@pytest.fixture
def dashboard(site: Site, crawler_env, articles, unused_loopback_port: int, tmp_path: Path) -> Iterator[str]:
    seed(site, crawler_env | {"http_proxy": site.base}, tmp_path)
    with serving(crawler_env, unused_loopback_port, tmp_path) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    yield driver
    driver.quit()


def visit(browser: webdriver.Chrome, url: str, name: str) -> None:
    browser.get(url)
    # fonts loaded and a frame painted, or the first screenshot of a fresh browser can come out blank
    browser.execute_async_script(
        "const done = arguments[0]; document.fonts.ready.then(() => "
        "requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check: no script ran


def row(browser: webdriver.Chrome, source: str) -> list[str]:
    return [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, f'tr[data-source="{source}"] td')]


def test_the_dashboard_and_metrics_show_the_stores_numbers_and_only_text(
    dashboard: str, browser, articles
) -> None:
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no Chinese font: the pages would show boxes (.ci/run installs fonts-wqy-zenhei)"
    visit(browser, dashboard + "/", "overview")
    netease = row(browser, "netease")
    assert netease[2:8] == [
        "ok",
        "2",
        "0",
        "1",
        "0",
        "0",
    ]  # status, new, updated, duplicates, dropped, errors
    assert netease[9] == str(articles.count_documents({"source": "netease"}))
    solidot = row(browser, "solidot")
    assert solidot[2].startswith("degraded") and "stored 2 of 3 article pages (floor 80%)" in solidot[2]
    assert "1 × http_error" in solidot[2] and solidot[7] == "1"
    assert row(browser, "aibase")[1] == "never"
    generic = row(browser, "generic")  # what on-demand fetches stored from sites without a module
    assert generic[1] == "never" and generic[9] == "3" == str(articles.count_documents({"source": "generic"}))
    assert "+08:00" in netease[1]  # times in Asia/Shanghai, with the offset
    assert len(browser.find_elements(By.CSS_SELECTOR, "#per-day rect")) >= 2
    assert solidot[11] == "degraded" and netease[11] == "—"  # the alert conditions firing, per source
    days = [
        t.get_attribute("textContent") for t in browser.find_elements(By.CSS_SELECTOR, "#per-day text.day")
    ]
    assert len(days) == 30 and len(set(days)) == 30  # every day named, not every fifth
    y_ticks = [
        t.get_attribute("textContent") for t in browser.find_elements(By.CSS_SELECTOR, "#per-day .y-tick")
    ]
    assert y_ticks[0] == "0" and int(y_ticks[-1]) >= 2  # a labelled y-axis, up to the busiest day
    assert "articles per day" in browser.find_element(By.ID, "per-day").get_attribute("textContent")

    visit(browser, dashboard + "/stories", "stories")
    stories = browser.find_elements(By.CSS_SELECTOR, "section.story")
    sites = {
        s.find_element(By.CSS_SELECTOR, "h2").text: [
            r.find_elements(By.TAG_NAME, "td")[1].text for r in s.find_elements(By.CSS_SELECTOR, "tr")[1:]
        ]
        for s in stories
    }
    assert sites[SCRIPT_TITLE] == ["127.0.0.1", "127.0.0.1"]  # hostile titles, shown as text
    solidot_story = next(
        v for k, v in sites.items() if k == IMG_TITLE or k.startswith("第1篇")
    )  # same time: either
    assert solidot_story == ["www.solidot.org", "www.solidot.org"], sites
    netease_story = next(v for k, v in sites.items() if k.endswith("从微软获得使用GPT API的许可"))
    assert netease_story[0] == "www.163.com" and sorted(netease_story[1:]) == ["127.0.0.1", "www.163.com"], (
        sites
    )
    assert all(
        s.find_elements(By.CSS_SELECTOR, "tr")[1].get_attribute("class") == "original" for s in stories
    )

    lonely = "一篇没有转载的报道：记者在现场看到，救援队已经到达，村民正在转移。" * 3
    store(articles, "https://news.example.com/lonely.html", lonely, datetime.now(UTC))  # a story, no copy
    visit(browser, dashboard + "/stories?all=1", "stories-all")
    alone = browser.find_elements(By.CSS_SELECTOR, "section.story")
    assert len(alone) == len(stories) + 1  # the stories without copies too
    assert [s.find_elements(By.CSS_SELECTOR, "tr.mirror") for s in alone].count([]) == 1

    visit(browser, dashboard + "/sources/solidot", "source")
    assert browser.find_element(By.CSS_SELECTOR, "#alerts td.failed").text == "degraded"
    assert "stored 2 of 3 article pages" in browser.find_element(By.ID, "alerts").text
    assert IMG_TITLE in [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#latest a")]
    assert not browser.find_elements(By.CSS_SELECTOR, "#latest img")
    assert "degraded" in browser.find_element(By.ID, "runs").text
    assert (
        browser.find_element(By.CSS_SELECTOR, "#runs td.discovery").text == "feed: 3 / 3 / 0 / 0"
    )  # found / new / old / stored

    visit(browser, dashboard + "/sources/generic", "source-generic")
    assert (
        sorted(a.text for a in browser.find_elements(By.CSS_SELECTOR, "#latest a")).count(SCRIPT_TITLE) == 2
    )

    box = browser.find_element(By.CSS_SELECTOR, "nav input[name=q]")  # the search box, on every page
    box.send_keys("從微軟獲得 GPT")  # Traditional words find the Simplified title, and its mirror
    box.submit()
    visit(browser, browser.current_url, "search")
    found = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#found a")]
    assert len(found) == 3 and all(
        "从微软获得使用GPT API的许可" in t or "從微軟獲得使用GPT API的許可" in t for t in found
    ), found
    visit(browser, f"{dashboard}/search?q={urllib.parse.quote('http://127.0.0.1')}", "search-url")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#found a")) == 3  # by URL prefix
    visit(browser, f"{dashboard}/search?q=%E6%B2%A1%E6%9C%89%E8%BF%99%E7%A7%8D", "search-none")
    assert browser.find_elements(By.CSS_SELECTOR, "#found a") == []
    visit(browser, f"{dashboard}/search?q=%E5%BE%AE", "search-one-character")  # 微: one character
    assert "needs two characters" in browser.find_element(By.CSS_SELECTOR, "p.why").text

    hostile = articles.find_one({"title": SCRIPT_TITLE})
    visit(browser, f"{dashboard}/article?url={urllib.parse.quote(hostile['url'])}", "article")
    assert browser.find_element(By.ID, "title").text == SCRIPT_TITLE
    assert browser.find_element(By.ID, "body").text == hostile["body"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser.page_source
    audit = browser.find_element(By.ID, "audit").text
    assert all(rule in audit for rule in hostile["clean_audit"]["rules"])

    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    requested = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    urls = {m["params"]["request"]["url"] for m in requested if m["method"] == "Network.requestWillBeSent"}
    assert urls and all(u.startswith(("http://127.0.0.1:", "data:")) for u in urls), urls

    # /metrics, on the same store: Prometheus's own parser reads it, and its counts are the store's
    text = urllib.request.urlopen(dashboard + "/metrics").read().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    for source in ("netease", "solidot"):
        assert samples[("crawler_articles_stored", (("source", source),))] == articles.count_documents(
            {"source": source}
        )
    assert samples[("crawler_runs_total", (("source", "solidot"), ("status", "degraded")))] == 1
    assert (
        samples[("crawler_runs_total", (("source", "solidot"), ("status", "failed")))] == 0
    )  # there before it counts
    assert samples[("crawler_errors_total", (("source", "solidot"),))] == 1
    assert samples[("crawler_duplicates_stored", (("source", "netease"),))] == 1


def test_the_dashboard_keeps_to_the_api_token(
    crawler_env, articles, unused_loopback_port: int, tmp_path: Path
) -> None:
    api = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", "api", "--port", str(unused_loopback_port)],
        env=crawler_env | {"API_TOKEN": "s3cret"},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{unused_loopback_port}"
    try:
        assert api.stdout.readline().startswith("serving")

        def status(path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
            opener = urllib.request.build_opener(NoRedirect)
            try:
                with opener.open(urllib.request.Request(base + path, headers=headers or {})) as answer:
                    return answer.status, dict(answer.headers)
            except urllib.error.HTTPError as error:
                return error.code, dict(error.headers)

        for path in ("/", "/stories", "/sources/netease", "/metrics"):
            assert status(path)[0] == 401
            assert status(path, {"Authorization": "Bearer s3cret"})[0] == 200
        assert status("/?token=wrong")[0] == 401
        code, headers = status("/?token=s3cret")
        assert (
            code == 302 and "HttpOnly" in headers["Set-Cookie"] and "SameSite=strict" in headers["Set-Cookie"]
        )
        cookie = headers["Set-Cookie"].split(";")[0]
        assert "s3cret" not in headers["Set-Cookie"] and "Max-Age=43200" in headers["Set-Cookie"]
        assert status("/stories", {"Cookie": cookie})[0] == 200
        # the cookie opens the pages for people, never the API: on the old main it fetched through it
        for path in ("/metrics", "/fetch?url=http%3A%2F%2Fexample.com%2F", "/history?url=x", "/health"):
            assert status(path, {"Cookie": cookie})[0] == 401, path
        expires, mac = cookie.split("=", 1)[1].split(".")
        forged = f"crawler_session={int(expires) + 86400}.{mac}"  # a later expiry, the old signature
        stale = f"crawler_session={session('s3cret', int(time.time()) - 1)}"  # signed, but expired
        assert status("/stories", {"Cookie": forged})[0] == 401
        assert status("/stories", {"Cookie": stale})[0] == 401
    finally:
        api.terminate()
        api.wait(10)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003 - urllib's signature
        return None


def test_the_article_page_shows_its_versions_with_escaped_diffs_and_its_removal(
    site: Site, crawler_env, articles, browser, unused_loopback_port: int, tmp_path: Path
) -> None:
    story = hostile_page("寒潮来袭")
    url = site.add("/edited/1.html", story)
    edited = story.replace(STORY[2], STORY[2] + escaped(SCRIPT_TITLE))  # the edit adds markup-looking text
    for page in (story, edited, Page(b"<html><body>not found</body></html>", status=404)):
        site.add("/edited/1.html", page)
        run_crawler(["fetch", url], crawler_env, tmp_path)
    assert articles.find_one({"url": url})["removed_how"] == "http_404"
    with serving(crawler_env, unused_loopback_port, tmp_path) as base:
        visit(browser, f"{base}/article?url={urllib.parse.quote(url)}", "article-history")
        rows = browser.find_elements(By.CSS_SELECTOR, "#timeline tr")[1:]
        assert [r.get_attribute("class") for r in rows] == ["version", "version", "removed"]
        assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == [
            "version 1: 寒潮来袭 (kept page)",
            "version 2: 寒潮来袭 (kept page)",
            "removed (http_404) (the answer that showed it)",
        ]
        assert rows[0].find_elements(By.CSS_SELECTOR, "pre.diff") == []  # nothing before it to differ from
        diff = rows[1].find_element(By.CSS_SELECTOR, "pre.diff").text.splitlines()
        assert [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")] == [
            "-" + STORY[2],
            "+" + STORY[2] + SCRIPT_TITLE,
        ]  # shown as text: no script ran (visit checks)
        assert "removed" in browser.find_element(By.ID, "removed").text
        assert "(http_404)" in browser.find_element(By.ID, "removed").text
        assert browser.find_element(By.ID, "body").text.endswith(STORY[-1])  # the last version stays shown
        # the evidence: the record of the version shown, and of the 404 that showed the removal
        last_version = browser.find_element(By.ID, "capture").get_attribute("href")
        assert rows[1].find_element(By.LINK_TEXT, "kept page").get_attribute("href") == last_version
        removal = rows[2].find_element(By.CSS_SELECTOR, "a.evidence").get_attribute("href")
        visit(browser, removal, "removal-evidence")
        assert browser.find_element(By.ID, "status").text == "HTTP 404"
        assert browser.find_element(By.ID, "page").text == "<html><body>not found</body></html>"
        raw = urllib.request.urlopen(browser.find_element(By.ID, "raw").get_attribute("href")).read()
        [record] = list(ArchiveIterator(io.BytesIO(raw)))  # the record itself, one WARC record
        assert (record.http_headers.get_statuscode(), record.rec_headers.get_header("WARC-Target-URI")) == (
            "404",
            url,
        )
        visit(browser, last_version, "version-evidence")
        assert browser.find_element(By.ID, "status").text == "HTTP 200"
        assert (
            escaped(SCRIPT_TITLE) in browser.find_element(By.ID, "page").text
        )  # version 2's source, as text
        for name in ("../mongo/WiredTiger", "x.warc.gz"):  # only a kept file of WARC_DIR, by its bare name
            browser.get(f"{base}/capture?file={urllib.parse.quote(name)}&offset=0")
            assert browser.find_element(By.TAG_NAME, "h1").text == "404"
