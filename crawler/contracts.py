"""`scrapy check` over each source's real stored pages: every source's spider carries one contract
per fixture page of it (tests/fixtures/pages.json), `@fixture NAME`. The contract hands the page to
the spider's article callback as the response for its URL — nothing is downloaded, so the check
runs offline — and compares the article it gives, cleaned as the pipeline cleans it, with the
page's reviewed expected JSON (tests/fixtures/expected/NAME.json). So `scrapy check` is the
smoke test a Scrapy user expects: `scrapy check netease` says whether the netease layouts still
read their pages."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Callable
from copy import deepcopy
from functools import wraps
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.contracts import Contract
from scrapy.http import HtmlResponse, Response
from scrapy.utils.asyncgen import collect_asyncgen

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
# differ per fetch or per rule tweak: no part of it
VOLATILE = ("fetched_at", "clean_audit", "capture", "page_captures")
NOTHING = "data:text/html,"  # the request a contract makes: answered in memory, no network


def fixtures_of(source: str) -> list[str]:
    """The names of the source's fixture pages; none where the fixtures are not installed."""
    index = FIXTURES / "pages.json"
    if not index.exists():
        return []
    return [name for name, entry in json.loads(index.read_text()).items() if entry["source"] == source]


def reviewed(article: Any) -> dict[str, Any]:
    """An article as its expected JSON holds it: the stored fields, less those that vary per run."""
    from crawler.store.jsonout import article_json  # the store's JSON view; not needed to declare

    return {k: v for k, v in article_json(article).items() if k not in VOLATILE}


def differing(expected: dict[str, Any], article: Any) -> list[str]:
    """The fields of a reviewed expected article the article gives otherwise."""
    got = reviewed(article)
    return sorted(k for k in expected if got.get(k) != expected[k])


def fixture_page(name: str) -> tuple[str, bytes]:
    entry = json.loads((FIXTURES / "pages.json").read_text())[name]
    return entry["url"], gzip.decompress((FIXTURES / "pages" / f"{name}.html.gz").read_bytes())


def contract_methods(source: str, parse: Callable[..., AsyncIterator[Any]]) -> dict[str, Any]:
    """One spider method per fixture page of the source, each `parse` under its contract."""
    methods = {}
    for name in fixtures_of(source):

        async def check(self: Any, response: Response) -> AsyncIterator[Any]:
            async for output in parse(self, response):
                yield output

        check.__doc__ = f"""The fixture page {name} gives its reviewed article.

        @fixture {name}
        @returns items 1 1
        @returns requests 0 0
        """
        check.__name__ = f"check_{name}"
        methods[check.__name__] = check
    return methods


class FixtureContract(Contract):
    """@fixture NAME: the callback reads the stored page NAME under its URL, and gives its article."""

    name = "fixture"

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        args["url"] = NOTHING
        # a download slot of its own: no politeness delay between the pages of one source
        args["meta"] = {**(args.get("meta") or {}), "download_slot": f"fixture:{self.args[0]}"}
        return args

    def add_pre_hook(self, request: Request, results: Any) -> Request:
        callback = request.callback
        assert callback is not None
        url, body = fixture_page(self.args[0])

        @wraps(callback)
        async def with_page(response: Response, **kwargs: Any) -> list[Any]:
            request = response.request
            assert request is not None
            asked = request.replace(url=url)
            page = HtmlResponse(url, body=body, headers={"Content-Type": "text/html"}, request=asked)
            return await collect_asyncgen(callback(page, **kwargs))

        request.callback = with_page
        return super().add_pre_hook(request, results)

    def post_process(self, output: list[Any]) -> None:
        from crawler.clean import clean_article
        from crawler.sources import BUILT_IN

        name = self.args[0]
        expected = json.loads((FIXTURES / "expected" / f"{name}.json").read_text(encoding="utf-8"))
        for raw in (o for o in output if not isinstance(o, Request)):
            article, _ = clean_article(deepcopy(raw), BUILT_IN.spec_for(raw.article.source).noise)
            differ = differing(expected, article)
            assert not differ, f"{name}: {', '.join(differ)} differ from tests/fixtures/expected/{name}.json"
