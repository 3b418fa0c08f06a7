"""Spiders that are not tied to one site: the generic fallback."""
