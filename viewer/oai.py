"""OAI-PMH 2.0 for catalogue harvesting (``oai_dc``), over the catalogue's item records."""
from __future__ import annotations

from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, Response, request

from library import urls
from library.models import Item

from .resources import get_catalog

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


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(body: str, args: dict) -> Response:
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in args.items() if k in
                    {"verb", "identifier", "metadataPrefix", "from", "until", "set",
                     "resumptionToken"})
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
           'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
           f"<responseDate>{_now()}</responseDate>"
           f"<request{attrs}>{escape(request.base_url)}</request>{body}</OAI-PMH>")
    return Response(xml, mimetype="text/xml")


def _error(code: str, message: str, args: dict) -> Response:
    return _envelope(f'<error code="{code}">{escape(message)}</error>', args)


def _oai_id(item_id: str) -> str:
    return f"oai:{request.host.split(':')[0]}:{item_id}"


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _header(item: Item, updated: float) -> str:
    sets = "".join(f"<setSpec>{escape(c)}</setSpec>" for c in item.collections)
    return (f"<header><identifier>{escape(_oai_id(item.id))}</identifier>"
            f"<datestamp>{_stamp(updated)}</datestamp>{sets}</header>")


def _dc(item: Item) -> str:
    e = escape
    parts = [f'<dc:title xml:lang="{e(k)}">{e(v)}</dc:title>' for k, v in item.titles.items()]
    for r in item.responsibility:
        tag = "creator" if r.role in ("author", "creator") else "contributor"
        parts.append(f"<dc:{tag}>{e(r.name)}</dc:{tag}>")
    for k, v in item.summary.items():
        parts.append(f'<dc:description xml:lang="{e(k)}">{e(v)}</dc:description>')
    if item.date_text:
        parts.append(f"<dc:date>{e(item.date_text)}</dc:date>")
    parts += [f"<dc:language>{e(lang)}</dc:language>" for lang in item.languages]
    if item.genre:
        parts.append(f"<dc:type>{e(item.genre)}</dc:type>")
    if item.place:
        parts.append(f"<dc:coverage>{e(item.place)}</dc:coverage>")
    if item.rights:
        parts.append(f"<dc:rights>{e(item.rights)}</dc:rights>")
    if item.institution or item.shelfmark:
        parts.append(f"<dc:source>{e(', '.join(x for x in (item.institution, item.shelfmark) if x))}"
                     "</dc:source>")
    record = urls.record_url(request.host_url.rstrip("/"), item.id)
    parts.append(f"<dc:identifier>{e(record)}</dc:identifier>")
    parts.append("<dc:format>image</dc:format>")
    return ('<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ '
            'http://www.openarchives.org/OAI/2.0/oai_dc.xsd">' + "".join(parts)
            + "</oai_dc:dc></metadata>")


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
        return _envelope(
            "<Identify><repositoryName>Sudur</repositoryName>"
            f"<baseURL>{escape(request.base_url)}</baseURL><protocolVersion>2.0</protocolVersion>"
            "<adminEmail>admin@localhost</adminEmail>"
            "<earliestDatestamp>1970-01-01T00:00:00Z</earliestDatestamp>"
            "<deletedRecord>no</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
            "</Identify>", args)
    if verb == "ListMetadataFormats":
        if "identifier" in args and _lookup(cat, args["identifier"]) is None:
            return _error("idDoesNotExist", "unknown identifier", args)
        return _envelope(
            "<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix>"
            "<schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema>"
            "<metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace>"
            "</metadataFormat></ListMetadataFormats>", args)
    if verb == "ListSets":
        if "resumptionToken" in args:
            return _error("badResumptionToken", "no such token", args)
        sets = "".join(f"<set><setSpec>{escape(c.id)}</setSpec><setName>"
                       f"{escape(next(iter(c.label.values()), c.id))}</setName></set>"
                       for c in cat.collections())
        return _envelope(f"<ListSets>{sets}</ListSets>" if sets else "", args) if sets else \
            _error("noSetHierarchy", "no collections", args)
    if verb == "GetRecord":
        if args.get("metadataPrefix") is None or "identifier" not in args:
            return _error("badArgument", "identifier and metadataPrefix are required", args)
        if args["metadataPrefix"] != "oai_dc":
            return _error("cannotDisseminateFormat", "only oai_dc", args)
        found = _lookup(cat, args["identifier"])
        if found is None:
            return _error("idDoesNotExist", "unknown identifier", args)
        item, updated = found
        return _envelope(f"<GetRecord><record>{_header(item, updated)}{_dc(item)}</record>"
                         "</GetRecord>", args)
    # ListIdentifiers / ListRecords
    offset = 0
    if "resumptionToken" in args:
        if set(args) - {"verb", "resumptionToken"}:
            return _error("badArgument", "resumptionToken is exclusive", args)
        try:
            prefix, frm, until, set_spec, off = args["resumptionToken"].split("|")
            offset = int(off)
        except ValueError:
            return _error("badResumptionToken", "malformed token", args)
    else:
        prefix, frm, until, set_spec = (args.get("metadataPrefix"), args.get("from", ""),
                                        args.get("until", ""), args.get("set", ""))
        if prefix is None:
            return _error("badArgument", "metadataPrefix is required", args)
    if prefix != "oai_dc":
        return _error("cannotDisseminateFormat", "only oai_dc", args)
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
    if not rows:
        return _error("noRecordsMatch", "no records match", args)
    chunk = rows[offset:offset + PAGE]
    if verb == "ListIdentifiers":
        body = "".join(_header(i, u) for i, u in chunk)
    else:
        body = "".join(f"<record>{_header(i, u)}{_dc(i)}</record>" for i, u in chunk)
    if offset + PAGE < len(rows):
        token = f"{prefix}|{frm}|{until}|{set_spec}|{offset + PAGE}"
        body += (f'<resumptionToken completeListSize="{len(rows)}" cursor="{offset}">'
                 f"{escape(token)}</resumptionToken>")
    elif offset:
        body += f'<resumptionToken completeListSize="{len(rows)}" cursor="{offset}"/>'
    return _envelope(f"<{verb}>{body}</{verb}>", args)


def _lookup(cat, identifier: str):
    item_id = identifier.rsplit(":", 1)[-1]
    row = cat.item_row(item_id)
    if row is None or identifier != _oai_id(item_id):
        return None
    return cat.get_item(item_id, with_pages=False), row.updated
