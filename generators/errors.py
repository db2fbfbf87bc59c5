"""The one error generation raises: a month's records cannot be made as asked."""

from __future__ import annotations


class GenerationError(ValueError):
    """A one-line message naming the month and the metric, e.g.
    "2025-01: dealsCreated (8) needs a contact, but none exists or is created"."""
