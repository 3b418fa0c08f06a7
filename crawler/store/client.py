"""The store a component talks to: MONGO_URI, or the embedded server on MONGO_EMBEDDED_PATH."""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.collection import Collection
from scrapy.settings import BaseSettings

from crawler.store.embedded import embedded_uri
from crawler.store.mongo import connect


def store_uri(settings: BaseSettings) -> str:
    return settings.get("MONGO_URI") or embedded_uri(settings.get("MONGO_EMBEDDED_PATH"))


def store_client(settings: BaseSettings) -> MongoClient:
    return connect(store_uri(settings), settings.getint("MONGO_TIMEOUT_MS"))


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
