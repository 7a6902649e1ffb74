"""typography.css is the one home of the font chains: no other stylesheet of the site names a
font family (tests/test_fonts.py shows the chains draw every character with shipped fonts)."""
from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "viewer" / "static"
# keywords that name no font: the element keeps the chain typography.css gives its language
NO_FONT = {"inherit", "initial", "unset", "revert", "monospace"}


def _families(css: str) -> list[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return [f.strip() for f in re.findall(r"font-family:\s*([^;}]+)", css)]


def test_no_stylesheet_but_typography_names_a_font() -> None:
    sheets = [p for p in STATIC.glob("*.css") if p.name != "typography.css"]
    assert {"edition.css", "site.css", "kiosk.css", "vertical.css"} <= {p.name for p in sheets}
    for path in sheets:
        named = [f for f in _families(path.read_text(encoding="utf-8")) if f not in NO_FONT]
        assert not named, (path.name, named)


def test_the_antiqua_rendering_is_still_marked() -> None:
    css = (STATIC / "edition.css").read_text(encoding="utf-8")
    rule = re.search(r"\.rend-fontfamily-antiqua\s*\{([^}]*)\}", css)
    assert rule and "letter-spacing" in rule.group(1) and "font-family" not in rule.group(1)


def test_the_family_reader_sees_what_a_rule_names() -> None:
    assert _families("/* font-family: serif */ a { font-family: serif; } b { font-family: inherit }") \
        == ["serif", "inherit"]
