"""Which fetch targets a network-facing endpoint may reach: the decision, as plain functions.

An endpoint that fetches any URL it is given is a door into the network it runs in. Refused by
default: schemes other than http/https; hosts that are, or resolve to, loopback, private,
link-local (cloud metadata), carrier-grade NAT, multicast, reserved, documentation or unspecified
addresses, IPv4 and IPv6 alike, however spelled (decimal, hex, octal, short forms, IPv4-mapped,
6to4, NAT64 and Teredo embeddings); local names (`localhost`, single labels, `.local`, ...); and
URLs whose host a URL parser could read two ways (backslashes, several `@`). An allow-list admits
named hosts or networks for intranet use. `check_address` is meant for the address actually
connected to, so that a name resolving differently the second time gets nowhere.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.failures import Refused
from crawler.urls import check_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".localdomain")
_NUMERIC_HOST = re.compile(r"^[0-9a-fA-FxX.]+$")  # what inet_aton may read as an IPv4 address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Allowed:
    """Hosts (exact names or addresses) and networks an operator admits despite the rules."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowed:
        hosts, networks = set(), []
        for entry in (e.strip().lower() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def admits_host(self, host: str) -> bool:
        return host in self.hosts

    def admits_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks) or str(address) in self.hosts


NOTHING = Allowed()


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any spelling a resolver would accept, else None."""
    host = host.rstrip(".").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why an address is not a public one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and (inner := _embedded_v4(address)) is not None:
        problem = address_problem(inner)
        return f"{problem} (embedded in {address})" if problem else None
    for label, test in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if test:
            return f"{label} address {address}"
    if not address.is_global:
        return f"non-public address {address}"  # carrier-grade NAT, documentation ranges, ...
    return None


def check_address(address: IPAddress | str, allowed: Allowed = NOTHING) -> None:
    """Raise Refused unless the address may be connected to."""
    address = ipaddress.ip_address(address) if isinstance(address, str) else address
    if allowed.admits_address(address):
        return
    if problem := address_problem(address):
        raise Refused(f"refused target: {problem}")


def check_target(url: str, allowed: Allowed = NOTHING) -> str:
    """Raise Refused (or crawler.urls.BadURL) unless the URL's host may be fetched; returns the host.

    A host name that passes still has to pass `check_address` for every address it resolves to."""
    url = check_url(url)
    netloc = urlsplit(url).netloc
    if "\\" in netloc or netloc.count("@") > 1 or any(c.isspace() for c in netloc):
        raise Refused(f"refused target: ambiguous host in {url!r}")
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if allowed.admits_host(host):
        return host
    address = literal_address(host)
    if address is not None:
        check_address(address, allowed)
        return host
    if host == "localhost" or host.endswith(LOCAL_SUFFIXES) or "." not in host:
        raise Refused(f"refused target: local name {host!r}")
    return host
