"""A source made from the site itself: `crawler source add` probes a local site built from real
saved pages (tests/learnsites.py: two templates, rare ones beside them, a sitemap, a feed, noise
blocks), learns its article URLs, one layout per template and the noise, and writes the source as
a reviewable file with its evidence; enabled, the source crawls the site with no fallback on its
learned templates and text at least as good as the generic path's."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from crawler.failures import BadSetting
from crawler.learn.pages import char_f1, normalised, stable
from crawler.learn.urls import learn_article_urls
from crawler.process import process_page
from crawler.sources import BUILT_IN
from crawler.sources.files import read_source
from crawler.sources.spec import SourceSpec
from tests.commands import no_delays
from tests.conftest import run_crawler
from tests.learnsites import (
    FORBIDDEN,
    MIXED,
    RARE,
    TEMPLATE_2019,
    TEMPLATE_SINA,
    VIDEOS,
    mixed_site,
    netease_url,
    news_site,
    sina_url,
)
from tests.site import Page, Site


def url_of(name: str) -> str:
    return netease_url(name) if name.startswith("gne_163") else sina_url(name)


def test_article_urls_are_the_shapes_that_carry_an_id_and_channels_stay_out() -> None:
    urls = [
        *(f"https://www.163.com/dy/article/{i}.html" for i in ("EOFOC8MJ00258105", "EOFBHDHQ0001899N")),
        "https://m.163.com/news/article/EOGSPO3Q0001899O.html",
        "https://www.163.com/dy/article/EUQSGLA300097U7R.html",
        "https://www.163.com/news/article/F6ISIFBD0001899O.html",
        "https://www.163.com/",
        "https://www.163.com/news/",
        "https://www.163.com/news/list_2.html",
        "https://tech.163.com/special/2019/",
        "https://elsewhere.example.net/dy/article/EOFOC8MJ00258199.html",
    ]
    learned = learn_article_urls(urls, "163.com")
    assert learned is not None
    assert learned.shapes == ("/{dy|news}/article/{id}.html",)
    assert [u for u in urls if re.search(learned.pattern, u)] == urls[:5]
    assert (learned.matched, learned.seen) == (5, 9)
    # one shape with a value of its own per article: the id, and the URL the article is stored under
    spec = SourceSpec(
        name="site",
        domains=("163.com",),
        article_pattern=learned.pattern,
        layouts=(),
        article_id=learned.article_id,
        canonical_url=learned.canonical_url,
    )
    assert spec.canonical("https://m.163.com/news/article/EOGSPO3Q0001899O.html?from=rss") == (
        "https://www.163.com/news/article/EOGSPO3Q0001899O.html"
    )
    assert (
        learn_article_urls(["https://a.example/news/", "https://a.example/about.html"], "a.example") is None
    )
    # an id in the query (solidot.org's real URLs), wherever it stands among the parameters
    stories = [f"https://www.solidot.org/story?sid={sid}" for sid in (79532, 79533, 79540)]
    extra = ["https://m.solidot.org/story?from=rss&sid=79541", "https://www.solidot.org/?issue=20261201"]
    solidot = learn_article_urls([*stories, *extra], "solidot.org")
    assert solidot is not None and solidot.shapes == ("/story?sid={id}",)
    assert [u for u in [*stories, *extra] if re.search(solidot.pattern, u)] == [*stories, extra[0]]
    spec = SourceSpec(
        "solidot_learned",
        ("solidot.org",),
        solidot.pattern,
        (),
        article_id=solidot.article_id,
        canonical_url=solidot.canonical_url,
    )
    assert spec.canonical(extra[0]) == "https://www.solidot.org/story?sid=79541"


def test_names_a_build_made_are_never_selectors() -> None:
    assert [n for n in ("post_body", "epContentLeft", "article-18", "J_Article_Wrap") if not stable(n)] == []
    assert [
        n for n in ("css-1q2w3e", "main_content-LcrEruCc", "topic-3bY8Hw-9", "item123") if stable(n)
    ] == []


def test_a_source_file_with_a_mistake_is_one_line_naming_the_file(tmp_path: Path) -> None:
    good = 'domains = ["a.example"]\narticle_pattern = "a\\\\.example/\\\\d+"\n'
    for text, said in (
        ("domains = [", "Invalid value (at end of document)"),
        (good + "shedule = 1\n", "unknown key(s) shedule"),
        (good + 'noise = ["div[["]\n', "is not a CSS selector"),
        ('domains = ["a.example"]\narticle_pattern = "(("\n', "article_pattern: not a regular expression"),
        ('article_pattern = "x"\n', "domains is missing"),
        (good + 'timezone = "Mars/Olympus"\n', "is not a time zone"),
        (good + 'enabled = "yes"\n', "enabled must be true or false"),
        (good + '[[layouts]]\nname = "t"\ntitle = ["h1"]\n', "layout t: body selectors are missing"),
        (good + 'name = "other"\n', "is not the file's name"),
    ):
        path = tmp_path / "site.toml"
        path.write_text(text)
        with pytest.raises(BadSetting) as caught:
            read_source(path)
        assert str(caught.value).startswith(f"{path}: ") and said in str(caught.value), str(caught.value)
        assert "\n" not in str(caught.value)


def test_crawler_names_a_wrong_source_file_in_one_line_before_anything_runs(
    crawler_env, tmp_path: Path
) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "site.toml").write_text('domains = ["a.example"]\narticle_pattern = "(("\n')
    for command in (["sources"], ["crawl", "site"], ["fetch", "--no-store", "http://127.0.0.1:9/a"]):
        run = run_crawler(command, crawler_env, tmp_path)
        assert run.returncode == 2, (command, run.stderr)
        assert run.stderr.count("\n") == 1 and "sources/site.toml: article_pattern" in run.stderr, run.stderr


def test_source_add_learns_a_site_and_its_crawl_reads_every_template_it_learned(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    truth = news_site(site)
    env = crawler_env | {"http_proxy": site.base}
    add = run_crawler([*no_delays(), "source", "add", "news", "http://news.example.com/"], env, tmp_path)
    assert add.returncode == 0, add.stderr[-2000:]
    assert add.stderr == ""
    assert add.stdout.splitlines()[0] == (
        "news: article URLs /dy/article/{id}.html /c/{date}/{id}.shtml; layouts: endtext (7 pages), "
        "article (5 pages); 3 page(s) on the generic path; noise: 4 selector(s)"
    )
    # polite: robots.txt obeyed, each page once (robots.txt twice: for its rules and for its
    # Sitemap lines, as Scrapy's own SitemapSpider reads it)
    assert netease_url(FORBIDDEN) not in site.requests
    pages = [url for url in site.requests if not url.endswith("/robots.txt")]
    assert len(pages) == len(set(pages)) == 21

    written = tomllib.loads((tmp_path / "sources" / "news.toml").read_text())
    assert written["enabled"] is False
    assert written["start_urls"] == [
        "http://news.example.com/",
        "http://news.example.com/rss.xml",
        "http://news.example.com/sitemap.xml",
    ]
    assert [(lay["name"], lay["marker"], lay["body"]) for lay in written["layouts"]] == [
        ("endtext", "#endText", ["#endText"]),  # NetEase 2019
        ("article", ".article", ["#article_content .article"]),  # Sina
    ]
    assert [lay["title"] for lay in written["layouts"]] == [["#epContentLeft h1"], ["h1.main-title"]]
    # the NetEase source and editor line, its image holders, Sina's author box
    assert written["noise"] == [".f_center", ".ep-source", ".cDGray", ".show_author"]
    evidence = tmp_path / "sources" / "news"
    assert (
        len(list((evidence / "pages").glob("*.html.gz")))
        == len(list((evidence / "expected").glob("*.json")))
        == 15
    )
    report = (evidence / "report.md").read_text()
    # pages with ids that are not articles: sampled, then left out of the pattern
    assert "Left out: `/v/{year}/{id}.html`: its 3 sampled pages gave no article." in report
    assert not any(re.search(written["article_pattern"], url) for url in VIDEOS)
    assert "| `#endText` | 7 | endtext | `#endText` |" in report
    assert (
        "`#artibody` | 3 | none: its best layout agrees with the generic path on 67% of its pages" in report
    )
    assert all(url_of(name) in report.split("Pages on the generic path")[1] for name in RARE)

    # not crawled until enabled; then crawled like any source
    refused = run_crawler(["crawl", "news"], env, tmp_path)
    assert refused.returncode == 2 and "source news is not enabled: set enabled = true in" in refused.stderr
    listed = {
        e["source"]: e
        for e in map(json.loads, run_crawler(["sources", "--json"], env, tmp_path).stdout.splitlines())
    }
    assert (listed["news"]["enabled"], listed["news"]["schedule"]) == (False, "not enabled")
    enabled = run_crawler(["source", "enable", "news"], env, tmp_path)
    assert (enabled.returncode, enabled.stdout) == (
        0,
        "news: enabled (sources/news.toml); a running `crawler schedule`, its workers "
        "and the API read the sources when they start: restart them to take it\n",
    )
    crawl = run_crawler([*no_delays(), "crawl", "news"], env, tmp_path)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert crawl.stdout.startswith("news: ok — 15 new, 0 updated")
    status = run_crawler(["status"], env, tmp_path).stdout.splitlines()  # recorded as any source's run
    row = next(line.split() for line in status if line.startswith("news "))
    assert (row[4], row[5]) == ("ok", "15"), status  # status, new

    stored = {d["url"]: d for d in articles.find()}
    assert set(stored) == set(truth)  # every article robots.txt allows
    assert [site.requests.count(url) for url in VIDEOS] == [1, 1, 1]  # sampled once, never crawled
    layouts = {name: "news/endtext" for name in TEMPLATE_2019 if name != FORBIDDEN}
    layouts |= {name: "news/article" for name in TEMPLATE_SINA}
    assert {name: stored[url_of(name)]["extracted_by"] for name in layouts} == layouts  # no fallback
    assert {stored[url_of(name)]["extracted_by"] for name in RARE} == {"generic"}
    for url, body in truth.items():
        if body is None:
            continue
        page = site.pages[url].body
        generic = process_page(page, url, "generic", "text/html").body
        learned, generic_f1 = (
            char_f1(normalised(stored[url]["body"]), normalised(body)),
            char_f1(normalised(generic), normalised(body)),
        )
        assert learned >= generic_f1, (url, learned, generic_f1)

    # a real recurring block beside Sina's story that the generic path keeps: the learned layout does not
    wechat = "更多猛料！欢迎扫描左方二维码关注新浪新闻官方微信"
    sina = [url_of(name) for name in TEMPLATE_SINA]
    assert [u for u in sina if wechat in process_page(site.pages[u].body, u, "generic", "text/html").body]
    assert not [u for u in sina if wechat in stored[u]["body"]]

    check = run_crawler(["source", "check", "news"], env, tmp_path)
    assert (check.returncode, check.stdout) == (
        0,
        "news: 15 of 15 evidence page(s) give their expected article\n",
    )
    expected = sorted((evidence / "expected").glob("*.json"))[0]
    doc = json.loads(expected.read_text())
    expected.write_text(json.dumps({**doc, "title": "not the title"}, ensure_ascii=False))
    check = run_crawler(["source", "check", "news"], env, tmp_path)
    assert check.returncode == 1
    assert re.fullmatch(
        r"crawler: news page_001 \(http://[^ ]+\): title differ from the expected article\n", check.stderr
    )


def test_source_add_keeps_to_its_sample_cap_and_its_name(site: Site, crawler_env, tmp_path: Path) -> None:
    news_site(site)
    env = crawler_env | {"http_proxy": site.base}
    add = run_crawler(
        [*no_delays(), "source", "add", "news", "http://news.example.com/", "--sample", "4", "--enable"],
        env,
        tmp_path,
    )
    assert add.returncode == 0, add.stderr[-2000:]
    written = tomllib.loads((tmp_path / "sources" / "news.toml").read_text())
    assert written["learned"]["pages_sampled"] == 4  # robots.txt may forbid one: sampled, not fetched
    assert len([u for u in site.requests if re.search(written["article_pattern"], u)]) <= 4
    assert written["enabled"] is True

    again = [*no_delays(), "source", "add", "news", "http://news.example.com/", "--sample", "4", "--replace"]
    relearned = run_crawler(again, env, tmp_path)
    assert relearned.returncode == 0, relearned.stderr[-2000:]
    assert relearned.stdout.splitlines()[-1].endswith(
        "; no longer enabled (it was): review it, then crawler source enable news"
    )  # what runs next is reviewed first, as the first time
    assert tomllib.loads((tmp_path / "sources" / "news.toml").read_text())["enabled"] is False
    for args, said in (
        (["add", "news", "http://news.example.com/"], "sources/news.toml exists (--replace learns it again)"),
        (["add", "netease", "http://news.example.com/"], "netease is a built-in source"),
        (["add", "wangyi", "http://www.163.com/news/"], "163.com is the netease source's"),
        (["add", "News", "http://news.example.com/"], "must be a lower-case identifier"),
        (["add", "other", "notaurl"], "source add: "),
        (
            ["check", "netease"],
            "netease is a built-in source: `scrapy check netease` reads its fixture pages",
        ),
        (["enable", "nosuch"], "no added source named nosuch in sources"),
    ):
        run = run_crawler(["source", *args], env, tmp_path)
        assert run.returncode == 2 and run.stderr.count("\n") == 1 and said in run.stderr, run.stderr


def test_a_site_with_no_template_in_common_crawls_on_the_generic_path(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    urls = mixed_site(site)
    env = crawler_env | {"http_proxy": site.base}
    add = run_crawler(
        [*no_delays(), "source", "add", "mixed", "http://mixed.example.org/feed.xml", "--enable"],
        env,
        tmp_path,
    )
    assert add.returncode == 0, add.stderr[-2000:]
    assert "layouts: none; 5 page(s) on the generic path" in add.stdout
    assert tomllib.loads((tmp_path / "sources" / "mixed.toml").read_text())["layouts"] == []
    crawl = run_crawler([*no_delays(), "crawl", "mixed"], env, tmp_path)
    assert crawl.returncode == 0 and crawl.stdout.startswith("mixed: ok — 5 new"), crawl.stdout + crawl.stderr
    stored = {d["url"]: d["extracted_by"] for d in articles.find()}
    assert stored == dict.fromkeys(urls, "generic")
    assert len(MIXED) == len(urls)


def test_source_add_of_a_site_that_lists_no_articles_says_so_and_writes_nothing(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    site.add("http://empty.example.net/", "<html><body><a href='/about.html'>about</a></body></html>")
    env = crawler_env | {"http_proxy": site.base}
    run = run_crawler([*no_delays(), "source", "add", "empty", "http://empty.example.net/"], env, tmp_path)
    assert run.returncode == 1
    assert run.stderr.startswith("crawler: source add empty: no article URL shape among the 1 links found")
    assert run.stderr.count("\n") == 1
    assert not (tmp_path / "sources").exists()


def test_source_add_on_a_full_disk_says_so_and_leaves_no_torn_file(
    site: Site, crawler_env, tmpfs, tmp_path: Path
) -> None:
    news_site(site)
    full = tmpfs("full", "16k")  # less than three pages' evidence
    env = crawler_env | {"http_proxy": site.base, "SOURCES_DIR": str(full)}
    add = [*no_delays(), "source", "add", "news", "http://news.example.com/", "--sample", "3"]
    run = run_crawler(add, env, tmp_path)
    assert run.returncode == 1
    assert run.stderr == f"crawler: source add news: cannot write to {full}: No space left on device\n"
    assert sorted(p.name for p in full.iterdir()) == []  # nothing half written, no torn source file
    assert run_crawler(["sources"], env, tmp_path).returncode == 0  # every command still starts


def test_source_add_reads_a_few_of_a_huge_sitemap_index_and_says_when_no_page_gives_an_article(
    site: Site, crawler_env, tmp_path: Path
) -> None:
    """Hand-built: a sitemap index of 80 sitemaps, whose articles all answer 404."""
    host = "http://big.example.com"
    site.add(f"{host}/robots.txt", Page(f"Sitemap: {host}/index.xml\n".encode(), content_type="text/plain"))
    maps = "".join(f"<sitemap><loc>{host}/map-{n}.xml</loc></sitemap>" for n in range(80))
    site.add(
        f"{host}/index.xml", Page(f"<sitemapindex>{maps}</sitemapindex>".encode(), content_type="text/xml")
    )
    for n in range(80):
        urls = "".join(f"<url><loc>{host}/2019/{n * 10 + k}.html</loc></url>" for k in range(3))
        site.add(f"{host}/map-{n}.xml", Page(f"<urlset>{urls}</urlset>".encode(), content_type="text/xml"))
    env = crawler_env | {"http_proxy": site.base}
    run = run_crawler([*no_delays(), "source", "add", "big", f"{host}/", "--sample", "5"], env, tmp_path)
    assert run.returncode == 1
    assert re.fullmatch(
        r"crawler: source add big: none of the 5 sampled article pages gave an article \(http://big"
        r"\.example\.com/2019/\d+\.html: HTTP 404\)\n",
        run.stderr,
    ), run.stderr
    assert 10 <= len([u for u in site.requests if "/map-" in u]) <= 30  # a spread of them, not all
    assert not (tmp_path / "sources").exists()


def test_source_add_of_a_site_that_does_not_answer_says_so_in_lines_and_no_traceback(
    crawler_env, unused_loopback_port: int, tmp_path: Path
) -> None:
    """A closed port on 127.0.0.1: the probe goes through the project's own downloader, whose
    robots.txt and retry middlewares say a failure in one line each, as in any crawl."""
    site = f"http://127.0.0.1:{unused_loopback_port}/"
    run = run_crawler([*no_delays("RETRY_TIMES=0"), "source", "add", "down", site], crawler_env, tmp_path)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.splitlines()[-1] == (
        f"crawler: source add down: no article URL shape among the 0 links found ({site}robots.txt: "
        f"connection refused, {site}: connection refused); give the site's listing pages, feed or sitemap"
    )
    assert f"WARNING: {site}robots.txt unreachable (connection refused)" in run.stderr  # crawler.downloads
    assert not (tmp_path / "sources").exists()


def test_scrapys_loader_and_every_url_lookup_see_an_enabled_source_file_and_only_an_enabled_one(
    tmp_path: Path,
) -> None:
    from scrapy.settings import Settings

    from crawler.sources import registry_of
    from crawler.spiders import RegistrySpiderLoader

    source = 'domains = ["news.example.com"]\narticle_pattern = "news\\\\.example\\\\.com/a/\\\\d+"\n'
    (tmp_path / "news.toml").write_text(source + "enabled = true\n")
    (tmp_path / "later.toml").write_text(source.replace("news.", "later.") + "enabled = false\n")
    settings = Settings({"SOURCES_DIR": str(tmp_path)})
    loader = RegistrySpiderLoader(settings)
    assert "news" in loader.list() and "later" not in loader.list()
    assert loader.for_url("http://news.example.com/a/1").name == "news"
    assert loader.for_url("http://later.example.com/a/1").name == "generic"
    assert (
        registry_of(settings).stored_url("http://m.news.example.com/a/1#top")
        == "http://m.news.example.com/a/1"
    )
    assert registry_of(Settings({"SOURCES_DIR": ""})).specs.keys() == BUILT_IN.specs.keys()
