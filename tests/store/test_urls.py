"""mask_url and mask_text: a database password never reaches a message, a log or a label."""

from __future__ import annotations

import pytest

from flows.store.urls import has_password, mask_text, mask_url


@pytest.mark.parametrize(
    "url, masked",
    [
        ("postgresql://user:pw@host/db", "postgresql://user:***@host/db"),
        ("postgresql://:pw@h/db", "postgresql://:***@h/db"),
        ("postgresql://user@h/db?password=pw", "postgresql://user@h/db?password=***"),
        ("postgresql://user@h/db?sslmode=disable&password=pw", "postgresql://user@h/db?sslmode=disable&password=***"),
        ("postgresql://user@h/db?password=pw&sslmode=disable", "postgresql://user@h/db?password=***&sslmode=disable"),
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:p@ss@h:5432/db?password=again", "postgresql://u:***@h:5432/db?password=***"),
        ("postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db"),
        ("postgresql://u:S3cr3t-PW%40x@127.0.0.1:5432/crm", "postgresql://u:***@127.0.0.1:5432/crm"),
        ("postgresql://u:p?w@h/db", "postgresql://u:***@h/db"),
        ("password=pw host=h", "password=*** host=h"),
        ("host=h port=5432 password='p w' dbname=crm", "host=h port=5432 password=*** dbname=crm"),
        ("host=h user=u password = pw", "host=h user=u password = ***"),
        ("mysql://root:pw@localhost/crm", "mysql://root:***@localhost/crm"),
    ],
)
def test_the_password_is_masked_whatever_its_form(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert has_password(url)


@pytest.mark.parametrize(
    "url",
    [
        "duckdb:///demogen.duckdb",
        "duckdb:////var/lib/demogen/crm.duckdb",
        "duckdb:////tmp/user:name@home/crm.duckdb",
        "demogen.duckdb",
        "postgresql://user@host:5432/db",
        "postgresql://host/db",
        "postgresql://host/db?application_name=demogen",
        "host=h dbname=crm user=u",
    ],
)
def test_a_url_without_password_is_left_alone(url: str) -> None:
    assert mask_url(url) == url
    assert not has_password(url)


def test_a_message_is_masked_wherever_it_names_a_url_or_a_password() -> None:
    assert (
        mask_text("cannot connect to postgresql://u:p@ss@127.0.0.1:9/crm: connection refused")
        == "cannot connect to postgresql://u:***@127.0.0.1:9/crm: connection refused"
    )
    assert mask_text('bad conninfo "password=pw host=h"') == 'bad conninfo "password=*** host=h"'
    assert mask_text("nothing secret here: duckdb:///a.duckdb") == "nothing secret here: duckdb:///a.duckdb"


def test_a_driver_error_quoting_pieces_of_the_password_is_masked_given_the_url() -> None:
    url = "postgresql://u:S3cr3t%zz@h/db"
    assert mask_text('invalid percent-encoded token: "S3cr3t%zz"', url) == 'invalid percent-encoded token: "***"'
    url = "postgresql://u:S3cr3t-PW@x.example@127.0.0.1/db"  # libpq reads the host as x.example@127.0.0.1
    assert mask_text("failed to resolve host 'x.example@127.0.0.1'", url) == "failed to resolve host '***@127.0.0.1'"
    url = "postgresql://u@h/db?password=Pl41n%21"
    assert mask_text("echo Pl41n%21 and Pl41n!", url) == "echo *** and ***"
