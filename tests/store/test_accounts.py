"""Master Admin accounts: Argon2id passwords, hashed API tokens, idle-expiring sessions, the web's secret key."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from flows.store import Store, connect
from flows.store.accounts import (
    User,
    authenticate,
    create_session,
    end_session,
    issue_token,
    revoke_token,
    secret_key,
    session_user,
    set_admin_password,
    token_user,
    user_by_id,
)
from flows.store.jobs import now_utc
from flows.store.migrate import NAMESPACE, ensure_master_admin
from generators.errors import DemogenError, UsageError

EMAIL = "ops@example.com"
PASSWORD = "correct horse battery"
ADMIN = User(id=str(uuid.uuid5(NAMESPACE, f"user:{EMAIL}")), email=EMAIL, name="ops", role="master_admin")


def _password_hash(store: Store, email: str = EMAIL) -> str | None:
    value = store.scalar("SELECT password_hash FROM users WHERE email = ?", (email,))
    return None if value is None else str(value)


def _insert_crm_user(store: Store, email: str, role: str = "sales_rep") -> None:
    store.execute(
        "INSERT INTO users (id, tenant_id, email, name, role) VALUES (?, NULL, ?, 'Rep', ?)",
        (str(uuid.uuid4()), email, role),
    )


def test_a_new_master_admin_is_created_with_an_argon2id_hash(store: Store) -> None:
    user = set_admin_password(store, "  Ops@Example.COM ", PASSWORD)
    assert user == ADMIN and user.is_master_admin
    assert store.scalar("SELECT tenant_id FROM users WHERE id = ?", (user.id,)) is None
    stored = _password_hash(store)
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


def test_authenticate_takes_the_right_password_only(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    assert authenticate(store, EMAIL, PASSWORD) == ADMIN
    assert authenticate(store, " OPS@example.com", PASSWORD) == ADMIN
    assert authenticate(store, EMAIL, PASSWORD + "!") is None
    assert authenticate(store, EMAIL, "") is None
    assert authenticate(store, "nobody@example.com", PASSWORD) is None
    assert authenticate(store, "not an email", PASSWORD) is None


def test_a_user_without_a_password_cannot_sign_in(store: Store) -> None:
    # the default Master Admin exists from initialisation, with no password
    assert _password_hash(store, "admin@demogen.local") is None
    assert authenticate(store, "admin@demogen.local", "") is None
    assert authenticate(store, "admin@demogen.local", PASSWORD) is None


def test_resetting_the_password_replaces_the_old_one(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    first = _password_hash(store)
    assert set_admin_password(store, EMAIL, "another long passphrase") == ADMIN
    assert _password_hash(store) != first
    assert authenticate(store, EMAIL, PASSWORD) is None
    assert authenticate(store, EMAIL, "another long passphrase") == ADMIN
    assert store.scalar("SELECT count(*) AS n FROM users WHERE email = ?", (EMAIL,)) == 1


def test_the_default_master_admin_gets_a_password_in_place(store: Store) -> None:
    before = store.query_one("SELECT id, name FROM users WHERE email = 'admin@demogen.local'")
    assert before is not None
    user = set_admin_password(store, "admin@demogen.local", PASSWORD)
    assert (user.id, user.name, user.role) == (before["id"], before["name"], "master_admin")


def test_an_outdated_hash_is_replaced_at_sign_in(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    store.execute("UPDATE users SET password_hash = ? WHERE email = ?", (weak, EMAIL))
    assert authenticate(store, EMAIL, PASSWORD) == ADMIN
    renewed = _password_hash(store)
    assert renewed is not None and renewed != weak and not PasswordHasher().check_needs_rehash(renewed)


def test_a_user_of_another_role_is_not_made_a_master_admin(store: Store) -> None:
    _insert_crm_user(store, "rep@example.com")
    with pytest.raises(DemogenError) as refused:
        set_admin_password(store, "Rep@example.com", PASSWORD)
    assert str(refused.value) == "user rep@example.com exists and is not a Master Admin"
    assert _password_hash(store, "rep@example.com") is None


def test_a_short_password_or_a_bad_email_is_refused(store: Store) -> None:
    with pytest.raises(UsageError) as short:
        set_admin_password(store, EMAIL, "x" * 11)
    assert str(short.value) == "password too short: at least 12 characters"
    with pytest.raises(UsageError) as bad:
        set_admin_password(store, "ops.example.com", PASSWORD)
    assert str(bad.value) == "'ops.example.com' is not an email address"
    assert store.scalar("SELECT count(*) AS n FROM users WHERE email IN (?, ?)", (EMAIL, "ops.example.com")) == 0


def test_user_by_id(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    assert user_by_id(store, ADMIN.id) == ADMIN
    assert user_by_id(store, str(uuid.uuid4())) is None
    assert user_by_id(store, "not-a-uuid") is None


def test_a_token_resolves_to_its_user_until_revoked(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    token_id, token = issue_token(store, EMAIL)
    assert len(token_id) == 12 and int(token_id, 16) >= 0
    assert token.startswith(f"dgt_{token_id}_") and len(token) > len(f"dgt_{token_id}_") + 40
    row = store.query_one("SELECT user_id, token_hash, last_used_at FROM api_tokens WHERE id = ?", (token_id,))
    assert row == {"user_id": ADMIN.id, "token_hash": hashlib.sha256(token.encode()).hexdigest(), "last_used_at": None}
    assert token_user(store, token) == ADMIN
    assert store.scalar("SELECT last_used_at FROM api_tokens WHERE id = ?", (token_id,)) is not None
    assert revoke_token(store, token) == token_id
    assert token_user(store, token) is None
    assert revoke_token(store, token_id) == token_id  # twice is fine


def test_a_tokens_last_use_is_recorded_at_most_once_a_minute(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    token_id, token = issue_token(store, EMAIL)
    assert token_user(store, token) == ADMIN
    first_use = store.scalar("SELECT last_used_at FROM api_tokens WHERE id = ?", (token_id,))
    assert token_user(store, token) == ADMIN
    assert store.scalar("SELECT last_used_at FROM api_tokens WHERE id = ?", (token_id,)) == first_use
    long_ago = now_utc() - timedelta(minutes=5)
    store.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (long_ago, token_id))
    assert token_user(store, token) == ADMIN
    last_used = store.scalar("SELECT last_used_at FROM api_tokens WHERE id = ?", (token_id,))
    assert last_used > long_ago + timedelta(minutes=4)


def test_a_token_is_revoked_by_its_id_and_other_tokens_keep_working(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    first_id, first = issue_token(store, EMAIL)
    second_id, second = issue_token(store, EMAIL)
    assert first_id != second_id and first != second
    assert revoke_token(store, f" {first_id} ") == first_id
    assert token_user(store, first) is None
    assert token_user(store, second) == ADMIN


def test_a_forged_or_malformed_token_resolves_to_nobody(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    token_id, token = issue_token(store, EMAIL)
    assert token_user(store, f"dgt_{token_id}_{'A' * 43}") is None
    assert token_user(store, token[:-1]) is None
    assert token_user(store, token_id) is None
    assert token_user(store, "") is None
    assert token_user(store, "dgt_zzzzzzzzzzzz_secret") is None


def test_tokens_only_for_known_master_admins_and_unknown_ones_are_named(store: Store) -> None:
    _insert_crm_user(store, "rep@example.com")
    with pytest.raises(DemogenError) as rep:
        issue_token(store, "rep@example.com")
    assert str(rep.value) == "user rep@example.com is not a Master Admin"
    with pytest.raises(DemogenError) as unknown:
        issue_token(store, "nobody@example.com")
    assert str(unknown.value) == "no user nobody@example.com"
    with pytest.raises(DemogenError) as missing:
        revoke_token(store, "0123456789ab")
    assert str(missing.value) == "no API token 0123456789ab"
    with pytest.raises(DemogenError) as missing_whole:
        revoke_token(store, "dgt_0123456789ab_not-the-secret")
    assert str(missing_whole.value) == "no API token 0123456789ab"
    with pytest.raises(UsageError) as empty:
        revoke_token(store, " ")
    assert str(empty.value) == "no API token given: pass a token or its id"


def test_a_session_keeps_only_a_hash_and_lasts_while_used(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    session_id = create_session(store, ADMIN.id)
    assert store.query("SELECT id_hash, user_id FROM web_sessions") == [
        {"id_hash": hashlib.sha256(session_id.encode()).hexdigest(), "user_id": ADMIN.id}
    ]
    long_ago = now_utc() - timedelta(minutes=10)
    store.execute("UPDATE web_sessions SET last_seen_at = ?", (long_ago,))
    assert session_user(store, session_id, idle_seconds=3600) == ADMIN
    assert store.scalar("SELECT last_seen_at FROM web_sessions") > long_ago  # seen now
    assert session_user(store, "another id", idle_seconds=3600) is None
    end_session(store, session_id)
    assert session_user(store, session_id, idle_seconds=3600) is None
    assert store.scalar("SELECT count(*) AS n FROM web_sessions") == 0


def test_an_idle_session_ends(store: Store) -> None:
    set_admin_password(store, EMAIL, PASSWORD)
    idle, active = create_session(store, ADMIN.id), create_session(store, ADMIN.id)
    store.execute(
        "UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?",
        (now_utc() - timedelta(minutes=31), hashlib.sha256(idle.encode()).hexdigest()),
    )
    assert session_user(store, idle, idle_seconds=1800) is None
    assert session_user(store, active, idle_seconds=1800) == ADMIN
    assert store.scalar("SELECT count(*) AS n FROM web_sessions") == 1  # the idle one was deleted


def test_the_secret_key_is_kept_across_connections(
    store: Store, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEMOGEN_SECRET_KEY", raising=False)
    key = secret_key(store)
    assert len(key) == 32
    assert store.scalar("SELECT value FROM demogen_meta WHERE key = 'web_secret_key'") == key.hex()
    store.close()
    again = connect(database_url)
    try:
        assert secret_key(again) == key
    finally:
        again.close()


def test_the_secret_key_from_the_environment(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMOGEN_SECRET_KEY", "k" * 32)
    assert secret_key(store) == b"k" * 32
    monkeypatch.setenv("DEMOGEN_SECRET_KEY", "short-but-secret")
    with pytest.raises(UsageError) as short:
        secret_key(store)
    assert str(short.value) == "DEMOGEN_SECRET_KEY must be at least 32 characters"
    assert store.scalar("SELECT count(*) AS n FROM demogen_meta WHERE key = 'web_secret_key'") == 0


def test_a_master_admin_made_before_emails_were_normalised_is_found_whatever_the_case(store: Store) -> None:
    ensure_master_admin(store, "Boss@Example.com")
    user = set_admin_password(store, "boss@example.com", PASSWORD)
    assert user.email == "Boss@Example.com"
    assert authenticate(store, "BOSS@example.com", PASSWORD) == user
    assert store.scalar("SELECT count(*) AS n FROM users WHERE lower(email) = 'boss@example.com'") == 1
