"""``collections.json`` at the root of a batch: read, validated, then turned into Collections.

It is a JSON list of ``{"id", "label", "summary", "parent", "items"}`` objects (the fields of
``library.models.Collection``). Everything is checked before anything is written, because a
collection lands in the catalogue and is listed on pages that show every collection: a wrong
value there would break those pages for every visitor. Each problem is reported with the JSON
path of the bad value (``[0].label``); invalid JSON with its line and column.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from library import langtags
from library.errors import InputError
from library.json_kind import json_kind
from library.safe_open import read_batch_file
from library.models import Collection, RESERVED_COLLECTION_IDS, is_collection_id, is_item_id

NAME = "collections.json"
KEYS = ("id", "label", "summary", "parent", "items")
MAX_LISTED = 10  # problems quoted in one message
MAX_BYTES = 16_000_000  # a thousand times what a library of ten thousand volumes needs


def _lang_map(value: Any, where: str, example: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f'{where}: expected a language map like {{"en": "{example}"}}, '
                        f"got {json_kind(value)}")
        return
    for tag, text in value.items():
        if tag != "none" and not langtags.is_valid_tag(tag):  # "none": IIIF's untagged key
            problems.append(f"{where}: {json.dumps(tag, ensure_ascii=False)} is not a language "
                            'tag (BCP 47, e.g. "en", "mn-Mong", "zh-Hant")')
        elif not isinstance(text, str):
            problems.append(f"{where}.{tag}: expected a string, got {json_kind(text)}")


def _collection_id(value: Any, where: str, problems: list[str]) -> None:
    if isinstance(value, str) and value in RESERVED_COLLECTION_IDS:
        problems.append(f'{where}: "{value}" is reserved (it names something else in the '
                        "viewer's URLs); choose another id")
    elif not isinstance(value, str) or not is_collection_id(value):
        shown = json.dumps(value, ensure_ascii=False)[:80]
        problems.append(f"{where}: expected a collection id (lower-case letters, digits, '-' "
                        f"and '_', starting with a letter or digit), got {shown}")


def validate(data: Any) -> list[str]:
    """Every problem of a parsed collections.json, each as ``<JSON path>: <what is wrong>``."""
    if not isinstance(data, list):
        return [f"expected a list of collections, got {json_kind(data)}"]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for n, entry in enumerate(data):
        at = f"[{n}]"
        if not isinstance(entry, dict):
            problems.append(f"{at}: expected an object, got {json_kind(entry)}")
            continue
        for key in entry:
            if key not in KEYS:
                problems.append(f"{at}.{key}: unknown key (expected {', '.join(KEYS)})")
        if "id" not in entry:
            problems.append(f"{at}.id: missing")
        else:
            _collection_id(entry["id"], f"{at}.id", problems)
            cid = entry["id"]
            if isinstance(cid, str) and cid in seen:
                problems.append(f'{at}.id: "{cid}" is also the id of [{seen[cid]}]')
            elif isinstance(cid, str):
                seen[cid] = n
        for key, example in (("label", "Epics"), ("summary", "The Mongolian epics")):
            if key in entry:
                _lang_map(entry[key], f"{at}.{key}", example, problems)
        if entry.get("parent") is not None:
            _collection_id(entry["parent"], f"{at}.parent", problems)
        items = entry.get("items", [])
        if not isinstance(items, list):
            problems.append(f"{at}.items: expected a list of item ids, got {json_kind(items)}")
            continue
        for i, item_id in enumerate(items):
            if not isinstance(item_id, str) or not is_item_id(item_id):
                shown = json_kind(item_id) if not isinstance(item_id, str) else \
                    json.dumps(item_id, ensure_ascii=False)[:80]
                problems.append(f"{at}.items[{i}]: expected an item id, got {shown}")
    return problems


def read_collections(batch: Path) -> list[Collection]:
    """The collections of a batch (none without the file); InputError on any problem."""
    if not os.path.lexists(batch / NAME):
        return []
    hint = f"fix {NAME} (or remove it) and run the command again; nothing was written"
    try:  # once, never through a link, a regular file only: no content from outside the batch
        data = read_batch_file(batch, NAME, NAME, max_bytes=MAX_BYTES)
    except InputError as exc:
        own = exc.hint if exc.hint != InputError.hint else ""  # what to do about a link
        raise InputError(exc.message, file=NAME, hint=f"{own}; {hint}" if own else hint) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 (byte {exc.start})", file=NAME, hint=hint) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                         file=NAME, line=exc.lineno, hint=hint) from None
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply", file=NAME, hint=hint) from None
    problems = validate(data)
    if problems:
        more = f" (and {len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
        raise InputError("; ".join(problems[:MAX_LISTED]) + more, file=NAME, hint=hint)
    return [Collection(id=d["id"], label=d.get("label") or {"en": d["id"]},
                       summary=d.get("summary") or {}, parent=d.get("parent"),
                       items=list(dict.fromkeys(d.get("items", [])))) for d in data]
