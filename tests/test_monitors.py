"""Layout drift: a run whose articles come back undated, truncated or missing is marked degraded,
with the reasons, in its record, in `crawler status` and in the exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from scrapy.utils.test import get_crawler

from crawler.monitors import Floors, check_run
from tests.commands import no_delays
from tests.conftest import run_crawler
from tests.site import Site
from tests.test_runs import ARTICLE, article, listing
from tests.test_schedule import crawls

FLOORS = Floors(
    min_articles=5,
    stored_share=0.8,
    field_share={"title": 0.95, "body": 0.9, "published_at": 0.8},
    body_ratio=0.5,
    fallback_share=0.2,
    layout_fallback_share=0.2,
)


def record(pages: int, stored: int, shares: dict, median: int | None) -> dict:
    return {
        "articles": {"new": stored, "updated": 0, "unchanged": 0},
        "extraction": {"article_pages": pages, "field_share": shares, "median_body_chars": median},
    }


HEALTHY = {"title": 1.0, "body": 1.0, "published_at": 1.0}


def test_a_run_like_the_sources_usual_passes() -> None:
    history = [record(20, 20, HEALTHY, m) for m in (1200, 1300, 1250)]
    assert check_run(record(20, 19, HEALTHY, 1100), history, FLOORS) == []


def test_each_rule_names_what_fell_and_its_floor() -> None:
    history = [record(20, 20, HEALTHY, m) for m in (1200, 1300, 1250)]
    drifted = record(20, 10, {"title": 1.0, "body": 0.5, "published_at": 0.0}, 300)
    assert check_run(drifted, history, FLOORS) == [
        "stored 10 of 20 article pages (floor 80%)",
        "body found on 50% of articles (floor 90%)",
        "published_at found on 0% of articles (floor 80%)",
        "median body 300 chars, under 50% of the usual 1250",
    ]


def test_a_run_whose_source_layout_keeps_falling_back_is_degraded_by_how_it_fell() -> None:
    """The body still comes (from the generic path), so only the fallback count shows the change."""
    fell = record(20, 20, HEALTHY, 1200) | {}
    fell["extraction"] = fell["extraction"] | {"fallbacks": {"no_match": 4, "weak": 1}}
    assert check_run(fell, [], FLOORS) == [
        "source layout set aside on 5 of 20 article pages (ceiling 20%): no_match, weak"
    ]
    fell["extraction"]["fallbacks"] = {"no_match": 4}
    assert check_run(fell, [], FLOORS) == []


def test_a_source_whose_pages_take_the_generic_path_by_design_is_judged_above_that_share() -> None:
    """A learned source's rarer templates take the generic path (`no_layout`) from its first run:
    its `generic_share` raises the ceiling, so only a change beyond it shows as drift."""
    from scrapy.settings import Settings

    from crawler.sources.spec import SourceSpec
    from crawler.spiders.source import SourceSpider

    learned = SourceSpec("learned", ("news.example.com",), "news", (), generic_share=0.2)
    crawler = get_crawler(SourceSpider.of(learned), {"MONITOR_MAX_FALLBACK_SHARE": 0.2})
    assert Floors.of(crawler).fallback_share == 0.4
    assert Floors.from_settings(Settings({"MONITOR_MAX_FALLBACK_SHARE": 0.9}), 0.2).fallback_share == 1.0
    usual = record(20, 20, HEALTHY, 1200)
    usual["extraction"] = usual["extraction"] | {"fallbacks": {"no_layout": 5}}  # 25 %: its usual
    assert check_run(usual, [], FLOORS) != []
    assert check_run(usual, [], Floors.of(crawler)) == []
    usual["extraction"]["fallbacks"] = {"no_layout": 7, "no_match": 2}  # a template's marker went
    assert check_run(usual, [], Floors.of(crawler)) == [
        "source layout set aside on 9 of 20 article pages (ceiling 40%): no_layout, no_match"
    ]
    usual["extraction"]["fallbacks"] = {"no_layout": 3, "empty": 5}  # a layout claims pages it fails on
    assert check_run(usual, [], Floors.of(crawler)) == [
        "source layout set aside on 5 of 20 article pages (ceiling 20%): empty"
    ]  # 8 of 20 is under the raised ceiling; the layout's own failures are held to the setting's


def test_a_small_run_or_a_first_run_is_not_judged_on_what_it_cannot_know() -> None:
    assert check_run(record(3, 0, {"title": 0.0, "body": 0.0, "published_at": 0.0}, 10), [], FLOORS) == []
    assert check_run(record(20, 20, HEALTHY, 300), [], FLOORS) == []  # no history: no body-length rule


def redesigned(ident: str, scripted: bool) -> str:
    """The NetEase article after a template change: only the lead paragraphs in the page, or
    (`scripted`) none at all, the story now drawn by JavaScript."""
    page = article(ident)
    cut = page.index("<p>此前报道:</p>") if not scripted else page.index('<p class="otitle">')
    return page[:cut] + page[page.index("</div>", cut) :]


def wrapped(page: str) -> str:
    """The article with its whole story inside `.js-open-app` (a noise selector of the source), as
    an editor's app-promotion wrapper would put it: the rule is overruled, the run says so."""
    page = page.replace('<div class="post_body">', '<div class="post_body"><div class="js-open-app">', 1)
    return page.replace("可持续的AI生态环境。</p>\n</div>", "可持续的AI生态环境。</p>\n</div></div>", 1)


