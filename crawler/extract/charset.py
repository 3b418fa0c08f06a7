"""A page's text when its charset declarations lie: the header says UTF-8 over GBK bytes, the meta
says gb2312 over text that needs GB18030, nothing is declared at all, a BOM contradicts the header.

Scrapy (through w3lib) believes the header first and falls back to cp1252, which turns an
undeclared GBK page into Latin mojibake with no error to notice. Here every candidate is tried
strictly, in an order that suits Chinese sites: a BOM is certain; bytes that are valid UTF-8 are
UTF-8 (GBK text practically never is); then what the page declares; then GB18030, the superset of
GB2312 and GBK. A header naming ISO-8859-1 / cp1252 (HTTP's old default, which servers send
without thinking) counts only after GB18030: Western bytes on these sites are the rare case.
Only when nothing decodes cleanly is the first candidate used with the broken bytes dropped, so
no U+FFFD (or its GBK shadow "锟斤拷") reaches the stored text."""

from __future__ import annotations

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

WESTERN = "cp1252"  # what w3lib resolves latin-1 and ascii to: HTTP's old default, often claimed falsely
MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"\x00\x00\x00")
CONTROL = frozenset(range(0x00, 0x09)) | {0x0B} | frozenset(range(0x0E, 0x1B)) | frozenset(range(0x1C, 0x20))


def looks_binary(body: bytes) -> bool:
    """An image, archive or other binary file served as text/html: a known signature, or control
    bytes (WHATWG's "binary data bytes") in more than a tenth of the first kilobyte. A stray NUL in
    a real page does not count."""
    head = body[:1024]
    return head.startswith(MAGIC) or sum(b in CONTROL for b in head) > len(head) // 10


def page_text(body: bytes, content_type: str | None) -> str:
    encoding, bom = read_bom(body)
    if encoding:
        return body[len(bom) :].decode(encoding, errors="replace").replace("\ufffd", "")
    tried = candidates(body, content_type)
    for candidate in tried:
        try:
            return body.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode(tried[0], errors="replace").replace("\ufffd", "")


def candidates(body: bytes, content_type: str | None) -> list[str]:
    header = _resolved(http_content_type_encoding(content_type or ""))
    meta = _resolved(html_body_declared_encoding(body))
    if header == WESTERN:  # weak: tried after GB18030, as a Chinese site's bytes are far likelier
        ordered = ["utf-8", meta, "gb18030", header]
    else:
        ordered = ["utf-8", header, meta, "gb18030"]
    return list(dict.fromkeys(e for e in ordered if e))


def _resolved(label: str | None) -> str | None:
    """The Python codec for a charset label; GB2312 and GBK are read as their superset GB18030."""
    return resolve_encoding(label) if label else None
