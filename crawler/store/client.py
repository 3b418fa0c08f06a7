"""The store a component talks to: MONGO_URI, or the embedded server on MONGO_EMBEDDED_PATH.

Every client asks for journalled writes (`journal=True`): a write is acknowledged once it is in
the server's journal on disk, so an article counted as stored survives the server's crash."""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import PyMongoError
from pymongo.monitoring import ServerHeartbeatListener
from scrapy.settings import BaseSettings

from crawler.store.embedded import NotStarted, Revive, ensure_served
from crawler.store.mongo import StoreUnavailable, connect, redact


def store_name(settings: BaseSettings) -> str:
    """The store as messages name it: MONGO_URI without its user info, or the embedded folder."""
    if uri := settings.get("MONGO_URI"):
        return redact(str(uri))
    return f"the embedded store on {settings.get('MONGO_EMBEDDED_PATH')}"


def unavailable(settings: BaseSettings, exc: PyMongoError | StoreUnavailable) -> str:
    """One line naming the store and why it did not answer, without credentials."""
    why = exc if isinstance(exc, StoreUnavailable) else StoreUnavailable.from_error(exc)
    return f"store {store_name(settings)} unavailable: {why}"


def store_uri(settings: BaseSettings) -> str:
    """Raises StoreUnavailable when the embedded server cannot be started."""
    if uri := settings.get("MONGO_URI"):
        return str(uri)
    try:
        path, idle_exit = settings.get("MONGO_EMBEDDED_PATH"), settings.getfloat("MONGO_EMBEDDED_IDLE_EXIT")
        return ensure_served(path, idle_exit)
    except NotStarted as exc:
        raise StoreUnavailable(str(exc)) from None


def store_client(settings: BaseSettings) -> MongoClient:
    listeners: list[ServerHeartbeatListener] = []
    if not settings.get("MONGO_URI"):  # the embedded server: started again should it go away
        listeners.append(
            Revive(settings.get("MONGO_EMBEDDED_PATH"), settings.getfloat("MONGO_EMBEDDED_IDLE_EXIT"))
        )
    return connect(store_uri(settings), settings.getint("MONGO_TIMEOUT_MS"), listeners)


def collection(
    client: MongoClient, settings: BaseSettings, name_setting: str = "MONGO_COLLECTION"
) -> Collection:
    return client[settings.get("MONGO_DATABASE")][settings.get(name_setting)]


class LazyStore:
    """A connection a crawl component opens on first use (many crawls never need it) and closes
    when the crawl ends."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings
        self.client: MongoClient | None = None

    def collection(self, name_setting: str = "MONGO_COLLECTION") -> Collection:
        self.client = self.client or store_client(self.settings)
        return collection(self.client, self.settings, name_setting)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
