"""`crawler api` end to end over HTTP: a local site on 127.0.0.2 (allow-listed, as an intranet
would be), a "victim" listener on 127.0.0.1 that must never see a request, and the test store."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from crawler.api.guard import GuardedResolver, TargetGuardMiddleware
from crawler.failures import Problem, Reason, Refused, TargetRefused, describe_failure
from crawler.netguard import Allowed
from tests.commands import free_port, overrides
from tests.conftest import expected_json, page_bytes, run_crawler
from tests.site import Page, Site
from tests.test_multipage import LATER, PAGE_ONE, STITCHED_TITLE, gamersky

VOLATILE = ("fetched_at", "last_seen", "fetch_count", "capture")  # capture: each fetch its own record


class Api:
    def __init__(self, env: dict[str, str], cwd: Path, settings: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crawler.cli.main",
                *overrides(*settings),
                "api",
                "--port",
                str(self.port),
            ],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert "serving http://127.0.0.1:" in self.process.stdout.readline()

    def call(self, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def fetch(self, url: str, **kwargs) -> tuple[int, dict]:
        return self.call("/fetch?" + urllib.parse.urlencode({"url": url}), **kwargs)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


@pytest.fixture(scope="module")
def intranet() -> Iterator[Site]:
    site = Site("127.0.0.2")
    yield site
    site.close()


@pytest.fixture(scope="module")
def victim() -> Iterator[Site]:
    site = Site("127.0.0.1")
    yield site
    site.close()


@pytest.fixture(scope="module")
def api(api_env, tmp_path_factory) -> Iterator[Api]:
    server = Api(api_env, tmp_path_factory.mktemp("cwd"), ("API_TIMEOUT=3", "API_MAX_BYTES=1000000"))
    yield server
    server.stop()


def test_get_and_post_answer_with_the_stored_article(api: Api, intranet: Site) -> None:
    url = intranet.add("/news/solidot.html", page_bytes("flat_003"))
    status, article = api.fetch(url)
    assert status == 200, article
    expected = expected_json("flat_003")
    assert (article["url"], article["title"], article["body"]) == (url, expected["title"], expected["body"])
    assert (article["version"], article["duplicate_of"]) == (1, None) and len(article["cluster_id"]) == 20
    status, again = api.call("/fetch", body={"url": url})
    assert status == 200 and again["fetch_count"] == 2
    assert (
        again["capture"]["file"] == article["capture"]["file"]
    )  # the API's one WARC writer, not one per fetch
    assert again["capture"]["offset"] > article["capture"]["offset"]


def test_the_endpoint_and_crawler_fetch_give_identical_json(
    api: Api, api_env, intranet: Site, tmp_path: Path
) -> None:
    url = intranet.add("/news/aibase.html", page_bytes("flat_004"))
    cli = json.loads(run_crawler(["fetch", url], api_env, tmp_path).stdout)
    status, http = api.fetch(url)
    assert status == 200
    assert {k: v for k, v in http.items() if k not in VOLATILE} == {
        k: v for k, v in cli.items() if k not in VOLATILE
    }
    assert list(http) == list(cli) and http["fetch_count"] == cli["fetch_count"] + 1


def test_each_failure_has_its_status_and_a_json_reason(api: Api, intranet: Site) -> None:
    cases = {
        "": (400, "missing url"),
        "not a url": (400, "unsupported URL scheme"),
        "file:///etc/passwd": (400, "unsupported URL scheme 'file'"),
        intranet.base + "/missing.html": (502, "HTTP 404"),
        intranet.add("/error.html", Page(b"oops", status=503)): (502, "HTTP 503"),
        intranet.add("/doc.pdf", Page(b"%PDF-1.4", content_type="application/pdf")): (
            422,
            "not an HTML page",
        ),
        intranet.add("/nav.html", "<html><body><a href='/a'>首页</a></body></html>"): (
            422,
            "no article text",
        ),
        intranet.add("/huge.html", Page(b"<html><body>" + b"<p>x</p>" * 1_000_000 + b"</body></html>")): (
            502,
            "response too large",
        ),
        intranet.add("/slow.html", Page(page_bytes("flat_000"), delay=6)): (504, "timed out"),
    }
    for url, (code, reason) in cases.items():
        status, body = api.fetch(url)
        assert (status, body["status"], body["code"]) == (code, "error", code), (url, body)
        assert reason in body["message"], (url, body)
    status, body = api.call("/fetch", body=["not", "an", "object"])
    assert status == 400
    assert api.call("/elsewhere")[0] == 404


REFUSED_SPELLINGS = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://LocalHost.:{port}/",
    "http://2130706433:{port}/",
    "http://0x7f000001:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://017700000001:{port}/",
    "http://127.1:{port}/",
    "http://0x7f.1:{port}/",
    "http://127.0.0.1.:{port}/",
    "http://0:{port}/",
    "http://0.0.0.0:{port}/",
    "http://[::1]:{port}/",
    "http://[::]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/",
    "http://[2002:7f00:1::]:{port}/",
    "http://user@127.0.0.1:{port}/",
    "http://intranet.example@127.0.0.1:{port}/",
    "http://127.0.0.1:{port}#@127.0.0.2/",
    "http://example.com\\@127.0.0.1:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
]


def test_refused_targets_never_reach_the_network(api: Api, intranet: Site, victim: Site) -> None:
    for spelling in REFUSED_SPELLINGS:
        url = spelling.format(port=victim.server.server_address[1])
        status, body = api.fetch(url)
        assert status == 403 and body["message"].startswith("refused target"), (url, body)
    hop = intranet.add("/redirect.html", Page(b"", status=302, headers={"Location": victim.base + "/secret"}))
    status, body = api.fetch(hop)
    assert status == 403 and "loopback address 127.0.0.1" in body["message"], body
    assert victim.requests == []


def test_a_name_resolving_to_a_refused_address_fails_at_resolution() -> None:
    class Stub:
        def getHostByName(self, name, timeout=()):  # noqa: N802 - Twisted's name
            return defer.succeed({"rebind.example": "127.0.0.1", "good.example": "93.184.215.14"}[name])

    resolver = GuardedResolver(Stub(), Allowed())
    results: list = []
    resolver.getHostByName("good.example").addCallback(results.append)
    resolver.getHostByName("rebind.example").addErrback(lambda f: results.append(f.value))
    assert results[0] == "93.184.215.14"
    assert isinstance(results[1], Refused) and "loopback address 127.0.0.1" in str(results[1])
    # Twisted then reports a plain DNS failure; the guard middleware gives it back its reason, as
    # the failure's own type (a 403 at the API), and leaves any other DNS failure as it is
    guard = TargetGuardMiddleware(Allowed(), resolver.refusal)
    with pytest.raises(TargetRefused) as refused:
        guard.process_exception(Request("http://rebind.example/a"), DNSLookupError("rebind.example"))
    assert describe_failure(Failure(refused.value)) == Problem(
        Reason.REFUSED_TARGET, "refused target: loopback address 127.0.0.1 (resolved from rebind.example)"
    )
    assert Reason.REFUSED_TARGET.http_status == 403
    assert (
        guard.process_exception(Request("http://nowhere.example/"), DNSLookupError("nowhere.example")) is None
    )


def test_token_and_health(api_env, intranet: Site, tmp_path: Path, unused_loopback_port: int) -> None:
    guarded = Api(api_env | {"API_TOKEN": "s3cret"}, tmp_path)
    try:
        url = intranet.add("/news/token.html", page_bytes("flat_002"))
        assert guarded.fetch(url)[0] == 401
        assert guarded.fetch(url, token="wrong")[0] == 401
        assert guarded.call("/health")[0] == 401
        assert guarded.fetch(url, token="s3cret")[0] == 200
        assert guarded.call("/health", token="s3cret") == (200, {"status": "ok"})
    finally:
        guarded.stop()
    down = Api(api_env | {"MONGO_URI": f"mongodb://127.0.0.1:{unused_loopback_port}/"}, tmp_path)
    try:
        status, body = down.call("/health")
        assert status == 503 and body["message"].startswith("store unreachable")
    finally:
        down.stop()


def test_api_binds_to_loopback_by_default() -> None:
    from crawler import default_settings

    assert (default_settings.API_HOST, default_settings.API_PORT) == ("127.0.0.1", 9080)


def test_behind_a_forward_proxy_names_go_to_the_proxy_and_literal_addresses_are_still_refused(
    api_env, intranet: Site, victim: Site, tmp_path: Path
) -> None:
    intranet.add("http://news.example/proxied.html", page_bytes("flat_001"))
    proxied = Api(
        {k: v for k, v in api_env.items() if k != "API_ALLOW"} | {"http_proxy": intranet.base}, tmp_path
    )
    try:
        status, article = proxied.fetch("http://news.example/proxied.html")
        assert status == 200 and article["origin"] == "中时", article
        assert "http://news.example/proxied.html" in intranet.requests  # went through the proxy
        status, body = proxied.fetch(f"http://127.0.0.1:{victim.server.server_address[1]}/")
        assert status == 403, body
        assert proxied.fetch("http://localhost/")[0] == 403
        # the proxy's own address is admitted for the connection to it, never as a target
        status, body = proxied.fetch(f"{intranet.base}/news/token.html")
        assert status == 403 and "loopback address 127.0.0.2" in body["message"], body
    finally:
        proxied.stop()
    assert victim.requests == []


def test_a_multi_page_article_is_fetched_and_stored_whole(api: Api, intranet: Site) -> None:
    first = intranet.base + "/news/Content-1220000.html"
    gamersky(intranet, first=first)
    status, article = api.fetch(first)
    assert status == 200, article
    assert (article["url"], article["title"], article["pages"]) == (first, STITCHED_TITLE, 3)
    assert article["body"].split("\n") == [*PAGE_ONE, *LATER[2], *LATER[3]]


def test_history_answers_with_the_timeline_crawler_history_prints(
    api: Api, api_env, intranet: Site, tmp_path: Path
) -> None:
    """Each API fetch of a stored URL is a re-check: an edit makes version 2, a 404 a removal."""
    from tests.test_versions import EDITED, FLAT, history_of

    url = intranet.add("/news/edited.html", FLAT)
    assert api.fetch(url)[0] == 200
    intranet.add("/news/edited.html", EDITED)
    assert api.fetch(url)[1]["version"] == 2
    intranet.add("/news/edited.html", Page(b"<html><body>not found</body></html>", status=404))
    status, gone = api.fetch(url)
    assert status == 502 and gone["message"] == "HTTP 404", gone  # the site's answer, as for any fetch

    status, answer = api.call("/history?" + urllib.parse.urlencode({"url": url}))
    assert status == 200, answer
    assert [(e["event"], e.get("version"), e.get("how")) for e in answer["history"]] == [
        ("version", 1, None),
        ("version", 2, None),
        ("removed", None, "http_404"),
    ]
    assert answer == {"url": url, "history": history_of(url, api_env, tmp_path)}
    status, diffed = api.call("/history?" + urllib.parse.urlencode({"url": url, "diff": "1"}))
    assert diffed["history"][1]["diff"] == history_of(url, api_env, tmp_path, "--diff")[1]["diff"]
    assert (
        "-" + "未来,随着" in diffed["history"][1]["diff"]
        and "+" + "将来,随着" in diffed["history"][1]["diff"]
    )

    assert (
        api.call("/history?" + urllib.parse.urlencode({"url": intranet.base + "/news/never.html"}))[0] == 404
    )
    assert api.call("/history")[0] == 400
    assert api.call("/history?url=ftp://x/")[0] == 400
