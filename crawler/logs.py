"""Expected errors in one line, without a traceback: a site without a reachable robots.txt, a
download that failed after its retries. They are reported where they matter (the run record,
`crawler fetch`'s line, the API's answer); a traceback in the log is kept for what nobody expected.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy.crawler import Crawler

# logger name -> the start of the messages it logs for an expected failure
EXPECTED = {
    # robots.txt unreachable: Scrapy fetches anyway
    "scrapy.downloadermiddlewares.robotstxt": "Error downloading",
    "scrapy.downloadermiddlewares.retry": "Gave up retrying",
}


class ExpectedErrors(logging.Filter):
    """Turns an expected failure's ERROR with a traceback into a WARNING of one line."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith(self.prefix):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


class QuietExpectedErrors:
    """Extension: installs the filters once per process (loggers are the process's own)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        for name, prefix in EXPECTED.items():
            logger = logging.getLogger(name)
            if not any(isinstance(f, ExpectedErrors) for f in logger.filters):
                logger.addFilter(ExpectedErrors(prefix))
        return cls()
