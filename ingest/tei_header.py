"""The TEI header: titles, languages, responsibility, dates, rights and the rest of an ``Item``.

``Header.fill`` runs after the body is read, because an untagged title and a header that names
no main language are judged by the letters of the text (``tei_detect``). ``tag_diagnostics``
checks every language tag of the document against BCP 47 (``library.langtags``), since a tag
that is not one breaks the IIIF language maps built from it.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Optional

from lxml import etree

from library.langtags import dominant_script, normalize_tag, script_of, tag_problem
from library.models import Diagnostic, Item, LangMap, Responsibility

from .tei_detect import guess_main, refine_main, text_scripts
from .tei_text import T, XML_ID, XML_LANG, lang_of, local_name, text_of

_YEAR_RE = re.compile(r"^\s*(-?\d{1,4})(?!\d)")
# Attributes holding language tags besides xml:lang: (element, attribute, several tags).
_TAG_ATTRIBUTES = (("textLang", "mainLang", False), ("textLang", "otherLangs", True),
                   ("language", "ident", False))


def tag_diagnostics(root: etree._Element, name: str) -> list[Diagnostic]:
    """An error for each language tag of the document that is not BCP 47, with its line.

    The oddities ``normalize_tag`` mends (``bo-ltn``, ``eng``, ``_`` for ``-``) pass.
    """
    found: list[Diagnostic] = []

    def judge(value: str, what: str, line: Optional[int]) -> None:
        if not value.strip():
            return  # xml:lang="" says "no language", which XML allows
        why = tag_problem(normalize_tag(value))
        if why:
            found.append(Diagnostic("error", f"{what}={value!r} is not a BCP 47 language tag: "
                                             f"{why}", name, line, "bad-language-tag"))

    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get(XML_LANG) is not None:
            judge(el.get(XML_LANG, ""), "xml:lang", el.sourceline)
        local = local_name(el)
        for owner, attr, several in _TAG_ATTRIBUTES:
            value = el.get(attr)
            if local == owner and el.tag.startswith(T) and value is not None:
                for tag in (value.split() if several else [value]):
                    judge(tag, attr, el.sourceline)
    return found


def _year(value: Optional[str]) -> Optional[int]:
    if not value:
        return None
    m = _YEAR_RE.match(value)
    if not m:
        return None
    try:
        return int(m.group(1))
    except ValueError:
        return None


def _find(el: Optional[etree._Element], path: str) -> Optional[etree._Element]:
    return el.find(path.replace("t:", T)) if el is not None else None


def _findall(el: Optional[etree._Element], path: str) -> list[etree._Element]:
    return el.findall(path.replace("t:", T)) if el is not None else []


_CC_RE = re.compile(r"\bCC[ -]?(BY(?:[ -](?:NC|ND|SA))*)\b.*?(\d\.\d)", re.IGNORECASE | re.DOTALL)
_URI_RE = re.compile(r"https?://\S+")


def _rights(header: etree._Element) -> str:
    for lic in _findall(header, ".//t:availability//t:licence"):
        target = lic.get("target")
        if target:
            return target.strip()
    avail = _findall(header, ".//t:availability")
    text = " ".join(text_of(a) for a in avail).strip()
    if not text:
        return ""
    m = _URI_RE.search(text)
    if m:
        return m.group(0).rstrip(".,;)")
    m = _CC_RE.search(text)
    if m:
        kind = re.sub(r"[ -]+", "-", m.group(1).lower())
        return f"https://creativecommons.org/licenses/{kind}/{m.group(2)}/"
    return text[:500]


def _responsibility(header: etree._Element) -> list[Responsibility]:
    found: list[Responsibility] = []
    seen: set[tuple[str, str]] = set()

    def add(role: str, name: str) -> None:
        key = (role, name)
        if name and key not in seen:
            seen.add(key)
            found.append(Responsibility(role=role, name=name))

    scopes = (_findall(header, "t:fileDesc/t:titleStmt")
              + _findall(header, "t:fileDesc/t:sourceDesc//t:msItem")
              + _findall(header, "t:fileDesc/t:sourceDesc/t:bibl")
              + _findall(header, "t:fileDesc/t:sourceDesc/t:biblStruct/*"))
    for scope in scopes:
        for el in scope:
            name = local_name(el)
            if name in ("author", "editor"):
                add(el.get("role") or name, text_of(el))
            elif name == "respStmt":
                resp = text_of(_find(el, "t:resp")).rstrip(":").strip() or "contributor"
                for who in el:
                    if local_name(who) in ("name", "persName", "orgName"):
                        # <persName role="scribe"> says the role of that one person
                        add(who.get("role") or resp, text_of(who))
    return found


def _publisher(header: etree._Element) -> str:
    """Who published the electronic text: the publicationStmt's publisher, else its
    distributor or authority; a ``<name>`` inside says it without the prose around it (84000
    writes "<name>84000</name> is a global non-profit initiative ...")."""
    stmt = _find(header, "t:fileDesc/t:publicationStmt")
    for tag in ("publisher", "distributor", "authority"):
        for el in _findall(stmt, f"t:{tag}"):
            named = next((n for n in (_find(el, "t:name"), _find(el, "t:orgName"))
                          if n is not None), None)
            text = text_of(named) or text_of(el)
            if text:
                return text
    return ""


_ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})(?:[-/](\d{2})(?:[-/](\d{2}))?)?(?!\d)")


def _published(header: etree._Element) -> str:
    """The publicationStmt's date as ``YYYY[-MM[-DD]]`` (from ``@when``, else its text: CBETA
    writes "$Date: 2012/08/27 03:14:21 $"); empty when it names none."""
    for el in _findall(header, "t:fileDesc/t:publicationStmt/t:date"):
        m = _ISO_DATE_RE.search(el.get("when") or text_of(el))
        if m:
            return "-".join(x for x in m.groups() if x)
    return ""


class Header:
    """The ``teiHeader`` of one document, read into an ``Item`` once the body text is known."""

    def __init__(self, root: etree._Element, name: str, diags: list[Diagnostic]) -> None:
        self.root = root
        self.name = name
        self.diags = diags
        header = root.find(f"{T}teiHeader")
        self.header = header if header is not None else etree.Element(f"{T}teiHeader")

    def fill(self, item: Item, body_text: str) -> None:
        """Titles, languages, scripts, responsibility, dates, rights, ... of ``item``."""
        h = self.header
        languages: list[str] = []

        def add_lang(tag: Optional[str]) -> None:
            t = normalize_tag(tag or "")
            if t and t not in languages:
                languages.append(t)

        main = ""
        for tl in _findall(h, ".//t:textLang"):
            if tl.get("mainLang"):
                main = main or normalize_tag(tl.get("mainLang", ""))
                add_lang(tl.get("mainLang"))
            for other in (tl.get("otherLangs") or "").split():
                add_lang(other)
        for lang in _findall(h, "t:profileDesc/t:langUsage/t:language"):
            add_lang(lang.get("ident"))
        text_el = self.root.find(f".//{T}text")
        for el in (text_el, self.root):
            if not main and el is not None and el.get(XML_LANG):
                main = normalize_tag(el.get(XML_LANG, ""))
                add_lang(main)

        titles = self._titles()
        dominant = dominant_script(body_text) or dominant_script(" ".join(titles.values()))
        if not main:
            main = guess_main(languages, titles, dominant, body_text)
        main = refine_main(main, titles, dominant)
        if main and main != "und" and main not in languages:
            languages.insert(0, main)
        # a title without xml:lang speaks the text's language only if it is written in its script
        for text in self._untagged_titles():
            key = main if main and script_of(main) == dominant_script(text) else "und"
            titles.setdefault(key, text)
        if not titles:
            self.diags.append(Diagnostic("warning", "the TEI header gives no title", self.name,
                                         h.sourceline, "no-title"))
        item.titles = titles
        item.languages = languages
        item.writing_system = main if main != "und" else ""
        item.scripts = text_scripts(main, body_text)

        item.responsibility = _responsibility(h)
        ms = _find(h, ".//t:msDesc")
        ident = _find(ms, "t:msIdentifier")
        inst = [text_of(_find(ident, f"t:{n}")) for n in ("institution", "repository")]
        item.institution = ", ".join(x for x in inst if x)
        item.repository = text_of(_find(ident, "t:repository"))
        item.settlement = text_of(_find(ident, "t:settlement"))
        item.publisher = _publisher(h)
        item.published = _published(h)
        item.shelfmark = text_of(_find(ident, "t:idno"))
        date = (_find(ms, ".//t:origDate") if ms is not None else None)
        if date is None:
            date = _find(h, "t:profileDesc/t:creation/t:origDate")
        if date is None:
            date = _find(h, "t:profileDesc/t:creation/t:date")
        if date is not None:
            item.date_text = text_of(date)
            lo = (_year(date.get("notBefore")) or _year(date.get("from"))
                  or _year(date.get("when")))
            hi = (_year(date.get("notAfter")) or _year(date.get("to"))
                  or _year(date.get("when")))
            if lo is None and hi is None:
                plain = re.fullmatch(r"-?\d{1,4}", item.date_text)
                lo = hi = _year(item.date_text) if plain else None
            item.date_from, item.date_to = lo, hi
            if not item.date_text and (lo or hi):
                item.date_text = str(lo) if lo == hi else f"{lo or ''}–{hi or ''}"
        place = _find(ms, ".//t:origPlace") if ms is not None else None
        if place is None:
            place = _find(h, "t:profileDesc/t:creation/t:placeName")
        item.place = text_of(place)
        item.rights = _rights(h)
        item.idno = next((t for t in (text_of(e) for e in _findall(
            h, "t:fileDesc/t:publicationStmt/t:idno")) if t), "")
        if not item.idno:
            item.idno = self.root.get(XML_ID, "")
        extent = _find(h, "t:fileDesc/t:extent")
        if extent is None and ms is not None:
            extent = _find(ms, ".//t:extent")
        item.extent = text_of(extent)
        terms = [text_of(t) for t in _findall(h, "t:profileDesc/t:textClass/t:keywords//t:term")]
        terms += [text_of(t) for t in _findall(h, "t:profileDesc/t:textClass/t:classCode")]
        terms = [t for t in terms if t]
        if not terms and ms is not None:
            for el in [_find(ms, "t:msContents")] + _findall(ms, ".//t:msItem"):
                if el is not None and el.get("class"):
                    terms.append(el.get("class", "").split()[0].lstrip("#"))
                    break
        item.genre = terms[0] if terms else ""
        summary: LangMap = {}
        sources = (_findall(ms, "t:msContents/t:summary") + _findall(h, "t:profileDesc/t:abstract"))
        if not sources and text_el is not None:
            sources = text_el.findall(f"{T}front/{T}div[@type='summary']")
        for s in sources:
            txt = text_of(s)
            if s.tag == f"{T}div":
                head = text_of(s.find(f"{T}head"))
                if head and txt.startswith(head):
                    txt = txt[len(head):].strip()
            key = lang_of(s) or main or "und"
            if txt and key not in summary:
                summary[key] = txt
        item.summary = summary
        notes = [text_of(e) for e in _findall(h, "t:encodingDesc/*")]
        item.encoding_notes = "\n".join(n for n in notes if n)[:4000]
        self._direction(item)

    def _titles(self) -> LangMap:
        titles: LangMap = {}
        for t in _findall(self.header, "t:fileDesc/t:titleStmt/t:title"):
            text = text_of(t)
            lang = t.get(XML_LANG)
            if text and lang:
                titles.setdefault(normalize_tag(lang), text)
        return titles

    def _untagged_titles(self) -> Iterator[str]:
        for t in _findall(self.header, "t:fileDesc/t:titleStmt/t:title"):
            text = text_of(t)
            if text and not t.get(XML_LANG):
                yield text


    def _direction(self, item: Item) -> None:
        values = " ".join(filter(None, [
            el.get("rend", "") + " " + el.get("style", "")
            for el in [self.root] + self.root.findall(f"{T}facsimile")
            + self.root.findall(f"{T}text")]))
        for r in _findall(self.header, "t:encodingDesc/t:tagsDecl/t:rendition"):
            values += " " + (r.text or "")
        for d in ("left-to-right", "right-to-left", "top-to-bottom", "bottom-to-top"):
            if d in values:
                item.viewing_direction = d
                break
        for b in ("paged", "individuals", "continuous", "facing-pages"):
            if re.search(rf"(?<![\w-]){b}(?![\w-])", values):
                item.behavior.append(b)
