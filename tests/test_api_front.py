"""`crawler api`'s front as an operator starts it and a client knocks: it refuses to be exposed
without a token, never hangs on a port it cannot have, and every answer is JSON or a page, for
any method and any query."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_crawler, wait_for
from tests.test_api import Api


@pytest.fixture(scope="module")
def api(api_env, tmp_path_factory) -> Iterator[Api]:
    served = Api(
        api_env | {"API_TOKEN": "T", "MONGO_DATABASE": "api_front"}, tmp_path_factory.mktemp("front")
    )
    yield served
    served.stop()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS", "PATCH"])
@pytest.mark.parametrize("path", ["/fetch", "/health", "/history", "/", "/metrics", "/stories"])
def test_a_method_a_resource_does_not_take_is_a_json_405_with_allow(api: Api, method: str, path: str) -> None:
    """On the old main: Twisted's "501 Huh?" page, or its HTML 405."""
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
    connection.request(method, path, headers={"Authorization": "Bearer T"})
    answer = connection.getresponse()
    body = json.loads(answer.read())
    assert (answer.status, body["code"], body["status"]) == (405, 405, "error")
    assert body["message"] == f"{method} is not allowed here"
    assert "GET" in answer.getheader("Allow").split(", ")


@pytest.mark.parametrize(
    "query", ["q=%E8%8F%AF%E7%82%BA+OpenAI&token=T", "q=%E8%8F%AF%E7%82%BA%20OpenAI&token=T"]
)
def test_a_token_link_with_chinese_in_its_query_sends_the_browser_on(api: Api, query: str) -> None:
    """`/search?q=華為 OpenAI&token=…` as a browser sends it. On the old main: 500,
    UnicodeEncodeError in same_page_without_token."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=30) as sock:
        sock.sendall(f"GET /search?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1")
    assert head.split()[1] == "302", head
    assert "\r\nLocation: /search?q=%E8%8F%AF%E7%82%BA+OpenAI\r\n" in head


def test_exposing_the_api_without_a_token_is_refused_unless_said_on_purpose(api_env, tmp_path: Path) -> None:
    env = {k: v for k, v in api_env.items() if k != "API_TOKEN"}
    refused = run_crawler(["api", "--host", "0.0.0.0", "--port", "1"], env, tmp_path, timeout=60)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("crawler: refusing to serve on 0.0.0.0 without API_TOKEN")
    assert "--unauthenticated-network" in refused.stderr


@pytest.mark.parametrize("port", ["-1", "99999", "0"])
def test_a_port_that_is_none_is_one_line(port: str, api_env, tmp_path: Path) -> None:
    run = run_crawler(["api", "--port", port], api_env, tmp_path, timeout=60)
    assert (run.returncode, run.stderr) == (2, f"crawler: --port {port}: not a port (1 to 65535)\n")


def test_a_port_in_use_is_one_line_and_exit_1_with_nothing_started(crawler_env, tmp_path: Path) -> None:
    """On the old main: a traceback, then the command ran for ever, serving the embedded store."""
    env = {k: v for k, v in crawler_env.items() if k != "MONGO_URI"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_crawler(["api", "--port", str(port)], env, tmp_path, timeout=60)
    assert run.returncode == 1
    assert (
        run.stderr == f"crawler: cannot listen on 127.0.0.1 port {port}: [Errno 98] Address already in use\n"
    )
    assert not Path(env["MONGO_EMBEDDED_PATH"]).exists()


def test_an_ipv6_address_is_printed_as_a_url_gives_it(api_env, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET6) as probe:
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
    api = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", "api", "--host", "::1", "--port", str(port)],
        env=api_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert api.stdout.readline().startswith(f"serving http://[::1]:{port}/fetch")
    finally:
        api.terminate()
        api.wait(30)


def test_a_request_line_with_raw_utf8_is_a_json_400(api: Api) -> None:
    """Not what a browser sends (it quotes the query), but what a careless script may: an answer."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=30) as sock:
        sock.sendall("GET /search?q=華為 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split()[1] == b"400" and json.loads(body)["code"] == 400


def answer_on(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_request_with_bare_lf_line_endings_is_answered(api: Api) -> None:
    """On the old main the server waited for a CR that never came: netcat and scripts send bare LF."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=30) as sock:
        sock.sendall(b"GET /fetch HTTP/1.1\nHost: x\nAuthorization: Bearer T\nConnection: close\n\n")
        head, _, body = answer_on(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body)["message"] == 'missing url: GET /fetch?url=... or POST /fetch {"url": ...}'


@pytest.fixture
def strict_api(api_env, tmp_path: Path) -> Iterator[Api]:
    served = Api(
        api_env | {"MONGO_DATABASE": "api_front"}, tmp_path, ("API_HEADER_TIMEOUT=1", "API_MAX_CONNECTIONS=3")
    )
    yield served
    served.stop()


def test_headers_that_trickle_in_meet_a_deadline(strict_api: Api) -> None:
    """On the old main a client sending a header line every few seconds was held for minutes."""
    with socket.create_connection(("127.0.0.1", strict_api.port), timeout=30) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(0.3)
        received = b""
        for n in range(200):  # one header every 0.3 s, never the blank line: the server must end it
            try:
                sock.sendall(b"X-Trickle-%d: 1\r\n" % n)
                received += sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if received.endswith(b"}\n"):
                break
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert json.loads(body)["message"] == "the request's headers did not come within API_HEADER_TIMEOUT=1 s"


def test_connections_past_the_cap_get_a_503_and_the_cap_frees_as_they_close(strict_api: Api) -> None:
    held = [socket.create_connection(("127.0.0.1", strict_api.port), timeout=30) for _ in range(3)]
    with socket.create_connection(("127.0.0.1", strict_api.port), timeout=30) as extra:
        head, _, body = answer_on(extra).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 ")
    assert json.loads(body)["message"] == "too many connections open (API_MAX_CONNECTIONS=3)"
    for sock in held:
        sock.close()
    wait_for(lambda: strict_api.call("/health")[0] == 200)
