"""Sending alerts: a POST per endpoint with a shared deadline and a few retries, in the calling
(worker) thread; the I/O lives here, the formats in `messages`."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from crawler.alerts.messages import Alert, Endpoint, request_for

logger = logging.getLogger(__name__)
RETRY_PAUSE = 0.5  # seconds before the second attempt, doubling after; never past the deadline


@dataclass(frozen=True)
class Outcome:
    endpoint: Endpoint
    alert: Alert
    delivered: bool


def deliver(alerts: list[Alert], targets: list[Endpoint], timeout: float, retries: int) -> list[Outcome]:
    """Every alert to every endpoint, all within `timeout` seconds together: a receiver that hangs
    or answers 500 costs the run at most that. A delivery that fails after its retries is logged
    once, with the endpoint's host only (the URL is a secret)."""
    deadline = time.monotonic() + timeout
    outcomes = []
    for alert in alerts:
        for endpoint in targets:
            problem = _post(endpoint, alert, deadline, retries)
            if problem:
                logger.warning("alert %r not delivered to %s: %s", alert.title, endpoint.shown, problem)
            outcomes.append(Outcome(endpoint, alert, problem is None))
    return outcomes


def _refusal(answer: bytes) -> str | None:
    """DingTalk, WeCom and Lark answer HTTP 200 with an error code in the body when they refuse a
    message (a bad signature, an unknown key): `errcode` or `code` other than 0."""
    try:
        found = json.loads(answer)
    except ValueError:
        return None  # Slack answers "ok"; a generic receiver anything
    if not isinstance(found, dict):
        return None
    code = found.get("errcode", found.get("code", 0))
    return (
        None
        if code in (0, None)
        else f"refused: {code} {found.get('errmsg') or found.get('msg') or ''}".strip()
    )


def _post(endpoint: Endpoint, alert: Alert, deadline: float, retries: int) -> str | None:
    """None when the endpoint took the alert, else the last problem."""
    problem = "no time left"
    pause = RETRY_PAUSE
    for attempt in range(retries + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        url, body = request_for(endpoint, alert, datetime.now(UTC))
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=left) as response:  # noqa: S310 - http(s) checked by Endpoint
                refused = _refusal(response.read(64 * 1024))
            if refused is None:
                return None
            return refused  # a wrong signature or key: retrying sends the same

        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            problem = str(getattr(exc, "reason", exc)) or type(exc).__name__
        if attempt < retries and deadline - time.monotonic() > pause:
            time.sleep(pause)
            pause *= 2
    return problem
