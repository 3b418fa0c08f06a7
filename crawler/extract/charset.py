"""A page's text when its charset declarations lie: the header says UTF-8 over GBK bytes, the meta
says gb2312 over text that needs GB18030, nothing is declared at all, a BOM contradicts the header.

Scrapy (through w3lib) believes the header first and falls back to cp1252, which turns an
undeclared GBK page into Latin mojibake with no error to notice. Here every candidate is tried
strictly, in an order that suits Chinese sites: a BOM is certain, and so is a header that says
UTF-16 (whose NULs would otherwise read as valid UTF-8); bytes that are valid UTF-8 are
UTF-8 (GBK text practically never is); then what the page declares; then GB18030, the superset of
GB2312 and GBK. A header naming ISO-8859-1 / cp1252 (HTTP's old default, which servers send
without thinking) counts only after GB18030: Western bytes on these sites are the rare case.
When nothing decodes cleanly (a GBK page with a few corrupt bytes, common in old archives), the
first candidate that breaks on only a few bytes wins, else the one that breaks on the fewest: a
UTF-8 reading of GBK breaks on nearly every Chinese character, a GB18030 reading only on the
corrupt ones (and GB18030, which takes almost any byte pair, is never preferred over a candidate
that is right but for a few bytes). The broken bytes are dropped, so no U+FFFD (or its GBK shadow
"锟斤拷") reaches the stored text."""

from __future__ import annotations

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

WESTERN = "cp1252"  # what w3lib resolves latin-1 and ascii to: HTTP's old default, often claimed falsely
MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"\x00\x00\x00")
FEW_BAD_BYTES = 16  # a reading broken on at most this many bytes, or on...
FEW_BAD_SHARE = 0.01  # ...this share of the page's bytes, is the right one with a few corrupt bytes
CONTROL = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])


def looks_binary(body: bytes, content_type: str | None = None) -> bool:
    """An image, archive or other binary file served as text/html: a known signature, or control
    bytes (WHATWG's "binary data bytes") in more than a tenth of the first kilobyte. A stray NUL in
    a real page does not count, nor do UTF-16's: a page with a UTF-16 BOM, or declared UTF-16 by
    its Content-Type, is text."""
    if _utf16(body, content_type):
        return False
    head = body[:1024]
    return head.startswith(MAGIC) or len(head) - len(head.translate(None, CONTROL)) > len(head) // 10


def _utf16(body: bytes, content_type: str | None) -> str | None:
    """The UTF-16 codec a page is in by its BOM or its Content-Type, or None."""
    encoding = read_bom(body)[0] or _resolved(http_content_type_encoding(content_type or ""))
    return encoding if encoding and encoding.startswith("utf-16") else None


def page_text(body: bytes, content_type: str | None) -> str:
    encoding, bom = read_bom(body)
    if encoding and bom:
        return body[len(bom) :].decode(encoding, errors="replace").replace("\ufffd", "")
    readings: list[str] = []
    for candidate in candidates(body, content_type):
        try:
            return body.decode(candidate)
        except UnicodeDecodeError:
            readings.append(body.decode(candidate, errors="replace"))
        except LookupError:
            continue
    few = max(FEW_BAD_BYTES, FEW_BAD_SHARE * len(body))
    best = next((text for text in readings if text.count("\ufffd") <= few), None)
    best = best or min(readings, key=lambda text: text.count("\ufffd"))  # min keeps the first of equals
    return best.replace("\ufffd", "")


def candidates(body: bytes, content_type: str | None) -> list[str]:
    header = _resolved(http_content_type_encoding(content_type or ""))
    meta = _resolved(html_body_declared_encoding(body))
    if utf16 := _utf16(body, content_type):  # UTF-16 without a BOM: ASCII in it is valid UTF-8 too
        return [utf16]
    if header == WESTERN:  # weak: tried after GB18030, as a Chinese site's bytes are far likelier
        ordered = ["utf-8", meta, "gb18030", header]
    else:
        ordered = ["utf-8", header, meta, "gb18030"]
    return list(dict.fromkeys(e for e in ordered if e))


def _resolved(label: str | None) -> str | None:
    """The Python codec for a charset label; GB2312 and GBK are read as their superset GB18030."""
    return resolve_encoding(label) if label else None
