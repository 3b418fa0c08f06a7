"""A source made of what was learned: its article URLs, a layout per template with its noise, and
the check that decides what is kept — each layout, with the source's noise, read through the real
extraction path on every sampled page of its template, must give the generic path's text on
AGREEMENT_SHARE of them (a layout that reads more story than the generic path on a page it got
wrong is the point; one that disagrees on most is dropped). The report says what was found and
what was left to the generic path, and why."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from crawler.clean import clean_article
from crawler.extract.article import Layout, Selectors
from crawler.extract.html import css
from crawler.failures import Failed
from crawler.items import Article
from crawler.learn.layouts import Template, templates, time_selector, title_selector
from crawler.learn.noise import learn_noise
from crawler.learn.pages import Sampled, char_f1, normalised
from crawler.learn.urls import ArticleUrls
from crawler.process import extract_page, raw_article
from crawler.sources.spec import SourceSpec

AGREES = 0.9  # char F1 of a layout's body with the generic path's for the page to agree
AGREEMENT_SHARE = 0.8  # share of a template's pages that must agree for its layout to be kept
BODIES_TRIED = 3  # body selectors of a template tried through the real path, best first


@dataclass
class TemplateReport:
    """One template as the report shows it."""

    marker: str
    pages: list[str]
    layout: str | None = None  # the layout's name, None when left to the generic path
    body: str | None = None
    noise: list[str] = field(default_factory=list)
    agreement: list[float] = field(default_factory=list)  # per page, char F1 with the generic path
    why: str = ""


@dataclass
class Learned:
    """The source learned, and how."""

    spec: SourceSpec
    templates: list[TemplateReport]
    generic_pages: list[str]  # sampled pages no layout reads: the generic path's
    urls: ArticleUrls
    failed: dict[str, str]  # sampled URLs that gave no article, and why
    sampled: int  # pages sampled, those that gave no article included

    def summary(self) -> dict[str, Any]:
        """What the source file keeps of how it was learned."""
        return {
            "article_urls": {
                "seen": self.urls.seen,
                "matched": self.urls.matched,
                "shapes": list(self.urls.shapes),
            },
            "pages_sampled": self.sampled,
            "templates": [
                {"marker": t.marker, "pages": len(t.pages), "layout": t.layout or "generic path"}
                for t in self.templates
            ],
            "pages_on_generic_path": len(self.generic_pages),
        }


def learn_source(
    base: SourceSpec, urls: ArticleUrls, pages: list[Sampled], failed: dict[str, str], min_pages: int
) -> Learned:
    """`base` (name, domains, discovery URLs, time zone) with the article URLs, layouts and noise
    learned from the sampled pages (the same, in whatever order they came)."""
    pages = sorted(pages, key=lambda page: page.url)
    spec = replace(
        base, article_pattern=urls.pattern, article_id=urls.article_id, canonical_url=urls.canonical_url
    )
    reports: list[TemplateReport] = []
    kept: list[tuple[Template, TemplateReport, Layout]] = []

    def keep(template: Template) -> bool:
        report = TemplateReport(template.marker, [p.url for p in template.pages])
        reports.append(report)
        layout = _layout_of(spec, template, _name(template.marker, [k[2].name for k in kept]), report)
        if layout is not None:
            kept.append((template, report, layout))
        return layout is not None

    _, left = templates(pages, min_pages, keep)
    spec = replace(_settled(spec, kept), generic_share=round(len(left) / len(pages), 3) if pages else 0.0)
    return Learned(spec, reports, [p.url for p in left], urls, failed, len(pages) + len(failed))


def _settled(spec: SourceSpec, kept: list[tuple[Template, TemplateReport, Layout]]) -> SourceSpec:
    """The source with every kept layout and the noise of all: a noise selector one template
    learned that finds a block inside another template's body is left out (noise is the source's,
    not a layout's, and must not cut another template's story); each report then gives its
    layout's agreement as the source reads it."""
    noise: list[str] = []
    for _, report, _ in kept:
        noise.extend(n for n in report.noise if n not in noise)
    for template, report, layout in kept:
        bodies = [found[0] for page in template.pages if (found := css(layout.selectors.body[0])(page.root))]
        foreign = {n for n in noise if n not in report.noise and any(css(n)(body) for body in bodies)}
        noise = [n for n in noise if n not in foreign]
    settled = replace(spec, layouts=tuple(layout for _, _, layout in kept), noise=tuple(noise))
    for template, report, layout in kept:
        report.agreement = [round(agreement(settled, page, layout), 3) for page in template.pages]
    return settled


