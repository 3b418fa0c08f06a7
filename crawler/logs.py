"""How the commands log. Expected errors come in one line, without a traceback, said where they are
caught (a site without a reachable robots.txt: crawler/downloads.py; a download that failed after
its retries: RETRY_GIVE_UP_LOG_LEVEL) and reported where they matter (the run record, `crawler
fetch`'s line, the API's answer); a traceback in the log is kept for what nobody expected. A
crawling command is quiet by default (a line per run), shows Scrapy's log with `-v`, and writes
JSON lines with LOG_FORMAT=json.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

RUN_LINES = "crawler.run"  # the logger of each run's one line (crawler/runs.py)


class JsonLines(logging.Formatter):
    """LOG_FORMAT=json: one JSON object per record and line, for a service's log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class ReaderMayLeave(logging.StreamHandler):  # type: ignore[type-arg]  # a StreamHandler of any stream
    """The run lines on stdout, which a reader may close (`crawler schedule | head -3`): once it
    has, the lines go nowhere, without Python's "--- Logging error ---" traceback for each."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if isinstance(sys.exc_info()[1], BrokenPipeError):
            reader_left()
            self.setStream(sys.stdout)
            return
        super().handleError(record)


def reader_left() -> None:
    """stdout's reader has gone: what is printed from now on goes to /dev/null (Python's own
    flush at exit too), and the command goes on."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def announce(text: str) -> None:
    """A line on stdout a service prints once (where it serves); a closed stdout stops nothing."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        reader_left()


def command_logging(settings: BaseSettings, verbose: bool) -> None:
    """How a crawling command talks: by default quiet, a line per run on stdout (RUN_LINES) and
    warnings and errors on stderr; with `verbose` (or `-s LOG_LEVEL=...`) Scrapy's log. Call it
    before the CrawlerProcess."""
    if (settings.getpriority("LOG_LEVEL") or 0) < SETTINGS_PRIORITIES["cmdline"]:  # not given with -s
        settings.set("LOG_LEVEL", "INFO" if verbose else "WARNING", priority="cmdline")
    as_json = json_logging(settings)
    if not verbose:
        # trafilatura warns of each page it keeps no text of ("discarding data"): the run counts
        # that and says it in its own words (no_article_text); with -v its notes are shown
        logging.getLogger("trafilatura").setLevel(logging.ERROR)
        lines = logging.getLogger(RUN_LINES)
        lines.setLevel(logging.INFO)
        lines.propagate = False  # not among the log's warnings
        out = ReaderMayLeave(sys.stderr if as_json else sys.stdout)
        out.setFormatter(JsonLines() if as_json else logging.Formatter("%(message)s"))
        lines.addHandler(out)


def json_logging(settings: BaseSettings) -> bool:
    """With LOG_FORMAT=json, the process logs JSON lines on stderr at LOG_LEVEL, through a root
    handler of its own (Scrapy's would be built anew, as text, by each crawler). Call it before
    the CrawlerProcess (or configure_logging). True when it did."""
    if settings.get("LOG_FORMAT") != "json":
        return False
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    handler.setLevel(settings.get("LOG_LEVEL"))
    logging.root.addHandler(handler)
    logging.root.setLevel(logging.NOTSET)
    return True
