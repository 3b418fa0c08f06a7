"""An alert and its request body in each service's own webhook format, with its signing.

Formats, from each service's documentation of its incoming ("custom robot") webhooks:
- `json`: this project's own body (documented in docs/operations.md), for any receiver;
- `slack`: an incoming webhook's `{"text": ...}` (mrkdwn);
- `dingtalk`: `{"msgtype": "markdown", ...}`; with a secret, `timestamp` (ms) and
  `sign` = base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")) in the URL's query;
- `wecom`: `{"msgtype": "markdown", "markdown": {"content": ...}}` (the key is in the URL);
- `lark` (Feishu): `{"msg_type": "text", ...}`; with a secret, `timestamp` (s) and
  `sign` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) in the body.
Plain functions: the time of signing is passed in, so a test can check the exact signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from crawler.display import shown

KINDS = ("json", "slack", "dingtalk", "wecom", "lark")
CONDITION_TITLES = {
    "failed": "run failed",
    "degraded": "run degraded",
    "stale": "no new article",
    "spool": "articles wait in the spool",
    "dead_requests": "dead requests in the frontier",
}


@dataclass(frozen=True)
class Endpoint:
    """One entry of ALERT_WEBHOOKS."""

    kind: str
    url: str
    secret: str = ""

    @classmethod
    def parse(cls, entry: Any) -> Endpoint:
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS:
            given = (
                f"kind {entry.get('kind')!r:.20}" if isinstance(entry, dict) else f"a {type(entry).__name__}"
            )
            raise ValueError(  # never the entry itself: its URL is a secret
                f"ALERT_WEBHOOKS: each entry needs a kind, one of {', '.join(KINDS)}; got {given}"
            )
        url = str(entry.get("url") or "")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ValueError(f"ALERT_WEBHOOKS: a {entry['kind']} entry needs an http(s) url")
        return cls(entry["kind"], url, str(entry.get("secret") or ""))

    @property
    def shown(self) -> str:
        """The URL as logs show it: a webhook URL is a secret (its path or query is the token)."""
        parts = urlsplit(self.url)
        return f"{self.kind} {parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}/…"


def endpoints(setting: Any) -> list[Endpoint]:
    """ALERT_WEBHOOKS as a list (from settings) or JSON text (from the environment)."""
    try:
        entries = json.loads(setting) if isinstance(setting, str) else setting
    except json.JSONDecodeError as exc:
        raise ValueError(f"ALERT_WEBHOOKS is not valid JSON ({exc})") from None
    if not isinstance(entries, list):
        raise ValueError("ALERT_WEBHOOKS must be a JSON list of {kind, url, secret} objects")
    return [Endpoint.parse(entry) for entry in entries]


@dataclass(frozen=True)
class Alert:
    """A condition of a source that began (`firing`) or ended (`recovered`) with this run."""

    source: str
    condition: str
    state: str
    reasons: tuple[str, ...]
    run_status: str
    at: datetime

    @property
    def title(self) -> str:
        what = CONDITION_TITLES[self.condition]
        return (
            f"[crawler] {self.source}: {what}"
            if self.state == "firing"
            else f"[crawler] {self.source}: recovered ({what})"
        )

    @property
    def lines(self) -> list[str]:
        return [*self.reasons, f"last run: {self.run_status}, ended {shown(self.at, self.at.tzinfo or UTC)}"]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "condition": self.condition,
            "state": self.state,
            "reasons": list(self.reasons),
            "run_status": self.run_status,
            "at": self.at.isoformat(),
            "title": self.title,
        }


def request_for(endpoint: Endpoint, alert: Alert, now: datetime) -> tuple[str, bytes]:
    """The URL to POST to and the JSON body, as the endpoint's service expects them."""
    url, body = endpoint.url, _BODIES[endpoint.kind](alert)
    if endpoint.secret and endpoint.kind == "dingtalk":
        timestamp = str(int(now.timestamp() * 1000))
        sign = _b64_hmac(endpoint.secret.encode(), f"{timestamp}\n{endpoint.secret}".encode())
        url += ("&" if urlsplit(url).query else "?") + urlencode({"timestamp": timestamp, "sign": sign})
    elif endpoint.secret and endpoint.kind == "lark":
        timestamp = str(int(now.timestamp()))
        body = {
            "timestamp": timestamp,
            "sign": _b64_hmac(f"{timestamp}\n{endpoint.secret}".encode(), b""),
            **body,
        }
    return url, json.dumps(body, ensure_ascii=False).encode("utf-8")


def _b64_hmac(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def _slack(alert: Alert) -> dict[str, Any]:
    return {"text": "\n".join([f"*{alert.title}*", *(f"• {line}" for line in alert.lines)])}


def _dingtalk(alert: Alert) -> dict[str, Any]:
    text = "\n".join([f"### {alert.title}", "", *(f"- {line}" for line in alert.lines)])
    return {"msgtype": "markdown", "markdown": {"title": alert.title, "text": text}}


def _wecom(alert: Alert) -> dict[str, Any]:
    return {
        "msgtype": "markdown",
        "markdown": {"content": "\n".join([f"**{alert.title}**", *(f"> {line}" for line in alert.lines)])},
    }


def _lark(alert: Alert) -> dict[str, Any]:
    return {"msg_type": "text", "content": {"text": "\n".join([alert.title, *alert.lines])}}


_BODIES = {"json": Alert.as_json, "slack": _slack, "dingtalk": _dingtalk, "wecom": _wecom, "lark": _lark}
