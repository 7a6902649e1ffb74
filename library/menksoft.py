"""Legacy Menksoft glyph code (Private Use Area U+E234-U+E34F) to Mongolian Unicode letters.

Menksoft fonts encode each written *glyph* (isolated, initial, medial, final and their variants)
as its own PUA code point, one contiguous range per letter (text/SCRIPTS.md section 2.6). Looking
the range up recovers the letter, which is what search needs. FVS choices are not re-derived and a
space before a suffix stays a space: for display-quality conversion use mongol-convert and keep
the original text.
"""

from __future__ import annotations

from bisect import bisect_right

MENKSOFT_FIRST = 0xE234
MENKSOFT_LAST = 0xE34F

# Punctuation, digits and spaces, code point by code point.
_SINGLE: dict[int, str] = {}
for _i in range(11):  # birga ... nirugu
    _SINGLE[0xE234 + _i] = chr(0x1800 + _i)
_SINGLE.update({
    0xE23F: "\U00011660",  # birga with ornament (Mongolian Supplement)
    0xE240: "\U00011661",  # rotated birga
    0xE241: "\U00011662",  # double birga with ornament
    0xE242: "\U00011663",  # triple birga with ornament
    0xE243: "\u00b7",
})
for _i in range(10):
    _SINGLE[0xE244 + _i] = chr(0x1810 + _i)
for _i, _ch in enumerate("⁈⁉!?;()〈〉〔〕《》『』，×※–—"):
    _SINGLE[0xE24E + _i] = _ch
# Menksoft's "non-breaking space" joined stems and suffixes: that is NNBSP's job in Unicode.
_SINGLE.update({0xE262: " ", 0xE263: "\u202f"})

# Glyph forms whose letters differ from their range's letter.
_SINGLE.update({
    0xE281: "\u1836\u1822",  # medial double tooth: YA + I
    0xE26A: "\u180e\u1820",  # final a after MVS
    0xE274: "\u180e\u1821",  # final e after MVS
})

# Letters: (first code point of the range, Unicode letter(s)); a range runs to the next start.
_LETTER_RANGES: tuple[tuple[int, str], ...] = (
    (0xE264, "\u1820"),  # a
    (0xE270, "\u1821"),  # e
    (0xE279, "\u1822"),  # i
    (0xE283, "\u1823"),  # o
    (0xE28B, "\u1824"),  # u
    (0xE293, "\u1825"),  # ö
    (0xE2A0, "\u1826"),  # ü
    (0xE2AD, "\u1827"),  # ē
    (0xE2B1, "\u1828"),  # n
    (0xE2BB, "\u1829"),  # ng
    (0xE2C1, "\u182a"),  # b
    (0xE2C8, "\u182b"),  # p
    (0xE2CE, "\u182c"),  # q/k
    (0xE2E1, "\u182d"),  # γ/g
    (0xE2F1, "\u182e"),  # m
    (0xE2F7, "\u182f"),  # l
    (0xE2FD, "\u1830"),  # s
    (0xE303, "\u1831"),  # š
    (0xE308, "\u1832"),  # t
    (0xE30E, "\u1833"),  # d
    (0xE315, "\u1834"),  # č
    (0xE318, "\u1835"),  # ǰ
    (0xE31E, "\u1836"),  # y
    (0xE322, "\u1837"),  # r
    (0xE329, "\u1838"),  # w
    (0xE32D, "\u1839"),  # f
    (0xE333, "\u183a"),  # k
    (0xE339, "\u183b"),  # kh
    (0xE33F, "\u183c"),  # ts
    (0xE342, "\u183d"),  # z
    (0xE345, "\u183e"),  # h
    (0xE348, "\u183f"),  # zr
    (0xE34B, "\u1840"),  # lh
    (0xE34E, "\u1841"),  # zhi
    (0xE34F, "\u1842"),  # chi
)
_STARTS = [start for start, _ in _LETTER_RANGES]


def menksoft_char(cp: int) -> str | None:
    """The Unicode text for one Menksoft code point, or None outside the Menksoft range."""
    if not MENKSOFT_FIRST <= cp <= MENKSOFT_LAST:
        return None
    single = _SINGLE.get(cp)
    if single is not None:
        return single
    i = bisect_right(_STARTS, cp) - 1
    if i < 0:
        return ""  # unassigned slot below the letters: drop it rather than keep a PUA char
    return _LETTER_RANGES[i][1]


def has_menksoft(text: str) -> bool:
    """True when ``text`` holds any Menksoft PUA code point (U+E234-U+E34F)."""
    return any("\ue234" <= ch <= "\ue34f" for ch in text)


def count_menksoft(text: str) -> int:
    """How many Menksoft PUA code points ``text`` holds."""
    return sum(1 for ch in text if "\ue234" <= ch <= "\ue34f")


def convert_menksoft(text: str) -> str:
    """Replace every Menksoft PUA code point by its Unicode letter(s); other text is unchanged."""
    if not has_menksoft(text):
        return text
    out = []
    for ch in text:
        if "\ue234" <= ch <= "\ue34f":
            out.append(menksoft_char(ord(ch)) or "")
        else:
            out.append(ch)
    return "".join(out)
