"""Text anomalies of a transcription that break search, for ``sudur check``.

Each finding is one ``"code: message"`` string (``ingest.checks.check_text`` places it at the
TEI line where it first occurs). Relies on ``library.scripts`` for the Mongolian letters and
the Menksoft range, and on ``library.langtags`` for what a writing-system tag announces.
"""
from __future__ import annotations

import re
import unicodedata

from library.langtags import TODO
from library.langtags import writing_system as tag_writing_system
from library.scripts import HUDUM_LETTERS, MENKSOFT_FIRST, MENKSOFT_LAST, count_menksoft

# Letters Todo shares with Hudum (it reads U+1834 as z and U+1838 as f).
_TODO_SHARED = frozenset("\u1820\u1828\u182f\u1830\u1831\u1837\u1840\u1834\u1838")
_MONG_WORD = re.compile("[\u1820-\u1878\u1880-\u18aa\u180a-\u180f\u200c\u200d\u1806]+")


def _examples(items: list[str], limit: int = 3) -> str:
    return ", ".join(items[:limit]) + (", ..." if len(items) > limit else "")


def text_anomalies(text: str, writing_system: str | None = None) -> list[str]:
    """Problems in a transcription that break search, each "code: message".

    Codes: ``menksoft-pua`` (legacy Menksoft glyph codes, convert them), ``private-use`` (other
    PUA characters), ``todo-hudum-mix`` (Hudum-only letters inside a Todo text, a keyboard
    artefact), ``not-nfc`` (text is not in Unicode NFC) and ``unassigned`` (code points with no
    character in this Python's Unicode version).
    """
    out: list[str] = []
    n_menk = count_menksoft(text)
    if n_menk:
        out.append(f"menksoft-pua: {n_menk} legacy Menksoft glyph code(s) "
                   f"(U+{MENKSOFT_FIRST:04X}-U+{MENKSOFT_LAST:04X}); convert them to Unicode")
    other_pua = sorted({f"U+{ord(c):04X}" for c in text
                        if unicodedata.category(c) == "Co"
                        and not MENKSOFT_FIRST <= ord(c) <= MENKSOFT_LAST})
    if other_pua:
        out.append(f"private-use: {len(other_pua)} private-use character(s) of unknown "
                   f"encoding: {_examples(other_pua)}")
    if tag_writing_system(writing_system) == TODO:
        mixed = []
        for m in _MONG_WORD.finditer(text):
            w = m.group(0)
            bad = sorted({f"U+{ord(c):04X}" for c in w
                          if c in HUDUM_LETTERS and c not in _TODO_SHARED})
            if bad:
                mixed.append(f"{w} ({' '.join(bad)})")
        if mixed:
            out.append(f"todo-hudum-mix: {len(mixed)} word(s) of this Todo text use Hudum-only "
                       f"letters: {_examples(mixed)}")
    if not unicodedata.is_normalized("NFC", text):
        out.append("not-nfc: text is not in Unicode NFC; store it NFC-normalised (never NFKC)")
    unassigned = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cn"})
    if unassigned:
        out.append(f"unassigned: {len(unassigned)} unassigned code point(s) "
                   f"(Unicode {unicodedata.unidata_version}): {_examples(unassigned)}")
    return out
