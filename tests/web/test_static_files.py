"""The pages' files: shipped with the package, vendored as documented, nothing loaded from another site."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import flows.web

WEB = Path(flows.web.__file__).resolve().parent
ROOT = WEB.parent.parent
VENDOR = WEB / "static" / "vendor"


def _page_files() -> list[Path]:
    return sorted(p for folder in ("templates", "static") for p in (WEB / folder).rglob("*") if p.is_file())


def test_every_template_and_static_file_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["flows.web"]
    shipped = {p for pattern in patterns for p in WEB.glob(pattern)}  # globbed as setuptools does
    left_out = [str(p.relative_to(WEB)) for p in _page_files() if p not in shipped and not p.name.startswith(".")]
    assert left_out == []


def test_vendored_files_are_the_ones_the_readme_lists() -> None:
    listed = dict(
        (name, digest)
        for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", (VENDOR / "README.md").read_text(), re.M)
    )
    present = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file() and p.name != "README.md"}
    assert set(listed) == present
    changed = [
        name for name, digest in listed.items() if hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() != digest
    ]
    assert changed == []


def test_pages_load_nothing_from_another_site() -> None:
    remote = re.compile(
        r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|\bfrom\s+["'](?:https?:)?//|@import\s+url\(["']?(?:https?:)?//"""
    )
    own = [p for p in _page_files() if p.suffix in {".html", ".js", ".css"} and VENDOR not in p.parents]
    assert own, "no page files found"
    assert [str(p.relative_to(WEB)) for p in own if remote.search(p.read_text(encoding="utf-8"))] == []
