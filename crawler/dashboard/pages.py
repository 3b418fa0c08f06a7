"""The dashboard's HTML: Jinja2 templates with autoescaping, so scraped text (a title such as
`<script>alert(1)</script>`) is always shown as text. The chart is SVG drawn here, on the server:
no JavaScript, nothing fetched from anywhere."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from crawler.display import shown
from crawler.runs import problems

COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7")
CHART_HEIGHT, BAR, GAP = 160, 18, 4
AXIS = 48  # pixels left of the bars for the y-axis and its labels


@pass_context
def local(context: Context, moment: datetime | None) -> str:
    """A time as the dashboard shows it: in the page's `zone` (DISPLAY_TIMEZONE), with the offset."""
    return shown(moment, context["zone"])


env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["local"] = local
env.filters["local_iso"] = pass_context(
    lambda context, text: shown(datetime.fromisoformat(text) if text else None, context["zone"])
)  # a history entry's time
env.filters["why"] = lambda run: "; ".join(problems(run))
env.globals["kept"] = lambda capture: (
    "/capture?" + urlencode({"file": capture["file"], "offset": capture["offset"]})
)  # a kept page's (a WARC record's) page: crawler/api/dashboard.py `capture`


def render(template: str, zone: tzinfo = UTC, **values: Any) -> bytes:
    """The page; its times in `zone` (the dashboard's pages pass DISPLAY_TIMEZONE)."""
    return env.get_template(template).render(zone=zone, **values).encode()


def chart(days: list[str], per_day: dict[str, dict[str, int]], sources: list[str]) -> Markup:
    """Stacked bars: articles stored per day, one colour per source, on a labelled y-axis (0, half
    and the highest day), each day named under its bar."""
    color = {s: COLORS[n % len(COLORS)] for n, s in enumerate(sources)}
    top = max((sum(counts.values()) for counts in per_day.values()), default=0) or 1
    bars, days_shown = [], []
    for n, day in enumerate(days):
        x, y = AXIS + n * (BAR + GAP), CHART_HEIGHT
        for source in sources:
            count = per_day[day].get(source, 0)
            if not count:
                continue
            h = max(round(count / top * CHART_HEIGHT), 1)
            y -= h
            bars.append(
                {
                    "x": x,
                    "y": y,
                    "w": BAR,
                    "h": h,
                    "color": color[source],
                    "label": f"{day} {source}: {count}",
                }
            )
        days_shown.append({"x": x + BAR // 2, "label": day[5:]})
    levels = sorted({0, top // 2, top})
    y_ticks = [{"y": CHART_HEIGHT - round(v / top * CHART_HEIGHT), "label": v} for v in levels]
    legend = [{"x": AXIS + n * 90, "source": s, "color": color[s]} for n, s in enumerate(sources)]
    return Markup(
        env.get_template("chart.html").render(
            width=AXIS + len(days) * (BAR + GAP),
            height=CHART_HEIGHT,
            axis=AXIS,
            bars=bars,
            days=days_shown,
            y_ticks=y_ticks,
            legend=legend,
        )
    )
