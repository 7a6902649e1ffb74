"""Where a hit's matches are and how it is shown: character spans of the matches in a page's
text, and the keyword-in-context snippet around the first.

Spans come from the index's positions when the matcher knows them (``position_spans``:
only the tokens up to the snippet are read again), else by re-keying the text
(``match_spans``); either way they point at the characters as written.
"""
from __future__ import annotations

import html
from itertools import islice

from . import analysis
from .terms import SLOT

SNIPPET_CONTEXT = 60  # characters either side of a match


def position_spans(text: str, starts: list[tuple[int, int]], *, first_only: bool = False
                   ) -> list[tuple[int, int]]:
    """Character spans of matches given as (first token, token count), tokenising ``text``
    only as far as needed (with ``first_only``, to past the snippet window of the first)."""
    if not starts:
        return []
    window = 2 * SNIPPET_CONTEXT + 32
    if first_only:
        # a token is at least one character long: matches starting more than ``window``
        # tokens after the first one's end lie beyond its snippet
        first0, n0 = starts[0]
        starts = [(f, n) for f, n in starts if f <= first0 + n0 + window]
    # the regex engine walks the text to the last token needed, without a Python step per token
    tokens = list(islice(analysis.TOKEN_RE.finditer(text), max(f + n for f, n in starts)))
    spans: list[tuple[int, int]] = []
    stop_at: int | None = None
    for first, n in starts:
        last = first + n - 1
        if last >= len(tokens):
            break
        start, end = tokens[first].start(), tokens[last].end()
        if stop_at is not None and start > stop_at:
            break
        spans.append((start, end))
        if first_only and stop_at is None:
            stop_at = end + window
    return _merge(sorted(spans))


def match_spans(text: str, sequences: list[tuple[str, tuple[frozenset, ...]]],
                writing_system: str = "", *, first_only: bool = False
                ) -> list[tuple[int, int]]:
    """Character spans of ``text`` where a query sequence matches the field's keys.

    The text is tokenised as at index time and each token's keys are those the index holds,
    so a match on a folded or transliterated key still points at the original characters. With
    ``first_only``, matching stops past the snippet window of the earliest match (enough for
    a snippet; page_matches wants every span).
    """
    seqs = [(SLOT[f], words) for f, words in sequences if f in SLOT and words]
    if not seqs:
        return []
    by_slot: dict[int, list[tuple[frozenset, ...]]] = {}
    for slot, words in seqs:
        by_slot.setdefault(slot, []).append(words)
    stream = analysis.token_spans(text, writing_system or "")
    role_keys = analysis.role_keys
    # tokens read so far: (start, end, kind, text, system); keys are computed per role only
    # when a query sequence needs them, and reading stops early for a snippet
    tokens: list[tuple] = []

    def token(i: int):
        while len(tokens) <= i:
            nxt = next(stream, None)
            if nxt is None:
                return None
            tokens.append(nxt)
        return tokens[i]

    def keys(i: int, slot: int) -> frozenset:
        t = token(i)
        return role_keys(slot, t[2], t[3], t[4]) if t is not None else frozenset()

    spans: list[tuple[int, int]] = []
    stop_at: int | None = None
    # One role at a time, the cheapest keys (exact) first: for a snippet, the other roles'
    # keys (pinyin, Wylie) are then computed only up to the end of the window.
    for slot in sorted(by_slot):
        words_list = by_slot[slot]
        p = 0
        while token(p) is not None:
            here_token = tokens[p]
            if stop_at is not None and here_token[0] > stop_at:
                break
            here = keys(p, slot)
            for words in words_list:
                if words[0].isdisjoint(here):
                    continue
                n = len(words)
                if all(not words[j].isdisjoint(keys(p + j, slot)) for j in range(1, n)):
                    end = tokens[p + n - 1][1]
                    spans.append((here_token[0], end))
                    if first_only and (stop_at is None
                                       or end + 2 * SNIPPET_CONTEXT + 32 < stop_at):
                        stop_at = end + 2 * SNIPPET_CONTEXT + 32
            p += 1
    return _merge(sorted(set(spans)))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def make_snippet(text: str, spans: list[tuple[int, int]],
                 context: int = SNIPPET_CONTEXT) -> tuple[str, dict]:
    """HTML keyword-in-context around the first span, marking every span inside the window."""
    if not spans:
        plain = _flat(text[: _word_edge(text, min(len(text), 2 * context), +1)])
        return html.escape(plain), {"before": "", "match": "", "after": plain}
    s0, e0 = spans[0]
    lo = max(0, s0 - context)
    hi = min(len(text), e0 + context)
    lo = _word_edge(text, lo, -1)
    hi = _word_edge(text, hi, +1)
    parts = []
    cursor = lo
    for s, e in spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        parts.append(html.escape(_flat(text[cursor:s])))
        parts.append("<mark>" + html.escape(_flat(text[s:e])) + "</mark>")
        cursor = e
    parts.append(html.escape(_flat(text[cursor:hi])))
    prefix = "… " if lo > 0 else ""
    suffix = " …" if hi < len(text) else ""
    kwic = {"before": _flat(text[lo:s0]), "match": _flat(text[s0:e0]),
            "after": _flat(text[e0:hi])}
    return prefix + "".join(parts) + suffix, kwic


def _flat(s: str) -> str:
    return " ".join(s.split("\n")).replace("\r", "")


# Where a Tibetan text may be cut besides a space: at a tsheg (U+0F0B, U+0F0C, U+0FD2) or a
# shad (U+0F0D-U+0F12, the gter-tsheg U+0F14), which end syllables. Never just before a
# combining sign (U+0F71-U+0FBC): a vowel sign or subjoined letter cut from its stack shows
# another syllable.
_SYLLABLE_BREAKS = frozenset("\u0f0b\u0f0c\u0f0d\u0f0e\u0f0f\u0f10\u0f11\u0f12\u0f14\u0fd2")


def _word_edge(text: str, i: int, direction: int) -> int:
    """Move ``i`` outwards to a word or syllable boundary (a space, or a tsheg or shad on
    either side), but not more than 15 characters; failing that, at least off the combining
    signs of a Tibetan stack."""
    breaks = _SYLLABLE_BREAKS
    for _ in range(15):
        if i <= 0 or i >= len(text):
            return i
        c = text[i]
        if c.isspace() or c in breaks or text[i - 1] in breaks:
            return i
        i += direction
    while 0 < i < len(text) and "\u0f71" <= text[i] <= "\u0fbc":
        i += direction
    return i
