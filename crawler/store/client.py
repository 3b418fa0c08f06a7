"""The store a process talks to: MONGO_URI, or the embedded server on MONGO_EMBEDDED_PATH.

`StoreClient` is a process's (or a crawl's) one connection: opened on first use, so a command or a
crawl that never needs the store never starts it, and one that cannot reach it fails its writes,
which spool, rather than itself. Every client asks for journalled writes (`journal=True`): a write
is acknowledged once it is in the server's journal on disk. The embedded server is started again
should it go away while the client lives (`Revive`)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from types import TracebackType

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError
from pymongo.monitoring import ServerHeartbeatListener
from pymongo.uri_parser import parse_uri
from scrapy.settings import BaseSettings

from crawler.failures import NotStarted, StoreUnavailable
from crawler.store.embedded import Revive, ensure_served
from crawler.store.mongo import connect, redact, store_unavailable


def uri_problem(uri: str) -> str | None:
    """Why MONGO_URI is no MongoDB URI, or None; read without a DNS lookup (mongodb+srv:// URIs
    are looked up only when the store is used)."""
    if uri.startswith("mongodb+srv://"):
        return None if uri.removeprefix("mongodb+srv://").strip("/") else "no host in the URI"
    try:
        parse_uri(uri)
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        return redact(str(exc))
    return None


class StoreClient:
    """One process's, or one crawl's, connection to the store (module docstring)."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings
        self.embedded = None if settings.get("MONGO_URI") else Path(settings.get("MONGO_EMBEDDED_PATH"))
        self.name = (  # as messages name it: never with credentials
            redact(str(settings.get("MONGO_URI")))
            if self.embedded is None
            else f"the embedded store on {self.embedded}"
        )

    @cached_property
    def mongo(self) -> MongoClient:
        """Raises StoreUnavailable when the embedded server cannot be started (tried again on the
        next use)."""
        listeners: list[ServerHeartbeatListener] = []
        if self.embedded is None:
            uri = str(self.settings.get("MONGO_URI"))
        else:
            idle_exit = self.settings.getfloat("MONGO_EMBEDDED_IDLE_EXIT")
            try:
                uri = ensure_served(str(self.embedded), idle_exit)
            except NotStarted as exc:
                raise StoreUnavailable(str(exc)) from None
            listeners.append(Revive(str(self.embedded), idle_exit))
        return connect(uri, self.settings.getint("MONGO_TIMEOUT_MS"), listeners)

    def missing(self) -> str | None:
        """Why there is nothing to read, when the embedded store's folder holds no store: the
        commands that only read say so instead of creating one."""
        if self.embedded is None or (self.embedded / "WiredTiger").exists():
            return None
        return f"no store in {self.embedded} yet: nothing was stored there (crawl or fetch first)"

    @property
    def database(self) -> Database:
        return self.mongo[self.settings.get("MONGO_DATABASE")]

    def collection(self, name_setting: str = "MONGO_COLLECTION") -> Collection:
        return self.database[self.settings.get(name_setting)]

    def ping(self) -> None:
        """Raises StoreUnavailable when the store does not answer."""
        try:
            self.mongo.admin.command("ping")
        except PyMongoError as exc:
            raise store_unavailable(exc) from exc

    def unavailable(self, exc: PyMongoError | StoreUnavailable) -> str:
        """One line naming the store and why it did not answer, without credentials."""
        why = exc if isinstance(exc, StoreUnavailable) else store_unavailable(exc)
        return f"store {self.name} unavailable: {why}"

    def close(self) -> None:
        if "mongo" in self.__dict__:
            self.mongo.close()
            del self.mongo

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
