"""Locale pools kept on disk between processes, so a new process does not import and run Faker.

Building a locale's pools imports Faker and samples it (about 0.3 s); reading them back from
a JSON file takes milliseconds. A file is found by a key over everything the pools depend
on: the locale, Faker's release (the bytes of its __init__.py, which carry its version),
Python's version and Unicode database (names are folded to ASCII with unicodedata), and the
source of the modules that build them. Any change to those makes a new key, so a stale file
is never read; a file that cannot be read or parsed counts as absent and is written again.

The folder is DEMOGEN_CACHE_DIR, else $XDG_CACHE_HOME/demogen, else ~/.cache/demogen.
DEMOGEN_CACHE_DIR set to an empty value turns the cache off. Failing to write is not an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

CACHE_DIR_ENV = "DEMOGEN_CACHE_DIR"
FORMAT = 1  # bump when the file layout changes
# The modules whose code decides what the pools hold.
_SOURCES = ("pools.py", "vocab.py", "text.py")


def cache_dir() -> Path | None:
    """Where pool files live, or None when the cache is off."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "demogen"


def _faker_release() -> bytes:
    spec = importlib.util.find_spec("faker")
    if spec is None or spec.origin is None:
        raise OSError("Faker is not installed")
    return Path(spec.origin).read_bytes()


def _key(locale: str) -> str:
    digest = hashlib.sha256()
    here = Path(__file__).parent
    parts = [
        f"format {FORMAT}".encode(),
        locale.encode(),
        _faker_release(),
        f"{sys.implementation.name} {sys.version_info.major}.{sys.version_info.minor}".encode(),
        unicodedata.unidata_version.encode(),
        *((here / name).read_bytes() for name in _SOURCES),
    ]
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()[:32]


def _path(locale: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return folder / f"pools-{_key(locale)}.json"
    except OSError:  # a source or Faker's own file cannot be read: no key, no cache
        return None


def read(locale: str) -> dict[str, Any] | None:
    """The payload stored for `locale`, or None when there is none (or it cannot be read)."""
    path = _path(locale)
    if path is None:
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def write(locale: str, payload: dict[str, Any]) -> None:
    """Store `payload` for `locale`; whole or not at all, silently skipped when it cannot be."""
    path = _path(locale)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out, ensure_ascii=False)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
