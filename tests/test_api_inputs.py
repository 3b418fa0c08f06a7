"""`crawler api` under what a hostile client or a bad day sends: concurrent fetches, a store that
is down, oversized and malformed input. Every answer is a one-line JSON error or the article,
never a 500 and never a dropped connection; the API never becomes a way elsewhere."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import PAGES, page_bytes
from tests.site import Site
from tests.test_api import Api

SOURCE_PAGES = ("netease", "bannedbook", "daydaynews", "solidot", "aibase")


def raw(api: Api, data: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are; return the status, the JSON body and the head of the answer."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=30) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < length(answer):
            chunk = sock.recv(65536)
            assert chunk, f"the connection closed with no whole answer: {answer!r}"
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body), head


def length(answer: bytes) -> int:
    head = answer.partition(b"\r\n\r\n")[0].lower()
    return int(head.split(b"content-length: ")[1].split(b"\r\n")[0])


@pytest.fixture(scope="module")
def proxied(api_env, tmp_path_factory) -> Iterator[tuple[Api, Site]]:
    """The API behind a forward proxy (the local site), fetching the sources' real pages."""
    site = Site("127.0.0.2")
    for name in SOURCE_PAGES:
        site.add(PAGES[name]["url"].replace("https://", "http://"), page_bytes(name))
    env = {k: v for k, v in api_env.items() if k != "API_ALLOW"} | {
        "http_proxy": site.base,
        "API_TOKEN": "T",
        "MONGO_DATABASE": "api_inputs",
    }
    api = Api(env, tmp_path_factory.mktemp("proxied"))
    yield api, site
    api.stop()
    site.close()


def test_concurrent_fetches_each_get_exactly_their_url(proxied, api_env) -> None:
    """On the old main, ScrapyRT swapped the spider class's start methods per request: with four
    at a time, a fetch ran the source's discovery (its feeds and channel pages) and one answered
    502 "HTTP 404" for a page that exists."""
    api, site = proxied
    urls = [PAGES[name]["url"].replace("https://", "http://") for name in SOURCE_PAGES] * 8
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda url: api.fetch(url, token="T"), urls))
    assert [(status, body.get("source")) for status, body in answers] == [
        (200, name) for name in SOURCE_PAGES * 8
    ], [body for status, body in answers if status != 200]
    asked = {url for url in site.requests if not url.endswith("/robots.txt")}
    assert asked == set(urls)  # never a discovery page, whatever ran beside it


def test_an_on_demand_fetch_is_not_a_run_of_its_source(proxied, mongo_server) -> None:
    import pymongo

    api, _ = proxied
    assert api.fetch(PAGES["solidot"]["url"].replace("https://", "http://"), token="T")[0] == 200
    assert api.fetch("http://127.0.0.2/gone.html", token="T")[0] in (403, 502)
    with pymongo.MongoClient(mongo_server.uri) as client:
        assert client["api_inputs"]["crawls"].count_documents({}) == 0
        assert client["api_inputs"]["sources"].count_documents({"last_run": {"$exists": True}}) == 0


def test_malformed_and_oversized_input_gets_its_status_and_one_json_line(proxied) -> None:
    api, _ = proxied
    auth = b"Authorization: bearer T\r\n"  # the scheme in lower case: still a bearer token
    deep = b"[" * 60_000  # under API_MAX_BODY, deeper than Python's recursion limit
    post = (
        b"POST /fetch HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    )
    status, body, _ = raw(api, post % (auth, len(deep)) + deep)
    assert (status, body["code"]) == (400, 400) and "JSON object" in body["message"]

    status, body, _ = raw(api, b"GET /fetch?url=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, body["code"]) == (414, 414)
    status, body, _ = raw(api, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20_000 + b"\r\n\r\n")
    assert status == 431

    not_utf8 = b"http%3A%2F%2F%FF%FE.example%2Fa"  # bytes in the host that are not UTF-8
    status, body, _ = raw(api, b"GET /fetch?url=%s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (not_utf8, auth))
    assert status == 400 and "not a valid host name" in body["message"]

    status, body, _ = raw(api, post % (auth, 10_000_000) + b"{}")  # the body itself never sent
    assert (status, body["code"]) == (413, 413) and "API_MAX_BODY" in body["message"]
    status, body, _ = raw(api, post % (b"", 50_000_000))  # no token: refused for its size, unread
    assert status == 413


def test_the_token_link_keeps_its_page_and_query_and_never_leaves_the_server(proxied) -> None:
    api, _ = proxied
    for path, location in (
        (b"//evil.example/?token=T", b"/evil.example/"),
        (b"/article?url=http%3A%2F%2Fa.example%2F1&token=T", b"/article?url=http%3A%2F%2Fa.example%2F1"),
    ):
        with socket.create_connection(("127.0.0.1", api.port), timeout=30) as sock:
            sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = b""
            while chunk := sock.recv(65536):
                head += chunk
        headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n\r\n")[0].split(b"\r\n")[1:])
        assert head.split()[1] == b"302" and headers[b"Location"] == location, head
        assert b"frame-ancestors 'none'" in headers[b"Content-Security-Policy"]


def test_while_the_store_is_down_the_api_answers_everything_else(
    api_env, tmp_path: Path, unused_loopback_port: int
) -> None:
    """On the old main /health pinged the store on the reactor thread: five health checks held
    every other request for ten seconds."""
    down = Api(
        api_env | {"MONGO_URI": f"mongodb://127.0.0.1:{unused_loopback_port}/"},  # 5 s per store call
        tmp_path,
    )
    try:
        with ThreadPoolExecutor(6) as pool:
            health = [pool.submit(down.call, "/health") for _ in range(5)]
            other = pool.submit(down.fetch, "file:///etc/passwd")
            assert (
                other.result() == (400, other.result()[1])
                and "unsupported URL scheme" in other.result()[1]["message"]
            )
            assert not all(call.done() for call in health)  # answered while the health checks still wait
            assert [call.result()[0] for call in health] == [503] * 5
            assert all("no answer within 2 s" in call.result()[1]["message"] for call in health)
    finally:
        down.stop()


def test_expected_failures_are_logged_in_one_line_without_a_traceback(api_env, tmp_path: Path) -> None:
    """On the old main the API's log held a traceback for every site whose robots.txt could not be
    fetched: 568 of them in 9,142 lines, all for expected errors."""
    api = Api(api_env, tmp_path, ("RETRY_TIMES=0",))
    with socket.socket() as sock:  # a port on the allowed intranet address that nothing listens on
        sock.bind(("127.0.0.2", 0))
        closed = sock.getsockname()[1]
    try:
        status, body = api.fetch(f"http://127.0.0.2:{closed}/news.html")
        assert (status, body["message"]) == (502, "connection refused")
    finally:
        api.process.terminate()
        log = api.process.stderr.read()
        api.process.wait(30)
    assert "Traceback" not in log and "ERROR" not in log, log
    assert f"WARNING: http://127.0.0.2:{closed}/news.html: connection refused" in log
