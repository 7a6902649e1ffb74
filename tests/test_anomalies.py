"""Tests for ingest.anomalies: the text checks of `sudur check`."""

from __future__ import annotations

import unicodedata

from ingest.anomalies import text_anomalies


def cps(s: str) -> str:
    return "".join(chr(int(h, 16)) for h in s.split())


def _codes(found: list[str]) -> set[str]:
    return {f.split(":", 1)[0] for f in found}


def test_text_anomalies():
    assert text_anomalies("ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ བཀའ 甘", "mn-Mong") == []
    assert _codes(text_anomalies(cps("E2F2 E289 E2BC"), "mn-Mong")) == {"menksoft-pua"}
    assert _codes(text_anomalies("abc\ue000")) == {"private-use"}
    # Hudum-only letter E (U+1821) inside a Todo text
    assert _codes(text_anomalies("ᡐᡄᡊᡎᡅ \u1821\u1837", "xal-Mong")) == {"todo-hudum-mix"}
    assert text_anomalies("ᡐᡄᡊᡎᡅ \u1820\u1837", "xal-Mong") == []   # shared letters only
    assert text_anomalies("\u1821\u1837", "mn-Mong") == []
    nfd = unicodedata.normalize("NFD", "é")
    assert _codes(text_anomalies(nfd)) == {"not-nfc"}
    assert _codes(text_anomalies("a\u0378b")) == {"unassigned"}
