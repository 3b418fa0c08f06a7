"""A local web site for tests: routes served from memory on 127.0.0.1, every request logged.

It also answers proxy-style requests (absolute URLs), so it can stand in for an HTTP proxy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before answering
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # when set, sent as ETag, and a matching If-None-Match gets a 304
    fail_times: int = 0  # the first requests get 503 Service Unavailable
    respond: Callable[[BaseHTTPRequestHandler], None] | None = None  # writes the whole response itself


class Site:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[str] = []
        self.not_modified: list[str] = []
        self.times: list[float] = []  # monotonic time of each request, beside `requests`
        self.in_flight_by: dict[str, int] = {}  # host -> requests to it being answered now
        self.most_in_flight: dict[str, int] = {}  # host -> most requests to it answered at once
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                host = self.path.split("/")[2] if "://" in self.path else "local"
                with site.lock:
                    site.in_flight_by[host] = site.in_flight_by.get(host, 0) + 1
                    site.most_in_flight[host] = max(site.most_in_flight.get(host, 0), site.in_flight_by[host])
                try:
                    self.answer()
                finally:
                    with site.lock:
                        site.in_flight_by[host] -= 1

            def answer(self) -> None:
                site.requests.append(self.path)
                site.times.append(time.monotonic())
                page = site.pages.get(self.path) or Page(b"<html><body>not found</body></html>", status=404)
                if page.respond is not None:
                    try:
                        page.respond(self)
                    except OSError:
                        pass  # the crawler hung up: the point of most hostile pages
                    return
                if page.fail_times > 0:
                    page.fail_times -= 1
                    page = Page(b"busy", status=503, headers=page.headers)
                if page.delay:
                    time.sleep(page.delay)
                if page.etag and self.headers.get("If-None-Match") == page.etag:
                    site.not_modified.append(self.path)
                    self.send_response(304)
                    self.send_header("ETag", page.etag)
                    self.end_headers()
                    return
                try:
                    self.send_response(page.status)
                    self.send_header("Content-Type", page.content_type)
                    self.send_header("Content-Length", str(len(page.body)))
                    if page.etag:
                        self.send_header("ETag", page.etag)
                    for name, value in page.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(page.body)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path: str, page: Page | bytes | str) -> str:
        """Serve `page` at `path` (or at an absolute URL, for proxy requests); returns its URL."""
        if isinstance(page, str):
            page = Page(page.encode("utf-8"))
        elif isinstance(page, bytes):
            page = Page(page)
        self.pages[path] = page
        return path if path.startswith("http") else self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
