"""Every source has a stored page and its expected JSON; each page gives exactly that article."""

import ast
import importlib
import inspect
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.misc import is_generator_with_return_value
from scrapy.utils.project import get_project_settings

from crawler.contracts import FixtureContract, reviewed
from crawler.default_settings import CLEAN_MIN_BODY_CHARS
from crawler.extract.article import Extracted
from crawler.items import RawArticle
from crawler.process import extract_page, process_page
from crawler.sources import BUILT_IN
from crawler.sources.solidot import SPEC as SOLIDOT
from crawler.spiders import RegistrySpiderLoader, spiders_of
from tests.conftest import FIXTURES, PAGES, expected_json, page_bytes

ALL_SPIDERS = spiders_of(BUILT_IN)
SOURCES = {name: spider for name, spider in ALL_SPIDERS.items() if name in BUILT_IN.specs}


def extracted(name: str) -> dict:
    entry = PAGES[name]
    return reviewed(process_page(page_bytes(name), entry["url"], entry["source"]))


@pytest.mark.parametrize("source", sorted(ALL_SPIDERS))
def test_every_source_has_a_stored_page_with_expected_json(source: str) -> None:
    names = [n for n, e in PAGES.items() if e["source"] == source]
    assert names, (
        f"no fixture for source {source!r}: save a page as tests/fixtures/pages/<name>.html.gz, add it to "
        "tests/fixtures/pages.json, then run scripts/gen_fixture.py <name> and review the JSON"
    )
    for name in names:
        assert (FIXTURES / "expected" / f"{name}.json").exists(), f"run scripts/gen_fixture.py {name}"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_gives_exactly_the_expected_article(name: str) -> None:
    assert extracted(name) == expected_json(name)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_noise_survives_cleaning(name: str) -> None:
    body = extracted(name)["body"]
    left = [snippet for snippet in PAGES[name]["noise"] if snippet in body]
    assert left == []


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_each_seed_as_a_flat_page_gives_the_same_story_as_its_site_page(seed: str) -> None:
    """Reader-mode pages have no structure to select on; text rules alone must find the story."""
    site_page = {
        "000": "netease",
        "001": "bannedbook",
        "002": "daydaynews",
        "003": "solidot",
        "004": "aibase",
    }[seed]
    flat = extracted(f"flat_{seed}")["body"].replace("• ", "")
    assert flat == extracted(site_page)["body"]


def test_gbk_page_decodes_to_the_same_article_as_the_utf8_one() -> None:
    gbk, utf8 = extracted("netease_gbk"), extracted("netease")
    assert page_bytes("netease_gbk").decode("gbk")  # the stored page really is GBK
    utf8_body = utf8["body"].replace("・", "·")  # GBK has no U+30FB; the GBK page spells it U+00B7
    assert (gbk["title"], gbk["body"], gbk["published_at"]) == (
        utf8["title"],
        utf8_body,
        utf8["published_at"],
    )


def test_traditional_page_is_tagged_zh_hant_and_simplified_zh_hans() -> None:
    assert extracted("daydaynews")["lang"] == "zh-Hant"
    assert {extracted(n)["lang"] for n in ("netease", "bannedbook", "solidot", "aibase")} == {"zh-Hans"}


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://www.163.com/dy/article/IMD8QD1L0511B8LM.html", "netease"),
        ("https://m.163.com/news/article/IMD8QD1L0511B8LM.html", "netease"),
        ("https://www.bannedbook.org/bnews/itnews/20240625/2054400.html", "bannedbook"),
        ("https://daydaynews.cc/zh-hant/technology/8372641.html", "daydaynews"),
        ("https://www.solidot.org/story?sid=79532", "solidot"),
        ("https://www.aibase.com/zh/news/26345", "aibase"),
        ("https://example.com/news/1.html", "generic"),
        ("https://not163.com/a.html", "generic"),
    ],
)
def test_urls_go_to_the_source_that_owns_their_host(url: str, source: str) -> None:
    spider = RegistrySpiderLoader(get_project_settings()).for_url(url)
    assert spider.name == source
    if source != "generic":
        assert spider.spec.is_article(url)


def test_source_modules_are_declarations() -> None:
    """Adding a source is one file that is its spec: a docstring, imports and `SPEC = SourceSpec(...)`;
    the machinery lives in crawler/spiders/, and the spider class is made from the spec there."""
    for name in SOURCES:
        module = importlib.import_module(f"crawler.sources.{name}")
        tree = ast.parse(Path(module.__file__).read_text())
        doc, *imports, spec = tree.body
        assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant), name
        assert all(isinstance(node, ast.Import | ast.ImportFrom) for node in imports), name
        assert isinstance(spec, ast.Assign) and [ast.unparse(t) for t in spec.targets] == ["SPEC"], name
        assert isinstance(spec.value, ast.Call) and ast.unparse(spec.value.func) == "SourceSpec", name
        assert SOURCES[name].spec is module.SPEC and SOURCES[name].name == name


