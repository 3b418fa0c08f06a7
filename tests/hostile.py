"""Hostile servers, as `Page(respond=...)` behaviours of tests/site.py: shared by the tests and by
bench/faults.py."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

MB = 1024 * 1024
CHUNK = b"<p>" + "中".encode() * 1000 + b"</p>"
Respond = Callable[[BaseHTTPRequestHandler], None]


def drip(handler: BaseHTTPRequestHandler) -> None:
    """Headers, then one byte a second."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(60):
        handler.wfile.write(b"<")
        handler.wfile.flush()
        time.sleep(1)


def cut_short(handler: BaseHTTPRequestHandler) -> None:
    """Announces 5,000 bytes, sends 1,000 of a page, then closes the connection."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", "5000")
    handler.end_headers()
    handler.wfile.write(b"<html><body><p>" + "中".encode() * 300 + b"</p>")
    handler.wfile.flush()
    handler.close_connection = True


def silent(handler: BaseHTTPRequestHandler) -> None:
    """Takes the request, answers nothing."""
    time.sleep(60)


def hang_up(handler: BaseHTTPRequestHandler) -> None:
    """Reads the request, then closes the connection without a word."""
    handler.close_connection = True


def endless(chunked: bool, size: int = 200 * MB) -> Respond:
    """`size` bytes of HTML, announced with a Content-Length or sent chunked with none."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.protocol_version = "HTTP/1.1"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header(
            "Transfer-Encoding" if chunked else "Content-Length", "chunked" if chunked else str(size)
        )
        handler.end_headers()
        for _ in range(size // len(CHUNK)):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK)

    return respond


def gzip_bomb(gigabytes: int = 1) -> Respond:
    """About 1 MB of gzip that inflates to `gigabytes` GB of zeros: one gzip member of a megabyte
    of zeros, repeated (a gzip stream may hold many members, and readers must take them all)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = (deflate.compress(b"\0" * MB) + deflate.flush()) * (1024 * gigabytes)

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def held(until: threading.Event, body: bytes) -> Respond:
    """The page, once the test lets it go: a crawl that cannot end before the test has looked."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        until.wait(120)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond
