"""The npm assets (package.json, package-lock.json, mk/assets.mk -> viewer/static/vendor/)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "viewer" / "static" / "vendor"


def test_npm_dependencies_are_pinned_and_locked() -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    deps = package["dependencies"]
    assert {"openseadragon", "mirador", "@fontsource/noto-sans", "@fontsource/noto-sans-mongolian",
            "@fontsource/noto-serif-tibetan", "@fontsource/noto-serif-tc", "@fontsource/noto-sans-sc",
            "@expo-google-fonts/noto-sans"} <= set(deps)
    for name, version in deps.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert lock["packages"][""]["dependencies"] == deps


def test_assets_fragment_is_idempotent_by_stamp() -> None:
    text = (ROOT / "mk" / "assets.mk").read_text(encoding="utf-8")
    assert re.search(r"^assets: \$\(ASSETS_STAMP\)$", text, re.M)
    assert "npm ci" in text or "$(NPM) ci" in text
    assert "@touch $@" in text


@pytest.fixture()
def vendor() -> Path:
    if not (VENDOR / ".assets-stamp").is_file():
        pytest.skip(f"assets not built in {VENDOR}: run `make assets`")
    return VENDOR


def test_vendor_has_viewers_and_local_fonts(vendor: Path) -> None:
    assert (vendor / "openseadragon" / "openseadragon.min.js").stat().st_size > 100_000
    assert (vendor / "openseadragon" / "images" / "zoomin_rest.png").is_file()
    assert (vendor / "mirador" / "mirador.min.js").stat().st_size > 1_000_000
    css = (vendor / "fonts" / "fonts.css").read_text(encoding="utf-8")
    urls = re.findall(r"url\(([^)]+)\)", css)
    assert len(urls) >= 3
    for url in urls:
        # served from this site only: exhibition halls are often offline
        assert "//" not in url and not url.startswith("/")
        assert (vendor / "fonts" / url.strip("'\"")).is_file(), url
    families = set(re.findall(r"font-family: '([^']+)'", css))
    assert {"Noto Sans", "Noto Sans Full", "Noto Sans Mongolian", "Noto Serif Tibetan",
            "Noto Serif TC", "Noto Sans SC"} <= families


def test_vendor_stays_small(vendor: Path) -> None:
    total = sum(p.stat().st_size for p in vendor.rglob("*") if p.is_file())
    assert total < 16 * 1024 * 1024, f"vendor is {total / 1e6:.1f} MB"
    # only the regular weight, in WOFF2 (the complete Noto Sans is TrueType, as npm ships it)
    fonts = [p.name for p in (vendor / "fonts").iterdir() if p.name != "fonts.css"]
    assert all(n.endswith("-400-normal.woff2") for n in fonts if n != "noto-sans-full-400-normal.ttf")


def test_assets_build_is_idempotent(vendor: Path) -> None:
    """A second `make assets` with nothing changed copies nothing (the stamp is newer)."""
    import shutil
    import subprocess

    make = shutil.which("make")
    assert make, "make is needed to build the assets"
    run = subprocess.run([make, "-q", "-f", "mk/assets.mk", "assets"], cwd=ROOT)
    assert run.returncode == 0, "make assets would run again with nothing changed (run it)"
