"""How tests and benchmarks start the crawler and its servers: standard library only, so a benchmark
imports it without pytest or the project's fixtures."""

from __future__ import annotations

import socket
import sys


def overrides(*settings: str) -> list[str]:
    """Scrapy's `-s NAME=VALUE` for each setting, as a user types them before the command."""
    return [arg for setting in settings for arg in ("-s", setting)]


def no_delays(*settings: str) -> list[str]:
    """`overrides` for a crawl of a local test site: no AutoThrottle and no download delay, which
    would only slow the test down, then `settings`."""
    return overrides("AUTOTHROTTLE_ENABLED=0", "DOWNLOAD_DELAY=0", *settings)


def scrapy_command(source: str, *args: str) -> list[str]:
    """`scrapy crawl SOURCE ARGS...` as this interpreter runs it."""
    return [sys.executable, "-m", "scrapy", "crawl", source, *args]


def free_port() -> int:
    """A loopback port free now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
