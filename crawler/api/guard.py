"""Scrapy adapters of crawler.netguard: every request (each redirect hop included) is checked
before it is sent, and every address a name resolves to is checked before it is connected to."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, NotConfigured
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

from crawler.failures import Refused, TargetRefused
from crawler.netguard import Allowed, check_address, check_target


def allowed_from(setting: str, proxies: bool = False) -> Allowed:
    """The operator's allow-list; with `proxies`, also the configured forward proxies, for the
    connection itself only: a URL naming the proxy's address is still refused."""
    entries = [e for e in setting.split(",") if e.strip()]
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY") if proxies else ():
        if proxy := os.environ.get(name):
            entries.append(urlsplit(proxy if "//" in proxy else f"http://{proxy}").hostname or "")
    return Allowed.parse(entries)


class TargetGuardMiddleware:
    """Downloader middleware: refuses requests whose URL names a forbidden target, and gives a
    name the guarded resolver refused its reason back (Twisted reports it as a DNS failure)."""

    def __init__(self, allowed: Allowed, refusal: Callable[[str], str | None]) -> None:
        self.allowed = allowed
        self.refusal = refusal

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TargetGuardMiddleware:
        if not crawler.settings.getbool("API_GUARD_ENABLED"):
            raise NotConfigured
        return cls(allowed_from(crawler.settings.get("API_ALLOW", "")), _installed_refusal)

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if isinstance(exception, (DNSLookupError, CannotResolveHostError)):
            why = self.refusal(urlsplit(request.url).hostname or "")
            if why is not None:
                raise TargetRefused(why) from None

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        try:
            check_target(request.url, self.allowed)
        except ValueError as exc:  # Refused, or a malformed URL a redirect pointed to
            raise TargetRefused(str(exc) if isinstance(exc, Refused) else f"refused target: {exc}") from None


@implementer(IResolverSimple)
class GuardedResolver:
    """Wraps the reactor's resolver: a name resolving to a forbidden address fails to resolve,
    so a name that answers differently the second time (DNS rebinding) gets nowhere."""

    REFUSALS_KEPT = 1024  # names refused lately, and why: how a DNS failure is told to be a refusal

    def __init__(self, inner: Any, allowed: Allowed) -> None:
        self.inner = inner
        self.allowed = allowed
        self.refusals: OrderedDict[str, str] = OrderedDict()

    def refusal(self, name: str) -> str | None:
        """Why the name was refused lately, or None: Twisted reports a refused resolution as a
        plain DNS failure, so the guard middleware asks here."""
        return self.refusals.get(name)

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802 - Twisted's name
        def checked(address: str) -> str:
            if not self.allowed.admits_host(name.lower().rstrip(".")):
                try:
                    check_address(address, self.allowed)
                except Refused as exc:
                    self.refusals[name] = f"{exc} (resolved from {name})"
                    while len(self.refusals) > self.REFUSALS_KEPT:
                        self.refusals.popitem(last=False)
                    raise
            return address

        return self.inner.getHostByName(name, timeout).addCallback(checked)


def _installed_refusal(name: str) -> str | None:
    """The refusal the process's resolver (`crawler api` installs a GuardedResolver) recorded."""
    from twisted.internet import reactor  # the one installed

    resolver = getattr(reactor, "resolver", None)
    return resolver.refusal(name) if isinstance(resolver, GuardedResolver) else None
