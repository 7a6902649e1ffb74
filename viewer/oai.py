"""OAI-PMH 2.0 for catalogue harvesting (``oai_dc`` and MODS 3.7, viewer/oai_mods.py), over the
catalogue's item records. A withdrawn item (its tombstone, catalog.tombstones) stays a deleted
record for good (``deletedRecord`` = ``persistent``): a header with ``status="deleted"``, dated
when it was withdrawn, and no metadata."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Optional
from urllib.parse import urlsplit

from flask import Blueprint, Response, request
from lxml import etree

from library import urls
from library.errors import BadRequestError
from catalog.tombstones import Tombstone
from library.models import Item
from library.numbers import parse_int

from . import oai_mods
from .resources import get_catalog, public_base

bp = Blueprint("oai", __name__)

PAGE = 100
VERBS = {
    "Identify": set(),
    "ListMetadataFormats": {"identifier"},
    "ListSets": {"resumptionToken"},
    "ListIdentifiers": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "ListRecords": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "GetRecord": {"identifier", "metadataPrefix"},
}
ARGUMENTS = {"verb", "identifier", "metadataPrefix", "from", "until", "set", "resumptionToken"}

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA_LOCATION = f"{{{XSI}}}schemaLocation"

# Characters XML 1.0 does not allow (section 2.2): C0 controls but tab, LF, CR; surrogates;
# U+FFFE and U+FFFF. Catalogue text and request arguments may hold them; they are dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# what an xml:lang value may look like (xs:language); any other key is left unlabelled
_LANG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", value)


def _el(parent: etree._Element, tag: str, text: Optional[str] = None,
        attrs: Optional[dict[str, str]] = None) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: xml_text(v) for k, v in (attrs or {}).items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(body: Optional[etree._Element], args: dict) -> Response:
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
    root.set(SCHEMA_LOCATION, f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    _el(root, f"{{{OAI}}}responseDate", _now())
    _el(root, f"{{{OAI}}}request", public_base() + urls.OAI.path(),
        {k: v for k, v in args.items() if k in ARGUMENTS})
    if body is not None:
        root.append(body)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(xml, mimetype="text/xml")


def _error(code: str, message: str, args: dict) -> Response:
    el = etree.Element(f"{{{OAI}}}error", code=code)
    el.text = xml_text(message)
    return _envelope(el, args)


def _oai_id(item_id: str) -> str:
    return f"oai:{urlsplit(public_base()).hostname or 'localhost'}:{item_id}"


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _header(parent: etree._Element, item: Item, updated: float) -> None:
    header = _el(parent, f"{{{OAI}}}header")
    _el(header, f"{{{OAI}}}identifier", _oai_id(item.id))
    _el(header, f"{{{OAI}}}datestamp", _stamp(updated))
    for c in item.collections:
        _el(header, f"{{{OAI}}}setSpec", c)


def _deleted_header(parent: etree._Element, tomb: Tombstone) -> None:
    header = _el(parent, f"{{{OAI}}}header", attrs={"status": "deleted"})
    _el(header, f"{{{OAI}}}identifier", _oai_id(tomb.item_id))
    _el(header, f"{{{OAI}}}datestamp", _stamp(tomb.withdrawn))
    for c in tomb.collections:
        _el(header, f"{{{OAI}}}setSpec", c)


def _lang_attrs(tag: str) -> dict[str, str]:
    return {XML_LANG: tag} if _LANG.fullmatch(tag) else {}


def _dc(parent: etree._Element, item: Item) -> None:
    metadata = _el(parent, f"{{{OAI}}}metadata")
    dc = etree.SubElement(metadata, f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC,
                                                                "xsi": XSI})
    dc.set(SCHEMA_LOCATION, f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")

    def add(name: str, text: str, attrs: Optional[dict[str, str]] = None) -> None:
        _el(dc, f"{{{DC}}}{name}", text, attrs)

    for k, v in item.titles.items():
        add("title", v, _lang_attrs(k))
    for r in (r for r in item.responsibility if r.named):  # "Unknown scribe" is nobody
        add("creator" if r.role in ("author", "creator") else "contributor", r.name)
    for k, v in item.summary.items():
        add("description", v, _lang_attrs(k))
    if item.date_text:
        add("date", item.date_text)
    for lang in item.languages:
        add("language", lang)
    if item.genre:
        add("type", item.genre)
    if item.place:
        add("coverage", item.place)
    if item.rights:
        add("rights", item.rights)
    if item.institution or item.shelfmark:
        add("source", ", ".join(x for x in (item.institution, item.shelfmark) if x))
    add("identifier", urls.record_url(public_base(), item.id))
    add("format", "image")


def _mods(parent: etree._Element, item: Item) -> None:
    metadata = _el(parent, f"{{{OAI}}}metadata")
    base = public_base()
    oai_mods.mods(metadata, item, _el, record_url=urls.record_url(base, item.id),
                  manifest_url=urls.manifest_url(base, item.id), lang_attrs=_lang_attrs)


# metadataPrefix -> (schema, namespace, writer of the record's metadata)
FORMATS = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC, _dc),
    "mods": (oai_mods.SCHEMA, oai_mods.MODS, _mods),
}
_NOT_OFFERED = "offered: " + ", ".join(FORMATS)


def _verb(name: str) -> etree._Element:
    return etree.Element(f"{{{OAI}}}{name}")


def _parse_date(value: str | None, end: bool) -> float | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            d = datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
        ts = d.timestamp()
        return ts + 86399.999 if end and fmt == "%Y-%m-%d" else ts
    raise ValueError(value)


@bp.route(urls.OAI.rule, methods=["GET", "POST"])
def oai() -> Response:
    args = {k: v for k, v in request.values.items()}
    verb = args.get("verb", "")
    if verb not in VERBS:
        return _error("badVerb", f"illegal or missing verb {verb!r}", {})
    extra = set(args) - VERBS[verb] - {"verb"}
    if extra or any(len(request.values.getlist(k)) > 1 for k in args):
        return _error("badArgument", "illegal or repeated arguments: " + ", ".join(sorted(extra)),
                      args)
    cat = get_catalog()
    if verb == "Identify":
        body = _verb("Identify")
        for tag, text in (("repositoryName", "Sudur"), ("baseURL", public_base() + urls.OAI.path()),
                          ("protocolVersion", "2.0"), ("adminEmail", "admin@localhost"),
                          ("earliestDatestamp", "1970-01-01T00:00:00Z"),
                          ("deletedRecord", "persistent"), ("granularity", "YYYY-MM-DDThh:mm:ssZ")):
            _el(body, f"{{{OAI}}}{tag}", text)
        return _envelope(body, args)
    if verb == "ListMetadataFormats":
        if "identifier" in args and _lookup(cat, args["identifier"]) is None and \
                _deleted(cat, args["identifier"]) is None:
            return _error("idDoesNotExist", "unknown identifier", args)
        body = _verb("ListMetadataFormats")
        for prefix, (schema, namespace, _write) in FORMATS.items():
            fmt = _el(body, f"{{{OAI}}}metadataFormat")
            _el(fmt, f"{{{OAI}}}metadataPrefix", prefix)
            _el(fmt, f"{{{OAI}}}schema", schema)
            _el(fmt, f"{{{OAI}}}metadataNamespace", namespace)
        return _envelope(body, args)
    if verb == "ListSets":
        if "resumptionToken" in args:
            return _error("badResumptionToken", "no such token", args)
        body = _verb("ListSets")
        for c in cat.collections():
            entry = _el(body, f"{{{OAI}}}set")
            _el(entry, f"{{{OAI}}}setSpec", c.id)
            _el(entry, f"{{{OAI}}}setName", next(iter(c.label.values()), c.id))
        return _envelope(body, args) if len(body) else \
            _error("noSetHierarchy", "no collections", args)
    if verb == "GetRecord":
        if args.get("metadataPrefix") is None or "identifier" not in args:
            return _error("badArgument", "identifier and metadataPrefix are required", args)
        if args["metadataPrefix"] not in FORMATS:
            return _error("cannotDisseminateFormat", _NOT_OFFERED, args)
        found = _lookup(cat, args["identifier"])
        gone = _deleted(cat, args["identifier"]) if found is None else None
        if found is None and gone is None:
            return _error("idDoesNotExist", "unknown identifier", args)
        body = _verb("GetRecord")
        record = _el(body, f"{{{OAI}}}record")
        if gone is not None:
            _deleted_header(record, gone)
            return _envelope(body, args)
        item, updated = found
        _header(record, item, updated)
        FORMATS[args["metadataPrefix"]][2](record, item)
        return _envelope(body, args)
    # ListIdentifiers / ListRecords
    offset = 0
    if "resumptionToken" in args:
        if set(args) - {"verb", "resumptionToken"}:
            return _error("badArgument", "resumptionToken is exclusive", args)
        try:
            prefix, frm, until, set_spec, off = args["resumptionToken"].split("|")
            offset = parse_int(off, "offset")
        except (ValueError, BadRequestError):
            return _error("badResumptionToken", "malformed token", args)
    else:
        prefix, frm, until, set_spec = (args.get("metadataPrefix"), args.get("from", ""),
                                        args.get("until", ""), args.get("set", ""))
        if prefix is None:
            return _error("badArgument", "metadataPrefix is required", args)
    if prefix not in FORMATS:
        return _error("cannotDisseminateFormat", _NOT_OFFERED, args)
    try:
        t_from, t_until = _parse_date(frm, False), _parse_date(until, True)
    except ValueError:
        return _error("badArgument", "dates must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ", args)
    if frm and until and len(frm) != len(until):
        return _error("badArgument", "from and until must have the same granularity", args)
    rows = []
    for item_id in cat.item_ids():
        row = cat.item_row(item_id)
        if t_from is not None and row.updated < t_from or t_until is not None and \
                row.updated > t_until:
            continue
        item = cat.get_item(item_id, with_pages=False)
        if set_spec and set_spec not in item.collections:
            continue
        rows.append((item, row.updated))
    for tomb in cat.tombstones():
        if t_from is not None and tomb.withdrawn < t_from or t_until is not None and \
                tomb.withdrawn > t_until or set_spec and set_spec not in tomb.collections:
            continue
        rows.append((tomb, tomb.withdrawn))
    # in id order, the deleted among the others: a resumption token's offset stays valid
    rows.sort(key=lambda r: r[0].id if isinstance(r[0], Item) else r[0].item_id)
    if not rows:
        return _error("noRecordsMatch", "no records match", args)
    chunk = rows[offset:offset + PAGE]
    body = _verb(verb)
    for item, updated in chunk:
        if isinstance(item, Tombstone):
            _deleted_header(body if verb == "ListIdentifiers" else
                            _el(body, f"{{{OAI}}}record"), item)
        elif verb == "ListIdentifiers":
            _header(body, item, updated)
        else:
            record = _el(body, f"{{{OAI}}}record")
            _header(record, item, updated)
            FORMATS[prefix][2](record, item)
    counts = {"completeListSize": str(len(rows)), "cursor": str(offset)}
    if offset + PAGE < len(rows):
        _el(body, f"{{{OAI}}}resumptionToken",
            f"{prefix}|{frm}|{until}|{set_spec}|{offset + PAGE}", counts)
    elif offset:
        _el(body, f"{{{OAI}}}resumptionToken", None, counts)
    return _envelope(body, args)


def _lookup(cat, identifier: str):
    item_id = identifier.rsplit(":", 1)[-1]
    row = cat.item_row(item_id)
    if row is None or identifier != _oai_id(item_id):
        return None
    return cat.get_item(item_id, with_pages=False), row.updated


def _deleted(cat, identifier: str) -> Optional[Tombstone]:
    """The tombstone of the withdrawn item ``identifier`` names, if it is one."""
    item_id = identifier.rsplit(":", 1)[-1]
    if identifier != _oai_id(item_id) or cat.item_row(item_id) is not None:
        return None
    return cat.tombstone(item_id)
