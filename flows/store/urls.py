"""Database URLs fit to show: the password masked in whichever form the URL carries it."""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"
# A password shorter than this is not hunted for in free text: replacing every "ab" would garble messages.
_MIN_SECRET = 4

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_QUERY_PASSWORD = re.compile(r"([?&](?:ssl)?password=)([^&#]*)", re.IGNORECASE)
# key=value connection strings (libpq's DSN form): a value is 'quoted' or runs to the next space.
_DSN_PASSWORD = re.compile(r"(?<![\w?&])((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
# A URL inside a message ends at a space or a quote.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")


def _userinfo_end(rest: str) -> int:
    """Where the user[:password] part after `scheme://` ends (its `@`), or -1.

    The last `@` before the query: a password may hold an `@` of its own. A password holding
    a `?` hides that `@` behind the "query", so then the last `@` anywhere counts.
    """
    query = rest.find("?")
    at = rest.rfind("@", 0, query if query >= 0 else len(rest))
    return at if at >= 0 else rest.rfind("@")


def mask_url(url: str) -> str:
    """The database URL with every password replaced by `***`; DuckDB URLs are returned unchanged.

    Handles `scheme://user:pw@host/db`, `scheme://:pw@host/db`, `?password=pw` (and `&password=`),
    a password holding `@`, percent-encoded passwords, and key=value strings (`password=pw host=h`).
    """
    match = _SCHEME.match(url)
    if match is None:
        return _DSN_PASSWORD.sub(rf"\g<1>{MASK}", url)
    if match.group(1).lower() == "duckdb":
        return url
    head, rest = url[: match.end()], url[match.end() :]
    at = _userinfo_end(rest)
    if at >= 0:
        user, colon, _ = rest[:at].partition(":")
        rest = user + (f":{MASK}" if colon else "") + rest[at:]
    return head + _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", rest)


def has_password(url: str) -> bool:
    """Whether the URL carries a password (then it must not be shown, nor passed where it is shown)."""
    return mask_url(url) != url


def _passwords(url: str) -> set[str]:
    """The URL's passwords as written and decoded, each `@`-separated piece too (libpq splits at the first `@`)."""
    found: list[str] = []
    match = _SCHEME.match(url)
    if match is None:
        found += [value.strip("'") for _, value in _DSN_PASSWORD.findall(url)]
    elif match.group(1).lower() != "duckdb":
        rest = url[match.end() :]
        at = _userinfo_end(rest)
        if at >= 0:
            found.append(rest[:at].partition(":")[2])
        found += [value for _, value in _QUERY_PASSWORD.findall(rest)]
    secrets = {form for value in found for form in (value, unquote(value))}
    secrets |= {piece for secret in list(secrets) for piece in secret.split("@")}
    return {secret for secret in secrets if len(secret) >= _MIN_SECRET}


def mask_text(text: str, url: str | None = None) -> str:
    """A message fit to show: every URL in it masked, `password=` pairs masked, and `url`'s password nowhere.

    Give `url` when the text may echo pieces of it (a driver's error quoting the password it could not parse).
    """
    masked = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
    masked = _DSN_PASSWORD.sub(rf"\g<1>{MASK}", masked)
    for secret in sorted(_passwords(url), key=len, reverse=True) if url else ():
        masked = masked.replace(secret, MASK)
    return masked
