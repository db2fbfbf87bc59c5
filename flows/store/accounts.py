"""Master Admin accounts: passwords, bearer API tokens, browser sessions and the web's secret key."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from flows.store.base import Row, Store
from flows.store.jobs import now_utc
from flows.store.migrate import ensure_master_admin
from generators.errors import DemogenError, UsageError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MASTER_ADMIN = "master_admin"
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "dgt_"
TOKEN_ID_HEX_BYTES = 6  # 12 hex characters: short enough to type in `demogen admin revoke-token`
SECRET_KEY_ENV = "DEMOGEN_SECRET_KEY"
MIN_SECRET_KEY_LENGTH = 32
SECRET_KEY_META = "web_secret_key"
# A token's last use is recorded at most this often: every request need not write to the database.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_EMAIL_LENGTH = 320
_TOKEN_ID = re.compile(r"[0-9a-f]{12}")
_USER_COLUMNS = "u.id, u.email, u.name, u.role"


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: str

    @property
    def is_master_admin(self) -> bool:
        return self.role == MASTER_ADMIN


def _user(row: Row) -> User:
    return User(id=str(row["id"]), email=str(row["email"]), name=str(row["name"]), role=str(row["role"]))


def normalise_email(email: str) -> str:
    """The email as accounts store and look it up: stripped and lower-cased."""
    return email.strip().lower()


def _checked_email(email: str) -> str:
    normalised = normalise_email(email)
    if len(normalised) > _EMAIL_LENGTH or not _EMAIL.fullmatch(normalised):
        raise UsageError(f"'{email}' is not an email address")
    return normalised


def _user_row(store: Store, email: str) -> Row | None:
    """The user of a normalised email; users made before emails were normalised are found whatever their case."""
    rows = store.query(
        f"SELECT {_USER_COLUMNS}, u.password_hash FROM users AS u WHERE lower(u.email) = ? ORDER BY u.email",
        (email,),
    )
    exact = [row for row in rows if row["email"] == email]
    return next(iter(exact or rows), None)


def set_admin_password(store: Store, email: str, password: str) -> User:
    """Create the Master Admin of this email with this password, or reset its password."""
    email = _checked_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = _hasher().hash(password)  # before the transaction: hashing takes a moment on purpose
    with store.transaction():
        row = _user_row(store, email)
        if row is not None and row["role"] != MASTER_ADMIN:
            raise DemogenError(f"user {email} exists and is not a Master Admin")
        user_id = str(row["id"]) if row is not None else ensure_master_admin(store, email)
        store.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
    found = user_by_id(store, user_id)
    assert found is not None  # written in the transaction above
    return found


@functools.cache
def _hasher() -> PasswordHasher:
    """Argon2id with the library's defaults; its parameters are kept in each hash, so raising them later
    rehashes old passwords at their next sign-in.

    Made on first use: importing argon2 would cost every `demogen` command tens of ms, and only sign-ins and
    `demogen admin create` hash a password.
    """
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def authenticate(store: Store, email: str, password: str) -> User | None:
    """The user whose email and password these are, else None; the caller checks the role.

    An unknown email, or a user without a password, costs an Argon2 verification all the same:
    how long a sign-in takes does not tell which emails exist.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    row = _user_row(store, normalise_email(email))
    stored = row["password_hash"] if row is not None else None
    try:
        _hasher().verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or stored is None:
        return None
    if _hasher().check_needs_rehash(stored):
        store.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher().hash(password), row["id"]))
    return _user(row)