def test_scrapy_finds_the_registry_spiders_by_name_and_by_url() -> None:
    """What `scrapy crawl`, `scrapy fetch` and ScrapyRT ask of the spider loader."""
    loader = get_spider_loader(get_project_settings())
    assert sorted(loader.list()) == sorted(ALL_SPIDERS)
    assert (
        loader.load("netease").spec is SOURCES["netease"].spec
        and loader.load("netease").__name__ == "NeteaseSpider"
    )
    assert loader.find_by_request(Request("https://www.163.com/dy/article/JIUBF3N90514R9P4.html")) == [
        "netease"
    ]


def test_no_spider_callback_returns_a_value_from_a_generator() -> None:
    """What Scrapy's WARN_ON_GENERATOR_RETURN_VALUE checks on every response (and the project's
    settings switch off for speed): a value returned from a generator callback would be lost. The
    article callbacks await their page workers: async generators, which cannot return a value."""
    generators = {
        f"{name}.{attr}": member
        for name, spider in ALL_SPIDERS.items()
        for attr, member in inspect.getmembers(spider, inspect.isgeneratorfunction)
    }
    assert {"netease.parse_listing", "netease.stitched", "generic.parse_listing"} <= generators.keys()
    for spider in ALL_SPIDERS.values():
        assert inspect.isasyncgenfunction(spider.parse) and inspect.isasyncgenfunction(spider.parse_page)
    assert [name for name, member in generators.items() if is_generator_with_return_value(member)] == []


def test_a_broken_page_gives_the_same_article() -> None:
    """Unclosed tags, a stray </div> in a script, NUL bytes and truncated markup: same story."""
    page = page_bytes("bannedbook").decode()
    broken = (
        page.replace("</p>", "", 6)
        .replace('<div class="entry">', "<div class=\"entry\"><script>var s='</div>';</script>\x00")
        .replace("</body></html>", "")
    )
    entry = PAGES["bannedbook"]
    article = process_page(broken.encode(), entry["url"], "bannedbook")
    assert article.body == expected_json("bannedbook")["body"]
    assert article.origin == "中时"


def test_scrapy_check_reads_every_sources_fixture_pages_offline_and_finds_them_right(
    crawler_env, tmp_path: Path
) -> None:
    """`scrapy check`, as a Scrapy user runs it: one contract per fixture page, each page handed to
    the spider's article callback (no download: the proxy is a closed port) and its article
    compared with the expected JSON; no run is recorded and no store is made."""
    (tmp_path / "scrapy.cfg").write_text((FIXTURES.parent.parent / "scrapy.cfg").read_text())
    env = crawler_env | {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Ran {3 * len(PAGES)} contracts" in done.stderr and done.stderr.rstrip().endswith("OK")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scrapy.cfg"]


def test_a_fixture_contract_fails_naming_the_fields_that_differ() -> None:
    """What `scrapy check` says when a layout stops reading its page: the solidot page's article
    checked against the aibase page's expected JSON."""
    contract = FixtureContract(ALL_SPIDERS["aibase"]().check_aibase, "aibase")
    article = process_page(page_bytes("solidot"), PAGES["solidot"]["url"], "solidot")
    raw = RawArticle(article, ["<p>" + article.body + "</p>"])  # as the spider yields it
    with pytest.raises(AssertionError, match=r"^aibase: author, author_raw, body, .*title, url differ from"):
        contract.post_process([raw])


def origin_of_solidot(page: Extracted) -> Extracted:
    """A source's own step, as a source module would declare it (hand-written here: no source needs
    one yet): the site's stories come from its readers' submissions, credited to the site."""
    page.article.origin = page.article.origin or "Solidot 读者投稿"
    return page


def test_a_sources_own_step_is_a_hook_of_its_spec_and_runs_where_extraction_runs() -> None:
    """A site that needs one step of its own declares it; no spider is edited, and the step runs in
    the crawl's page workers (a module-level function: it goes to a worker process as it is)."""
    body, url = page_bytes("solidot"), PAGES["solidot"]["url"]
    spec = replace(SOLIDOT, after_extract=origin_of_solidot)
    plain = extract_page(SOLIDOT, url, body, "text/html", True, CLEAN_MIN_BODY_CHARS).article
    sent = pickle.loads(pickle.dumps(spec))  # as a page worker process receives it
    stepped = extract_page(sent, url, body, "text/html", True, CLEAN_MIN_BODY_CHARS).article
    assert (plain.origin, stepped.origin) == (None, "Solidot 读者投稿")
    assert replace(stepped, origin=None, fetched_at=plain.fetched_at) == plain
