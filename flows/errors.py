"""Errors a user can cause: each carries a one-line message naming the offending value."""


class DemogenError(Exception):
    """A domain failure the CLI reports as `error: <message>` with exit code 1."""


class UsageError(DemogenError):
    """Malformed input (a bad month, an unknown URL scheme): exit code 2."""
