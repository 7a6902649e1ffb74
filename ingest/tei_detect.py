"""What the TEI does not say outright, read from its shape and its letters.

Which page marks cut pages (``<pb/>``, 84000's folio refs, page milestones), whether block
edges are line breaks or mere spaces, the text's main language when the header names none or
names it without its script, and the scripts the text is really written in. The tag -> script
rule and the letter counts come from ``library.langtags``.
"""
from __future__ import annotations

import re
from typing import Optional

from lxml import etree

from library.langtags import script_counts, script_of
from library.models import LangMap

from .tei_text import T

# The language a text is in when only its script is known.
_SCRIPT_DEFAULT_LANG = {"Mong": "mn-Mong", "Tibt": "bo", "Hani": "zh-Hant", "Cyrl": "mn-Cyrl"}


def choose_marks(root: etree._Element) -> str:
    texts = root.findall(f".//{T}text")
    def has(path: str) -> bool:
        return any(t.find(path) is not None for t in texts)
    if has(f".//{T}pb"):
        return "pb"
    if has(f".//{T}ref[@type='folio'][@cRef]"):
        return "folio"
    for t in texts:
        for m in t.iter(f"{T}milestone"):
            if m.get("unit") in ("page", "folio", "leaf", "pb"):
                return "milestone"
    return "none"


def block_newlines(root: etree._Element) -> bool:
    """Whether block edges are line breaks (prose) or mere spaces (``<lb/>`` carries the lines)."""
    lbs = blocks = 0
    for t in root.iter(f"{T}text"):
        for el in t.iter(f"{T}lb", f"{T}p", f"{T}ab", f"{T}head", f"{T}item", f"{T}l"):
            if el.tag == f"{T}lb":
                lbs += 1
            else:
                blocks += 1
    return lbs < blocks


def guess_main(languages: list[str], titles: LangMap, dominant: Optional[str],
               body_text: str) -> str:
    """The text's main language when no ``mainLang`` or ``xml:lang`` gives it: a declared
    language written in the text's dominant script, else that script's usual language."""
    if dominant:
        cands = [t for t in dict.fromkeys(list(titles) + languages)
                 if script_of(t) == dominant and "-x-" not in t]
        if len(cands) > 1 and body_text:
            # several languages share the script (an English translation with Sanskrit
            # titles in IAST): the one whose title words recur in the text is the text's
            words = set(re.findall(r"\w{3,}", body_text.casefold()))

            def score(tag: str) -> int:
                return sum(1 for w in re.findall(r"\w{3,}", titles.get(tag, "").casefold())
                           if w in words)
            cands.sort(key=score, reverse=True)
        if cands:
            # the more specific tag if the titles have one (zh-Hant over zh)
            better = [t for t in titles if t.startswith(cands[0] + "-")
                      and script_of(t) == dominant]
            return better[0] if better else cands[0]
        if dominant in _SCRIPT_DEFAULT_LANG:
            return _SCRIPT_DEFAULT_LANG[dominant]
    return languages[0] if languages else "und"


_MONGOLIC = {"mn", "xal", "bua", "mnc", "sjo", "mvf"}


def refine_main(main: str, titles: LangMap, dominant: Optional[str]) -> str:
    """Give the main tag its script when the text shows it (``mn`` written in Mong -> mn-Mong)."""
    if not main or main == "und" or "-" in main:
        return main
    better = [t for t in titles if t.startswith(main + "-") and "-x-" not in t
              and script_of(t) == dominant]
    if better:
        return better[0]
    if main in _MONGOLIC and dominant in ("Mong", "Cyrl"):
        return f"{main}-{dominant}"
    return main


def text_scripts(main: str, body_text: str) -> list[str]:
    """ISO 15924 scripts of the text: the main language's, then each one that is a real part of
    the letters (5 % or 200 letters), most used first."""
    main_script = script_of(main) if main else None
    scripts: list[str] = [main_script] if main_script else []
    counts = script_counts(body_text)
    total = sum(counts.values())
    for code, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        # a script counts when it is a real part of the text, not a stray word
        if code not in scripts and total and (n / total >= 0.05 or n >= 200):
            scripts.append(code)
    return scripts
