"""A ``library.citation.Citation`` written out: the suggested citation as text, RIS, BibTeX
(UTF-8, LaTeX specials escaped, names and titles braced), CSL-JSON and Highwire ``citation_*``
meta tags (what Zotero and Google Scholar read from a page).

Each format has one function here; the viewer serves them (viewer/citations.py) with the
media types and file names of ``FORMATS``.
"""
from __future__ import annotations

import re
from typing import Optional

from library.citation import Citation, Person, date_parts, locator

# format -> (file extension, media type)
FORMATS = {
    "ris": ("ris", "application/x-research-info-systems"),
    "bib": ("bib", "application/x-bibtex"),
    "json": ("json", "application/vnd.citationstyles.csl+json"),
    "txt": ("txt", "text/plain"),  # the suggested citation
}

_SPACE_RE = re.compile(r"\s+")


def _one_line(value: str) -> str:
    return _SPACE_RE.sub(" ", value).strip()


# --- the suggested citation ------------------------------------------------------------------

def _named(p: Person) -> str:
    """A person as the citation names them: the name alone for a plain author, else with the
    role ("Eelyan Ovla, bard")."""
    return p.name if p.role.lower() == "author" else f"{p.name}, {p.role_words}"


def text(c: Citation) -> str:
    """The suggested citation: persons; title [English]; kind and date; holding institution
    and shelfmark; publisher; page; address and access date."""
    parts = []
    names = "; ".join(_named(p) for p in c.cited_people)
    if names:
        parts.append(names)
    parts.append(c.full_title)
    if c.volume:  # a volume is cited in its work: "In Kangyur, vol. ka"
        parts.append(", ".join(x for x in (f"In {c.work_title}" if c.work_title else "",
                                           c.volume_locator) if x))
    what = ", ".join(x for x in ("Manuscript" if c.manuscript else "", c.date_text) if x)
    if what:
        parts.append(what)
    if c.holding:
        parts.append(c.holding)
    if c.publisher:
        parts.append(f"Published by {c.publisher}" + (f", {c.published[:4]}" if c.published
                                                     else ""))
    if c.page_label:
        parts.append(locator(c.page_label))
    body = ". ".join(_one_line(p).rstrip(".") for p in parts if _one_line(p))
    return f"{body}. {c.url} (accessed {c.accessed.isoformat()})."


# --- RIS -------------------------------------------------------------------------------------

_RIS_NAME_TAGS = {"author": "AU", "editor": "A2", "translator": "A4"}  # the others: A3


def ris(c: Citation) -> str:
    """The RIS record (tags of two letters, ``TAG  - value`` lines ending CRLF, ``ER`` last)."""
    rows: list[tuple[str, str]] = [("TY", "MANSCPT" if c.manuscript else "GEN"),
                                   ("TI", c.title)]
    if c.title_en:
        rows.append(("TT", c.title_en))
    rows += [(_RIS_NAME_TAGS.get(p.kind, "A3"), p.name) for p in c.people]
    if c.year is not None:
        rows.append(("PY", f"{c.year:04d}" if c.year >= 0 else str(c.year)))
    if c.date_text:
        rows.append(("DA", c.date_text))
    rows += [(tag, value) for tag, value in (
        ("PB", c.publisher), ("CY", c.place), ("AV", c.holding), ("CN", c.shelfmark),
        ("LA", c.language), ("M3", "Manuscript" if c.manuscript else ""), ("KW", c.genre),
        ("T2", c.work_title), ("VL", c.volume),
        ("SP", c.page_label), ("AB", c.summary), ("UR", c.url),
        ("Y2", c.accessed.strftime("%Y/%m/%d")), ("N1", f"IIIF manifest: {c.manifest_url}"),
    ) if value]
    rows.append(("ER", ""))
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in rows)


# --- BibTeX ----------------------------------------------------------------------------------

_TEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&",
                 "$": r"\$", "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}",
                 "~": r"\textasciitilde{}"}
_TEX_RE = re.compile(r"[\\{}%&$#_^~]")


def tex(value: str) -> str:
    """``value`` with LaTeX's special characters escaped; any other character (Mongolian,
    Tibetan, Chinese, IAST) is kept as UTF-8, for biber and UTF-8 LaTeX."""
    return _TEX_RE.sub(lambda m: _TEX_SPECIALS[m.group(0)], _one_line(value))


def _names(people: list[Person]) -> str:
    # each name braced: BibTeX must not split "Zhang Yeshé Dé" into given and family names,
    # nor read an "and" inside a group's name as a separator
    return " and ".join("{" + tex(p.name) + "}" for p in people)


