"""A collection the store keeps a validator and indexes on: made, or brought up to date, the same
way for each (`articles`, `article_versions`, `captures`)."""

from __future__ import annotations

from typing import Any

from pymongo import IndexModel
from pymongo.collection import Collection
from pymongo.errors import CollectionInvalid, OperationFailure

NAMESPACE_EXISTS = 48  # MongoDB's error code: the collection is there already


def ensure_validated(collection: Collection, validator: dict[str, Any], indexes: list[IndexModel]) -> None:
    """Create the collection with its validator (or update the validator) and its indexes."""
    db = collection.database
    try:
        db.create_collection(collection.name, validator=validator, validationLevel="strict")
    except (CollectionInvalid, OperationFailure) as exc:
        if isinstance(exc, OperationFailure) and exc.code != NAMESPACE_EXISTS:
            raise
        db.command("collMod", collection.name, validator=validator, validationLevel="strict")
    collection.create_indexes(indexes)