def _layout_of(spec: SourceSpec, template: Template, name: str, report: TemplateReport) -> Layout | None:
    """The template's layout when one of its best body selectors, with the noise learned for it,
    agrees with the generic path on enough of its pages through the real path; the report says
    which (and its noise), or why none."""
    bodies = template.bodies[:BODIES_TRIED]
    title, time = title_selector(template), time_selector(template)
    best: tuple[float, Layout, list[str], list[float]] | None = None
    for body in bodies:
        noise = learn_noise(template, body)
        selectors = Selectors(title=_one(title), body=(body,), time=_one(time))
        layout = Layout(name, selectors, template.marker)
        trial = replace(spec, layouts=(layout,), noise=tuple(noise))
        scores = [agreement(trial, page, layout) for page in template.pages]
        share = sum(s >= AGREES for s in scores) / len(scores)
        if best is None or share > best[0]:
            best = (share, layout, noise, scores)
        if share == 1:  # no later selector does better
            break
    assert best is not None
    share, layout, noise, scores = best
    report.agreement = [round(s, 3) for s in scores]
    if share < AGREEMENT_SHARE:
        report.why = f"its best layout agrees with the generic path on {share:.0%} of its pages"
        return None
    report.layout, report.body, report.noise = layout.name, layout.selectors.body[0], noise
    return layout


def _name(marker: str, taken: list[str]) -> str:
    """A layout's name, after its marker: `.post_main` is `post_main`."""
    name = re.sub(r"[^a-z0-9]+", "_", marker.lower()).strip("_") or "layout"
    return name if name not in taken else f"{name}_{len(taken) + 1}"


def _one(selector: str | None) -> tuple[str, ...]:
    return (selector,) if selector else ()


def read_with(
    spec: SourceSpec, url: str, body: bytes, content_type: str | None, min_chars: int = 1
) -> tuple[Article, str | None]:
    """The page's article as `spec` reads it (extracted and cleaned as a crawl does), and why its
    layout was set aside, if it was. Raises Failed."""
    extracted = extract_page(spec, url, body, content_type, True, min_chars)
    article, _ = clean_article(raw_article(extracted), spec.noise)
    return article, extracted.fallback


def agreement(spec: SourceSpec, page: Sampled, layout: Layout) -> float:
    """Char F1 of the page's body read by the layout with the generic path's; 0 when the layout
    does not read the page (another layout, or a fallback)."""
    try:
        article, fallback = read_with(spec, page.url, page.body, page.content_type)
    except Failed:
        return 0.0
    if fallback or article.extracted_by != f"{spec.name}/{layout.name}":
        return 0.0
    return char_f1(normalised(article.body or ""), page.text)


def report(learned: Learned, when: str) -> str:
    """The report kept beside the source's file: what was found, what each layout reads, how
    close it comes to the generic path, and what was left to the generic path and why."""
    urls, spec = learned.urls, learned.spec
    lines = [
        f"# {spec.name}: learned from the site on {when}",
        "",
        f"Article URLs: {urls.matched} of the {urls.seen} links found on {', '.join(spec.domains)} have the "
        f"shape{'s' if len(urls.shapes) > 1 else ''} {', '.join(f'`{s}`' for s in urls.shapes)}.",
        f"Article id: `{spec.article_id}`, stored as `{spec.canonical_url}`."
        if spec.article_id
        else "Article id: none (no one shape with a value unique to each article).",
        *(f"Left out: `{why.split(': ', 1)[0]}`: {why.split(': ', 1)[1]}." for why in urls.left_out),
        "",
        "| template (marker) | pages | layout | body | agreement with the generic path (char F1 per page) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in learned.templates:
        shown = ", ".join(f"{s:.3f}" for s in t.agreement) or "-"
        layout = t.layout or f"none: {t.why}"
        lines.append(f"| `{t.marker}` | {len(t.pages)} | {layout} | `{t.body or '-'}` | {shown} |")
    lines += ["", f"Noise selectors: {', '.join(f'`{n}`' for n in spec.noise) or 'none'}.", ""]
    lines.append(f"Pages on the generic path ({len(learned.generic_pages)}):")
    lines += [f"- {url}" for url in learned.generic_pages] or ["- none"]
    lines += ["", f"Sampled pages that gave no article ({len(learned.failed)}):"]
    lines += [f"- {url}: {why}" for url, why in learned.failed.items()] or ["- none"]
    return "\n".join(lines) + "\n"