def bibtex(c: Citation) -> str:
    """A biblatex ``@misc`` entry in UTF-8 (``title`` double-braced, so no style recases it)."""
    others = c.persons("scribe", "encoder", "contributor")
    notes = [f"{p.role_words}: {p.name}" for p in others]
    date = ""
    if c.date_from is not None:
        date = str(c.date_from) if c.date_to in (None, c.date_from) else \
            f"{c.date_from}/{c.date_to}"
    elif date_parts(c.published):
        date = c.published
    if c.date_text and c.date_text != date:
        # a date as written ("乾隆三十六年五月初十日", "18th century") is no biblatex date
        notes.insert(0, f"dated {c.date_text}")
    note = "; ".join(notes)
    fields: list[tuple[str, str]] = [
        ("author", _names(c.persons("author"))),
        ("editor", _names(c.persons("editor"))),
        ("translator", _names(c.persons("translator"))),
        ("title", "{" + tex(c.title) + "}"),
        ("titleaddon", "{" + tex(c.title_en) + "}" if c.title_en else ""),
        ("howpublished", "Manuscript" if c.manuscript else ""),
        ("date", date),
        ("publisher", tex(c.publisher)), ("location", tex(c.place)),
        ("library", tex(c.holding)), ("language", tex(c.language)),
        ("maintitle", "{" + tex(c.work_title) + "}" if c.work_title else ""),
        ("volume", tex(c.volume)),
        ("pages", tex(c.page_label)), ("note", tex(note)),
        ("url", c.url), ("urldate", c.accessed.isoformat()),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{c.key},\n{body}\n}}\n"


# --- CSL-JSON --------------------------------------------------------------------------------

_CSL_NAMES = {"author": "author", "editor": "editor", "translator": "translator"}


def _issued(c: Citation) -> Optional[dict]:
    if c.date_from is not None:
        parts = [[c.date_from]] + ([[c.date_to]] if c.date_to not in (None, c.date_from) else [])
        return {"date-parts": parts}
    if c.date_text:
        return {"literal": c.date_text}
    if date_parts(c.published):
        return {"date-parts": [date_parts(c.published)]}
    return None


def csl_json(c: Citation) -> list[dict]:
    """The CSL-JSON of the citation: a list of one item, as citeproc and Zotero read it."""
    out: dict = {"id": c.key, "type": "manuscript" if c.manuscript else "document",
                 "title": c.full_title}
    for p in c.people:
        out.setdefault(_CSL_NAMES.get(p.kind, "contributor"), []).append({"literal": p.name})
    issued = _issued(c)
    if issued:
        out["issued"] = issued
    for key, value in (("publisher", c.publisher), ("publisher-place", c.place),
                       ("archive", c.institution), ("archive-place", c.settlement),
                       ("archive_location", c.shelfmark), ("language", c.language),
                       ("genre", c.genre), ("container-title", c.work_title),
                       ("volume", c.volume), ("page", c.page_label), ("abstract", c.summary),
                       ("URL", c.url), ("note", f"IIIF manifest: {c.manifest_url}")):
        if value:
            out[key] = value
    out["accessed"] = {"date-parts": [[c.accessed.year, c.accessed.month, c.accessed.day]]}
    return [out]


# --- Highwire meta tags ----------------------------------------------------------------------

def meta_tags(c: Citation) -> list[tuple[str, str]]:
    """(name, content) of the ``citation_*`` meta tags of a record or reader page. No
    ``citation_pdf_url``: it names a PDF of the work, which is offered elsewhere if at all."""
    tags = [("citation_title", c.full_title)]
    authors = c.persons("author") or c.cited_people
    tags += [("citation_author", p.name) for p in authors]
    if c.year is not None:
        parts = date_parts(c.published) if c.date_from is None else [c.date_from]
        tags.append(("citation_date", "/".join(f"{x:02d}" for x in parts)))
    if c.date_from is not None and date_parts(c.published):
        tags.append(("citation_online_date", c.published.replace("-", "/")))
    tags += [(name, value) for name, value in (
        ("citation_publisher", c.publisher), ("citation_language", c.language),
        ("citation_volume", c.volume), ("citation_firstpage", c.page_label),
        ("citation_keywords", c.genre),
        ("citation_public_url", c.url), ("citation_abstract_html_url", c.record_url),
    ) if value]
    return [(name, _one_line(value)) for name, value in tags]
