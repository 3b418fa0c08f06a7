"""`crawler api`: the HTTP front (/fetch, /health and the dashboard), bound to 127.0.0.1 unless told
otherwise."""

from __future__ import annotations

import argparse
import sys
from typing import Any, cast

from scrapy.utils.log import configure_logging
from scrapy.utils.reactor import install_reactor

from crawler.cli.settings import load_settings
from crawler.failures import BadSetting
from crawler.logs import announce, json_logging
from crawler.urls import is_loopback


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("api", help="serve /fetch, /health, the dashboard and /metrics over HTTP")
    parser.add_argument("--host", help="address to bind (default API_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default API_PORT, 9080)")
    parser.add_argument(
        "--unauthenticated-network",
        action="store_true",
        help="allow a --host other than loopback without API_TOKEN: anyone who reaches it can use it",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    host = args.host or settings.get("API_HOST")
    port = settings.getint("API_PORT") if args.port is None else args.port
    if not 1 <= port <= 65535:
        raise BadSetting(f"--port {port}: not a port (1 to 65535)")
    if not settings.get("API_TOKEN") and not is_loopback(host) and not args.unauthenticated_network:
        raise BadSetting(
            f"refusing to serve on {host} without API_TOKEN: anyone who reaches it could fetch through it "
            "and read the store. Set API_TOKEN, serve on 127.0.0.1 behind a proxy that authenticates, or "
            "pass --unauthenticated-network if this network is yours alone."
        )
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
    from twisted.internet.error import CannotListenError
    from twisted.internet.posixbase import PosixReactorBase
    from twisted.web.resource import Resource

    from crawler.api.guard import GuardedResolver, allowed_from
    from crawler.api.http import ApiSite
    from crawler.api.resources import Root
    from crawler.gcfreeze import freeze_loaded

    json_logging(settings)
    configure_logging(settings)
    installed = cast(PosixReactorBase, reactor)  # the one install_reactor put in place
    installed.installResolver(
        GuardedResolver(installed.resolver, allowed_from(settings.get("API_ALLOW", ""), proxies=True))
    )
    site = ApiSite(
        Resource(),
        settings.getint("API_MAX_BODY"),
        settings.getfloat("API_HEADER_TIMEOUT"),
        settings.getint("API_MAX_CONNECTIONS"),
    )
    try:  # the port first: a command that cannot listen starts nothing (no store, no threads)
        installed.listenTCP(port, site, interface=host)
    except CannotListenError as exc:
        print(f"crawler: cannot listen on {host} port {port}: {exc.socketError}", file=sys.stderr)
        return 1
    site.resource = Root(settings)
    freeze_loaded(settings)  # the first fetch imports nothing and freezes nothing (gcfreeze.py)
    if not settings.get("API_TOKEN") and not is_loopback(host):
        print(
            f"crawler: warning: serving on {host} without API_TOKEN (--unauthenticated-network)",
            file=sys.stderr,
        )
    shown = f"[{host}]" if ":" in host else host
    announce(f"serving http://{shown}:{port}/fetch, /health, the dashboard at / and /metrics")
    reactor.run()
    return 0
