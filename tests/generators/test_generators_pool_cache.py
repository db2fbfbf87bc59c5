"""Locale pools kept on disk: read back equal to the built ones, keyed, repaired, and Faker-free."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import polars as pl
import pytest

from generators import pool_cache
from generators.pools import Pools, build_pools, locale_pools

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(pool_cache.CACHE_DIR_ENV, str(tmp_path))
    locale_pools.cache_clear()
    yield tmp_path
    locale_pools.cache_clear()


def assert_same_pools(one: Pools, other: Pools) -> None:
    for field in fields(one):
        a, b = getattr(one, field.name), getattr(other, field.name)
        if isinstance(a, pl.DataFrame | pl.Series):
            assert type(a) is type(b), field.name
            assert a.equals(b), field.name
            if isinstance(a, pl.DataFrame):
                assert a.schema == b.schema, field.name
            else:
                assert (a.name, a.dtype) == (b.name, b.dtype), field.name
        else:
            assert a == b, field.name


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "ja_JP", "ru_RU"])
def test_stored_pools_read_back_equal_to_the_built_ones(cache, locale):
    built = locale_pools(locale)
    assert len(list(cache.glob("pools-*.json"))) == 1
    locale_pools.cache_clear()
    assert_same_pools(locale_pools(locale), built)
    assert_same_pools(built, build_pools(locale))


def test_a_new_process_with_stored_pools_does_not_import_faker(cache):
    script = (
        "import sys; from generators.pools import locale_pools; locale_pools('en_US'); print('faker' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), pool_cache.CACHE_DIR_ENV: str(cache)}

    def faker_imported() -> str:
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        return run.stdout.strip()

    assert faker_imported() == "True"  # the first process builds the pools and stores them
    assert faker_imported() == "False"


def test_a_damaged_file_is_built_again_and_replaced(cache):
    built = locale_pools("de_DE")
    (stored,) = cache.glob("pools-*.json")
    for damage in ("{not json", '{"language": "de"}', "[]"):
        stored.write_text(damage, encoding="utf-8")
        locale_pools.cache_clear()
        assert_same_pools(locale_pools("de_DE"), built)
        assert stored.read_text(encoding="utf-8") != damage


def test_each_locale_faker_release_and_source_has_its_own_file(cache, monkeypatch):
    keys = {pool_cache._key("en_US"), pool_cache._key("de_DE")}
    monkeypatch.setattr(pool_cache, "_faker_release", lambda: b'VERSION = "0.0.1"')
    keys.add(pool_cache._key("en_US"))
    monkeypatch.setattr(pool_cache, "_SOURCES", ("pools.py", "vocab.py"))
    keys.add(pool_cache._key("en_US"))
    assert len(keys) == 4


def test_an_empty_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv(pool_cache.CACHE_DIR_ENV, "")
    assert pool_cache.cache_dir() is None
    pool_cache.write("en_US", {"language": "en"})
    assert pool_cache.read("en_US") is None


def test_the_default_folder_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv(pool_cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert pool_cache.cache_dir() == tmp_path / "demogen"


def test_an_unwritable_folder_only_costs_the_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(pool_cache.CACHE_DIR_ENV, str(blocker / "cache"))
    locale_pools.cache_clear()
    try:
        assert locale_pools("en_US").language == "en"
    finally:
        locale_pools.cache_clear()
    assert pool_cache.read("en_US") is None


def test_an_unknown_locale_is_refused_and_stores_nothing(cache):
    with pytest.raises(ValueError) as error:
        locale_pools("xx_XX")
    assert str(error.value) == "unknown locale 'xx_XX'"
    assert list(cache.iterdir()) == []