def user_by_id(store: Store, user_id: str) -> User | None:
    try:
        uuid.UUID(user_id)
    except ValueError:
        return None
    row = store.query_one(f"SELECT {_USER_COLUMNS} FROM users AS u WHERE u.id = ?", (user_id,))
    return None if row is None else _user(row)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_id(token: str) -> str | None:
    """The id inside a whole token `dgt_<id>_<secret>`, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    token_id, underscore, secret = token[len(TOKEN_PREFIX) :].partition("_")
    return token_id if underscore and secret and _TOKEN_ID.fullmatch(token_id) else None


def issue_token(store: Store, email: str) -> tuple[str, str]:
    """A new API token of the Master Admin: (its id, the token). Only its hash is kept: it is shown once."""
    email = _checked_email(email)
    row = _user_row(store, email)
    if row is None:
        raise DemogenError(f"no user {email}")
    if row["role"] != MASTER_ADMIN:
        raise DemogenError(f"user {email} is not a Master Admin")
    token_id = secrets.token_hex(TOKEN_ID_HEX_BYTES)
    token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    store.execute(
        "INSERT INTO api_tokens (id, user_id, token_hash, created_at) VALUES (?, ?, ?, ?)",
        (token_id, row["id"], _sha256(token), now_utc()),
    )
    return token_id, token


def revoke_token(store: Store, token_or_id: str) -> str:
    """Revoke an API token given whole or by its id; return its id. A revoked token stays revoked."""
    value = token_or_id.strip()
    token_id = _token_id(value) or value
    if not token_id:
        raise UsageError("no API token given: pass a token or its id")
    with store.transaction():
        if not store.scalar("SELECT count(*) AS n FROM api_tokens WHERE id = ?", (token_id,)):
            raise DemogenError(f"no API token {token_id}")
        store.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now_utc(), token_id))
    return token_id


def token_user(store: Store, token: str) -> User | None:
    """The user of a valid, unrevoked API token, else None; the caller checks the role."""
    token_id = _token_id(token.strip())
    if token_id is None:
        return None
    row = store.query_one(
        f"SELECT {_USER_COLUMNS}, t.token_hash, t.last_used_at FROM api_tokens AS t"
        " JOIN users AS u ON u.id = t.user_id WHERE t.id = ? AND t.revoked_at IS NULL",
        (token_id,),
    )
    if row is None or not hmac.compare_digest(row["token_hash"], _sha256(token.strip())):
        return None
    now = now_utc()
    if row["last_used_at"] is None or now - row["last_used_at"] >= LAST_USED_RESOLUTION:
        store.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (now, token_id))
    return _user(row)


def create_session(store: Store, user_id: str) -> str:
    """A new browser session of the user: its id goes in the cookie, only its hash in the database."""
    session_id = secrets.token_urlsafe(32)
    now = now_utc()
    store.execute(
        "INSERT INTO web_sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
        (_sha256(session_id), user_id, now, now),
    )
    return session_id


def session_user(store: Store, session_id: str, idle_seconds: float) -> User | None:
    """The user of a session seen within idle_seconds, which counts as seen now; else None (an idle one ends)."""
    id_hash = _sha256(session_id)
    now = now_utc()
    row = store.query_one(
        f"SELECT {_USER_COLUMNS}, s.last_seen_at < ? AS idle FROM web_sessions AS s"
        " JOIN users AS u ON u.id = s.user_id WHERE s.id_hash = ?",
        (now - timedelta(seconds=idle_seconds), id_hash),
    )
    if row is None:
        return None
    if row["idle"]:
        end_session(store, session_id)
        return None
    store.execute("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?", (now, id_hash))
    return _user(row)


def end_session(store: Store, session_id: str) -> None:
    store.execute("DELETE FROM web_sessions WHERE id_hash = ?", (_sha256(session_id),))


def secret_key(store: Store) -> bytes:
    """The key the web signs with: DEMOGEN_SECRET_KEY, else one made once and kept in the database."""
    configured = os.environ.get(SECRET_KEY_ENV)
    if configured:
        if len(configured) < MIN_SECRET_KEY_LENGTH:
            raise UsageError(f"{SECRET_KEY_ENV} must be at least {MIN_SECRET_KEY_LENGTH} characters")
        return configured.encode()
    kept = store.scalar("SELECT value FROM demogen_meta WHERE key = ?", (SECRET_KEY_META,))
    if kept is None:
        # Two processes starting at once make one key: the first insert wins and both read it back.
        store.execute(
            "INSERT INTO demogen_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (SECRET_KEY_META, secrets.token_bytes(32).hex()),
        )
        kept = store.scalar("SELECT value FROM demogen_meta WHERE key = ?", (SECRET_KEY_META,))
    return bytes.fromhex(str(kept))
