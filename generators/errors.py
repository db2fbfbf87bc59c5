"""Errors a user can cause, each with a one-line message naming the offending value.

They live on the floor of the house because generation raises them too; every layer
above imports them from here.
"""

from __future__ import annotations


class DemogenError(Exception):
    """A domain failure the CLI reports as `error: <message>` with exit code 1."""


class UsageError(DemogenError):
    """Malformed input (a bad month, an unknown URL scheme): exit code 2."""


class GenerationError(ValueError):
    """A month's records cannot be made as asked. The message names the month and the metric, e.g.
    "2025-01: dealsCreated (8) needs a contact, but none exists or is created"."""
