"""MODS 3.7 records for OAI-PMH (metadataPrefix ``mods``): titles, names with roles, origin
(creation and electronic publication), languages and scripts, physical description, abstract,
genre, location (holding institution, shelfmark, record and manifest URLs), identifiers and
the access condition, from an item's catalogue record.

viewer/oai.py wraps the record and hands its element maker in (``Add``), which keeps every
text and attribute to what XML 1.0 can carry. Roles are read by library.citation's rule.
"""
from __future__ import annotations

from typing import Callable

from lxml import etree

from library.citation import role_kind, role_words
from library.models import Item

MODS = "http://www.loc.gov/mods/v3"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA = "http://www.loc.gov/standards/mods/v3/mods-3-7.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# what a person did -> MARC relator code (https://id.loc.gov/vocabulary/relators)
RELATORS = {"author": "aut", "translator": "trl", "editor": "edt", "scribe": "scr",
            "encoder": "mrk", "contributor": "ctb"}

Add = Callable[..., etree._Element]  # (parent, tag, text=None, attrs=None) -> element


def _m(name: str) -> str:
    return f"{{{MODS}}}{name}"


def mods(parent: etree._Element, item: Item, add: Add, *, record_url: str, manifest_url: str,
         lang_attrs: Callable[[str], dict[str, str]]) -> etree._Element:
    """Append the ``mods:mods`` element of ``item`` to ``parent``."""
    root = etree.SubElement(parent, _m("mods"), nsmap={"mods": MODS, "xlink": XLINK,
                                                        "xsi": XSI}, version="3.7")
    root.set(f"{{{XSI}}}schemaLocation", f"{MODS} {SCHEMA}")
    _titles(root, item, add, lang_attrs)
    for r in (r for r in item.responsibility if r.named):  # "Unknown scribe" is no name
        name = add(root, _m("name"))
        add(name, _m("namePart"), r.name)
        role = add(name, _m("role"))
        add(role, _m("roleTerm"), role_words(r.role), {"type": "text"})
        add(role, _m("roleTerm"), RELATORS[role_kind(r.role)],
            {"type": "code", "authority": "marcrelator"})
    manuscript = {"manuscript": "yes"} if item.shelfmark or item.repository else {}
    add(root, _m("typeOfResource"), "text", manuscript)
    if item.genre:
        add(root, _m("genre"), item.genre)
    _origin(root, item, add)
    for i, tag in enumerate(item.languages):
        language = add(root, _m("language"))
        add(language, _m("languageTerm"), tag, {"type": "code", "authority": "rfc5646"})
        if i == 0:  # the scripts are the text's, told once
            for script in item.scripts:
                add(language, _m("scriptTerm"), script, {"type": "code",
                                                         "authority": "iso15924"})
    physical = add(root, _m("physicalDescription"))
    if item.extent:
        add(physical, _m("extent"), item.extent)
    add(physical, _m("internetMediaType"), "image/jpeg")
    add(physical, _m("digitalOrigin"), "reformatted digital")
    for tag, text in item.summary.items():
        add(root, _m("abstract"), text, lang_attrs(tag))
    location = add(root, _m("location"))
    holder = ", ".join(x for x in (item.institution, item.settlement) if x)
    if holder:
        add(location, _m("physicalLocation"), holder)
    if item.shelfmark:
        add(location, _m("shelfLocator"), item.shelfmark)
    add(location, _m("url"), record_url, {"usage": "primary display",
                                          "access": "object in context"})
    add(location, _m("url"), manifest_url, {"access": "raw object",
                                            "displayLabel": "IIIF manifest"})
    add(root, _m("identifier"), record_url, {"type": "uri"})
    add(root, _m("identifier"), item.id, {"type": "local"})
    if item.idno and item.idno != item.id:
        add(root, _m("identifier"), item.idno, {"type": "local", "displayLabel": "TEI idno"})
    if item.rights:
        attrs = {"type": "use and reproduction"}
        if item.rights.startswith(("http://", "https://")):
            attrs[f"{{{XLINK}}}href"] = item.rights
        add(root, _m("accessCondition"), item.rights, attrs)
    return root


def _titles(root: etree._Element, item: Item, add: Add,
            lang_attrs: Callable[[str], dict[str, str]]) -> None:
    main = item.writing_system if item.writing_system in item.titles else \
        next(iter(item.titles), "")
    base = main.split("-")[0]
    for tag, text in sorted(item.titles.items(), key=lambda kv: kv[0] != main):
        attrs = dict(lang_attrs(tag))
        if tag == main:
            attrs["usage"] = "primary"
        else:  # the same language in another script is an alternative, not a translation
            attrs["type"] = "alternative" if tag.split("-")[0] == base else "translated"
        info = add(root, _m("titleInfo"), None, attrs)
        add(info, _m("title"), text)
    if not item.titles:
        add(add(root, _m("titleInfo")), _m("title"), item.id)


def _origin(root: etree._Element, item: Item, add: Add) -> None:
    if item.place or item.date_text or item.date_from is not None or item.date_to is not None:
        created = add(root, _m("originInfo"), None, {"eventType": "production"})
        if item.place:
            add(add(created, _m("place")), _m("placeTerm"), item.place, {"type": "text"})
        if item.date_text:
            add(created, _m("dateCreated"), item.date_text)
        if item.date_from is not None and item.date_from == item.date_to:
            add(created, _m("dateCreated"), _year(item.date_from),
                {"encoding": "w3cdtf", "keyDate": "yes"})
        else:
            for point, year in (("start", item.date_from), ("end", item.date_to)):
                if year is not None:
                    attrs = {"encoding": "w3cdtf", "point": point}
                    if point == "start":
                        attrs["keyDate"] = "yes"
                    add(created, _m("dateCreated"), _year(year), attrs)
    if item.publisher or item.published:
        published = add(root, _m("originInfo"), None, {"eventType": "publication"})
        if item.publisher:
            add(published, _m("publisher"), item.publisher)
        if item.published:
            add(published, _m("dateIssued"), item.published, {"encoding": "w3cdtf"})


def _year(year: int) -> str:
    return f"{year:04d}" if year >= 0 else f"-{-year:04d}"