def test_a_template_change_marks_the_run_degraded_and_says_why(
    site: Site, crawler_env, articles, mongo_uri, db_name, tmp_path: Path
) -> None:
    env = crawler_env | {"http_proxy": site.base}
    command = [
        sys.executable,
        "-m",
        "crawler.cli.main",
        *no_delays(
            f"SOURCE_START_URLS={json.dumps({'netease': ['http://www.163.com/news/']})}",
        ),
        "schedule",
        "--once",
        "netease",
    ]
    healthy = [f"H{n:015d}" for n in range(6)]
    listing(site, healthy)
    for ident in healthy[1:]:
        site.add(ARTICLE.format(ident), article(ident))
    site.add(ARTICLE.format(healthy[0]), wrapped(article(healthy[0])))
    first = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr[-2000:]

    drifted = [f"R{n:015d}" for n in range(7)]
    listing(site, drifted)
    for n, ident in enumerate(drifted):
        site.add(ARTICLE.format(ident), redesigned(ident, scripted=n < 3))
    second = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert second.returncode == 3, second.stderr[-2000:]
    assert "crawler: netease: run degraded (finished)" in second.stderr

    runs = crawls(mongo_uri, db_name)
    assert [r["status"] for r in runs] == ["ok", "degraded"]
    assert runs[0]["extraction"]["field_share"] == {"title": 1.0, "body": 1.0, "published_at": 1.0}
    usual = runs[0]["extraction"]["median_body_chars"]
    assert runs[1]["degraded_by"] == [
        "stored 4 of 7 article pages (floor 80%)",
        "body found on 57% of articles (floor 90%)",
        "source layout set aside on 3 of 7 article pages (ceiling 20%): empty",
        f"median body {runs[1]['extraction']['median_body_chars']} chars, under 50% of the usual {usual}",
    ]
    assert runs[1]["extraction"]["fallbacks"] == {"empty": 3}  # the scripted pages: nothing in .post_body
    assert runs[0]["extraction"]["fallbacks"] == {"story_kept": 1}  # the wrapped story: stored whole
    kept = articles.find_one({"url": f"https://www.163.com/dy/article/{healthy[0]}.html"})
    assert kept["body"].endswith("更加健康、开放和可持续的AI生态环境。")
    assert kept["extracted_why"].endswith(
        "source_noise matched a block of 1597 characters holding the story: kept"
    )
    assert runs[1]["extraction"]["noise_removed"]  # which cleaning rules fired, for the operator

    status = run_crawler(["status"], crawler_env, tmp_path)
    assert "netease degraded: stored 4 of 7 article pages (floor 80%); body found on 57%" in status.stdout
