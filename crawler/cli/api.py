"""`crawler api`: the HTTP front (/fetch, /health and the dashboard), bound to 127.0.0.1 unless told
otherwise."""

from __future__ import annotations

import argparse
import sys
from typing import Any, cast

from scrapy.utils.log import configure_logging
from scrapy.utils.reactor import install_reactor

from crawler.cli.settings import load_settings
from crawler.urls import is_loopback


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("api", help="serve /fetch, /health, the dashboard and /metrics over HTTP")
    parser.add_argument("--host", help="address to bind (default API_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default API_PORT, 9080)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    host, port = args.host or settings.get("API_HOST"), args.port or settings.getint("API_PORT")
    for name, value in {
        "API_GUARD_ENABLED": True,
        "DOWNLOAD_MAXSIZE": settings.getint("API_MAX_BYTES"),
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_TIMEOUT": settings.getfloat("API_TIMEOUT"),
        "REDIRECT_MAX_TIMES": 5,
    }.items():
        settings.set(name, value, priority="cmdline")
    settings.set("LOG_LEVEL", "WARNING", priority="spider")  # `-s LOG_LEVEL=INFO` still wins
    install_reactor(settings["TWISTED_REACTOR"])
    from twisted.internet import reactor
    from twisted.internet.posixbase import PosixReactorBase

    from crawler.api.guard import GuardedResolver, allowed_from
    from crawler.api.http import ApiSite
    from crawler.api.resources import Root

    configure_logging(settings)
    installed = cast(PosixReactorBase, reactor)  # the one install_reactor put in place
    installed.installResolver(
        GuardedResolver(installed.resolver, allowed_from(settings.get("API_ALLOW", ""), proxies=True))
    )
    installed.listenTCP(port, ApiSite(Root(settings), settings.getint("API_MAX_BODY")), interface=host)
    if not settings.get("API_TOKEN") and not is_loopback(host):
        print(
            f"crawler: warning: serving on {host} without API_TOKEN: anyone who reaches it can use it",
            file=sys.stderr,
        )
    print(f"serving http://{host}:{port}/fetch, /health, the dashboard at / and /metrics", flush=True)
    reactor.run()
    return 0
