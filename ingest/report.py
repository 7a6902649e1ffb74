"""The check report of a batch, as JSON and as a self-contained HTML page for people."""
from __future__ import annotations

import html
from datetime import datetime, timezone

from .batch import ItemPlan


def json_report(plans: list[ItemPlan], batch: str) -> dict:
    items = []
    for p in plans:
        items.append({
            "item": p.item_id,
            "folder": p.display,
            "pages": len(p.item.pages) if p.item else 0,
            "images": len(p.images),
            "tei": p.tei.name if p.tei else None,
            "status": "error" if p.errors else ("warning" if p.warnings else "ok"),
            "diagnostics": [{"level": d.level, "code": d.code, "message": d.message,
                             "file": d.file, "line": d.line} for d in p.diagnostics],
            "pairing": [{"page": x.page, "label": x.label, "image": x.image, "ocr": x.ocr,
                         "ocr_page": x.ocr_page if x.ocr else None, "by": x.how}
                        for x in p.pairing] if p.ocr else [],
        })
    return {
        "batch": str(batch),
        "checked": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "summary": {
            "items": len(plans),
            "ok": sum(1 for p in plans if not p.errors and not p.warnings),
            "with_warnings": sum(1 for p in plans if p.warnings and not p.errors),
            "with_errors": sum(1 for p in plans if p.errors),
            "errors": sum(len(p.errors) for p in plans),
            "warnings": sum(len(p.warnings) for p in plans),
            "by_code": _by_code(plans),
        },
        "items": items,
    }


def pairing_lines(plan: ItemPlan) -> list[str]:
    """The OCR pairing of each page, one line per page, for items that have OCR files."""
    if not plan.ocr:
        return []
    return [f"page {x.label}: {x.image or '(no image)'} ← " + (
        f"{x.ocr}{f' page {x.ocr_page}' if x.ocr_page > 1 else ''} ({x.how})" if x.ocr
        else "no OCR") for x in plan.pairing]


def _by_code(plans: list[ItemPlan]) -> dict[str, dict[str, int]]:
    """How many findings of each kind, errors first: {"error": {code: n}, "warning": {...}}."""
    out: dict[str, dict[str, int]] = {"error": {}, "warning": {}}
    for p in plans:
        for d in p.diagnostics:
            bucket = out.setdefault(d.level, {})
            bucket[d.code or "other"] = bucket.get(d.code or "other", 0) + 1
    return {level: dict(sorted(codes.items(), key=lambda kv: (-kv[1], kv[0])))
            for level, codes in out.items()}


_CSS = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;
text-align:left;vertical-align:top}.error{color:#a40000}.warning{color:#8a5a00}.ok{color:#1a6b1a}
code{font-size:.9em}.summary{font-size:1.1rem;background:#f5f5f0;padding:1rem}"""


def html_report(plans: list[ItemPlan], batch: str) -> str:
    data = json_report(plans, batch)
    s = data["summary"]
    e = html.escape
    rows = []
    kinds = "".join(
        f'<li class="{level}">{e(level)}s: ' + ", ".join(
            f"{e(code)} × {n}" for code, n in codes.items()) + "</li>"
        for level, codes in s["by_code"].items() if codes)
    order = {"error": 0, "warning": 1}
    # items with errors first, then those with warnings: what needs a person's attention
    data["items"].sort(key=lambda it: (order.get(it["status"], 2), it["item"]))
    for it in data["items"]:
        it["diagnostics"].sort(key=lambda d: order.get(d["level"], 2))
        diags = "".join(
            f'<li class="{d["level"]}"><strong>{e(d["level"])}</strong> '
            f'<code>{e(d["file"] or "")}{":" + str(d["line"]) if d["line"] else ""}</code> '
            f'{e(d["message"])}</li>' for d in it["diagnostics"]) or "<li class=ok>no findings</li>"
        pairs = "".join(
            f'<li>page {e(x["label"])}: <code>{e(x["image"] or "(no image)")}</code> ← '
            + (f'<code>{e(x["ocr"])}</code> ({e(x["by"])})' if x["ocr"] else "no OCR")
            + "</li>" for x in it["pairing"])
        pairs = f"<details><summary>OCR pairing</summary><ul>{pairs}</ul></details>" \
            if pairs else ""
        rows.append(f'<tr><td class="{it["status"]}"><strong>{e(it["item"])}</strong><br>'
                    f'{e(it["status"])}</td><td>{it["pages"]} pages, {it["images"]} images'
                    f'<br>TEI: {e(it["tei"] or "none")}{pairs}</td><td><ul>{diags}</ul></td>'
                    '</tr>')
    return (f'<!doctype html><html lang="en"><meta charset="utf-8">'
            f'<title>Sudur check: {e(str(batch))}</title><style>{_CSS}</style>'
            f'<h1>Check report</h1><p>Batch <code>{e(str(batch))}</code>, checked '
            f'{e(data["checked"])}</p><div class="summary">{s["items"]} items: {s["ok"]} ok, '
            f'{s["with_warnings"]} with warnings only, {s["with_errors"]} with errors '
            f'({s["errors"]} errors, {s["warnings"]} warnings in all).'
            f'{"<ul>" + kinds + "</ul>" if kinds else ""}</div>'
            f'<p>Items with errors are not ingested; warnings do not stop an ingest. '
            f'<code>sudur check</code> exits 1 on errors, 0 otherwise (3 on warnings with '
            f'<code>--strict</code>).</p>'
            f'<table><thead><tr><th>item</th><th>contents</th><th>findings</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></html>')
