"""Scrapy's own downloader middlewares, each raising what it refuses as a type of
crawler/failures.py instead of a bare IgnoreRequest told apart by its message: a request skipped on
purpose (offsite, robots.txt), a redirect chain past REDIRECT_MAX_TIMES, a body past
DOWNLOAD_MAXSIZE once inflated. Each takes the place of Scrapy's in DOWNLOADER_MIDDLEWARES, at
Scrapy's own order, and each catches the one refusal its parent raises."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.failures import InflatedTooLarge, Skipped, TooManyRedirects, describe_failure

logger = logging.getLogger(__name__)


class Offsite(OffsiteMiddleware):
    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        try:
            super().process_request(request)
        except IgnoreRequest as exc:
            raise Skipped(str(exc)) from None


class Robots(RobotsTxtMiddleware):
    """A site whose robots.txt cannot be fetched is crawled as if it had none, as Scrapy does;
    the failure is said here in one line (Scrapy would log it with a traceback) and the robots.txt
    request answered as a 404."""

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        try:
            await super().process_request(request)
        except IgnoreRequest as exc:
            raise Skipped(str(exc)) from None

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> Any:
        if not (request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt")):
            return None
        problem = describe_failure(Failure(exception))
        logger.warning(
            "%s unreachable (%s): the site is crawled as if it had none", request.url, problem.message
        )
        return Response(request.url, status=404, request=request)


class _RefusesAs:
    """A response middleware of Scrapy's whose one refusal (an IgnoreRequest) becomes `refusal`."""

    refusal: type[Exception]

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        try:
            return super().process_response(request, response)  # type: ignore[misc]  # the middleware's
        except IgnoreRequest:
            raise self.refusal() from None


class Redirects(_RefusesAs, RedirectMiddleware):
    refusal = TooManyRedirects  # REDIRECT_MAX_TIMES reached


class Decompression(_RefusesAs, HttpCompressionMiddleware):
    refusal = InflatedTooLarge  # inflated past DOWNLOAD_MAXSIZE
