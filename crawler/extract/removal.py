"""Pages that say the article is gone: a site's "deleted" template (该内容已被删除), or a redirect
from an article URL to the site's home or a channel page. Plain functions over a parsed page and
URLs; the spider records what they find as a removal of the stored article.

A notice counts only as the page's own message: the document title, or an element whose whole
text is little more than the notice. An article that merely quotes "页面不存在" in a sentence is
not a deleted page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml.etree import _Element

from crawler.extract.html import collapse, text_of

DELETED_NOTICES = (
    "该内容已被删除",
    "该文章已被删除",
    "页面不存在",
    "您访问的页面不存在",
    "内容已下线",
    "該內容已被刪除",
    "該文章已被刪除",
    "頁面不存在",
    "內容已下線",
)
NOTICE_SLACK = 30  # characters an element may hold beside the notice: "抱歉，" and a link home
HOME_PATHS = ("", "/", "/index.html", "/index.htm", "/index.shtml", "/index.php")


def deleted_notice(html: str, root: _Element, notices: tuple[str, ...]) -> str | None:
    """The notice the page shows as its own message, if it is a deleted page. The page's source
    is searched first, so a page without any notice (nearly every one) costs no walk of its tree."""
    if not any(n in html for n in notices):
        return None
    title = collapse(root.findtext(".//title") or "")
    found = next((n for n in notices if n in title), None)
    if found:
        return found
    body = root.find("body")
    if body is None:
        return None
    for element in body.iter("h1", "h2", "h3", "p", "div", "span", "td", "strong", "em", "b"):
        own = element.text or ""
        if not any(n in own for n in notices) and not any(
            n in (child.tail or "") for child in element for n in notices
        ):
            continue
        text = text_of(element)
        found = next((n for n in notices if n in text), None)
        if found and len(text) <= len(found) + NOTICE_SLACK:
            return found
    return None


def redirected_away(requested: str, final: str, is_article: bool) -> str | None:
    """`redirect_home` or `redirect_channel` when a request for an article ended on a page that is
    not one (`is_article` says whether the final URL is an article of the source); None otherwise."""
    if final == requested:
        return None
    if urlsplit(final).path in HOME_PATHS:
        return "redirect_home"
    return None if is_article else "redirect_channel"
