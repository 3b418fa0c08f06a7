"""Times as people read them: in DISPLAY_TIMEZONE, with the offset shown, the same on every surface
an operator compares side by side (`crawler status`, the dashboard, alert messages), so that 12:47
on one is 12:47 on the other. What machines read (JSON answers, exports, `crawler history`, the
store) keeps ISO 8601 with its offset."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from scrapy.settings import BaseSettings


def display_zone(settings: BaseSettings) -> ZoneInfo:
    return ZoneInfo(settings.get("DISPLAY_TIMEZONE"))


def shown(moment: datetime | None, zone: tzinfo) -> str:
    """`2026-12-05 12:47 +08:00`; `—` for no time."""
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"
