"""The target filter an HTTP front will use, tested on its decisions (no connection is made)."""

import pytest

from crawler.failures import BadURL, Refused
from crawler.netguard import Allowed, check_address, check_target

REFUSED = [
    "http://127.0.0.1/",
    "http://127.0.0.1:9080/fetch",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://2130706433/",  # decimal 127.0.0.1
    "http://0x7f000001/",  # hex
    "http://0177.0.0.1/",  # octal
    "http://017700000001/",  # octal, one number
    "http://127.1/",  # short form
    "http://0x7f.1/",  # hex short form
    "http://0/",  # 0.0.0.0
    "http://0.0.0.0/",
    "http://[::]/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",  # IPv4-mapped, hex
    "http://[::ffff:169.254.169.254]/",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fe80::1%25eth0]/",  # IPv6 link-local with zone
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://224.0.0.1/",  # multicast
    "http://[ff02::1]/",
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://192.0.2.10/",  # documentation
    "http://[fc00::1]/",  # unique local
    "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 wrapping 169.254.169.254
    "http://evil.example@127.0.0.1/",  # user@host
    "http://user:pw@[::1]:8080/",
    "http://example.com\\@127.0.0.1/",  # parser differential
    "http://intranet/",  # single label
    "http://printer.local/",
    "http://db.internal/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused_targets(url: str) -> None:
    with pytest.raises(Refused, match="refused target"):
        check_target(url)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/", "gopher://example.com/", "data:text/html,hi"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(BadURL, match="unsupported URL scheme"):
        check_target(url)


@pytest.mark.parametrize(
    "url",
    ["https://www.163.com/dy/article/X.html", "http://93.184.215.14/", "http://[2606:4700::6810:84e5]/"],
)
def test_public_targets_pass(url: str) -> None:
    check_target(url)


def test_a_name_is_checked_again_on_every_address_it_resolves_to() -> None:
    """DNS rebinding: a public name that later resolves to 127.0.0.1 is refused at connect time."""
    assert check_target("http://rebind.example/") == "rebind.example"
    check_address("93.184.215.14")
    with pytest.raises(Refused, match="loopback address 127.0.0.1"):
        check_address("127.0.0.1")


def test_allow_list_admits_named_hosts_and_networks() -> None:
    allowed = Allowed.parse(["127.0.0.0/8", "wiki.intranet", " 10.1.0.0/16 "])
    assert check_target("http://127.0.0.1:8080/a", allowed) == "127.0.0.1"
    assert check_target("http://wiki.intranet/page", allowed) == "wiki.intranet"
    check_address("10.1.2.3", allowed)
    with pytest.raises(Refused):
        check_address("10.2.0.1", allowed)
    with pytest.raises(Refused):
        check_target("http://[::1]/", allowed)


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f000001", "0177.0.0.1", "017700000001", "127.1", "0x7f.1", "127.0.0.1."]
)
def test_every_spelling_of_loopback_is_read_as_the_address_it_is(host: str) -> None:
    from ipaddress import IPv4Address

    from crawler.netguard import literal_address

    assert literal_address(host) == IPv4Address("127.0.0.1")
    with pytest.raises(Refused, match="loopback address 127.0.0.1"):
        check_target(f"http://{host}/")


def test_embedded_addresses_are_judged_by_what_they_wrap() -> None:
    with pytest.raises(Refused, match=r"loopback address 127\.0\.0\.1 \(embedded in 2002:7f00:1::\)"):
        check_target("http://[2002:7f00:1::]/")
    with pytest.raises(
        Refused, match=r"link-local address 169\.254\.169\.254 \(embedded in 64:ff9b::a9fe:a9fe\)"
    ):
        check_target("http://[64:ff9b::a9fe:a9fe]/")
