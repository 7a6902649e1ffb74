"""``collections.json`` at the root of a batch: read, validated, then turned into Collections.

It is a JSON list of ``{"id", "label", "summary", "parent", "items"}`` objects (the fields of
``library.models.Collection``), or an object ``{"collections": [that list], "works": [...]}``
that also declares multi-volume works (``ingest.works_file``). Everything is checked before
anything is written, because a collection lands in the catalogue and is listed on pages that show every collection: a wrong
value there would break those pages for every visitor. Each problem is reported with the JSON
path of the bad value (``[0].label``) and its line; invalid JSON with its line and column.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from library import langtags
from library.errors import InputError
from library.json_kind import json_kind
from library.safe_open import read_batch_file
from library.models import (Collection, RESERVED_COLLECTION_IDS, Work, is_collection_id,
                            is_item_id)

from .json_located import line_of, loads_located
from .works_file import validate_works, works_from

NAME = "collections.json"
KEYS = ("id", "label", "summary", "parent", "items")
TOP_KEYS = ("collections", "works")  # the object form: collections and multi-volume works
MAX_LISTED = 10  # problems quoted in one message
MAX_BYTES = 16_000_000  # a thousand times what a library of ten thousand volumes needs


class _Problems(list):
    """Problems as ``<JSON path>: <what is wrong>``, each followed by the line of the object
    it is in when the data was read with lines (``ingest.json_located``)."""

    def add(self, message: str, owner: Any = None) -> None:
        line = line_of(owner)
        self.append(f"{message} (line {line})" if line else message)


def _lang_map(value: Any, where: str, example: str, problems: _Problems, owner: Any = None
              ) -> None:
    add = problems.add
    if not isinstance(value, dict):
        add(f'{where}: expected a language map like {{"en": "{example}"}}, '
            f"got {json_kind(value)}", owner)
        return
    for tag, text in value.items():
        if tag != "none" and not langtags.is_valid_tag(tag):  # "none": IIIF's untagged key
            add(f"{where}: {json.dumps(tag, ensure_ascii=False)} is not a language "
                'tag (BCP 47, e.g. "en", "mn-Mong", "zh-Hant")', value)
        elif not isinstance(text, str):
            add(f"{where}.{tag}: expected a string, got {json_kind(text)}", value)


def _collection_id(value: Any, where: str, problems: _Problems, owner: Any) -> None:
    if isinstance(value, str) and value in RESERVED_COLLECTION_IDS:
        problems.add(f'{where}: "{value}" is reserved (it names something else in the '
                     "viewer's URLs); choose another id", owner)
    elif not isinstance(value, str) or not is_collection_id(value):
        shown = json.dumps(value, ensure_ascii=False)[:80]
        problems.add(f"{where}: expected a collection id (lower-case letters, digits, '-' "
                     f"and '_', starting with a letter or digit), got {shown}", owner)


def _validate_collections(data: list, prefix: str, problems: _Problems) -> None:
    seen: dict[str, int] = {}
    for n, entry in enumerate(data):
        at = f"{prefix}[{n}]"
        if not isinstance(entry, dict):
            problems.add(f"{at}: expected an object, got {json_kind(entry)}")
            continue
        for key in entry:
            if key not in KEYS:
                problems.add(f"{at}.{key}: unknown key (expected {', '.join(KEYS)})", entry)
        if "id" not in entry:
            problems.add(f"{at}.id: missing", entry)
        else:
            _collection_id(entry["id"], f"{at}.id", problems, entry)
            cid = entry["id"]
            if isinstance(cid, str) and cid in seen:
                problems.add(f'{at}.id: "{cid}" is also the id of {prefix}[{seen[cid]}]', entry)
            elif isinstance(cid, str):
                seen[cid] = n
        for key, example in (("label", "Epics"), ("summary", "The Mongolian epics")):
            if key in entry:
                _lang_map(entry[key], f"{at}.{key}", example, problems, entry)
        if entry.get("parent") is not None:
            _collection_id(entry["parent"], f"{at}.parent", problems, entry)
        items = entry.get("items", [])
        if not isinstance(items, list):
            problems.add(f"{at}.items: expected a list of item ids, got {json_kind(items)}",
                         entry)
            continue
        for i, item_id in enumerate(items):
            if not isinstance(item_id, str) or not is_item_id(item_id):
                shown = json_kind(item_id) if not isinstance(item_id, str) else \
                    json.dumps(item_id, ensure_ascii=False)[:80]
                problems.add(f"{at}.items[{i}]: expected an item id, got {shown}", entry)


def validate(data: Any) -> list[str]:
    """Every problem of a parsed collections.json, each as ``<JSON path>: <what is wrong>``
    (then ``(line N)`` when ``data`` was read by ``ingest.json_located``)."""
    problems = _Problems()
    if isinstance(data, list):
        _validate_collections(data, "", problems)
    elif isinstance(data, dict) and set(data) & set(TOP_KEYS):
        for key in data:
            if key not in TOP_KEYS:
                problems.add(f"{key}: unknown key (expected {', '.join(TOP_KEYS)})", data)
        colls = data.get("collections", [])
        if isinstance(colls, list):
            _validate_collections(colls, "collections", problems)
        else:
            problems.add(f"collections: expected a list of collections, got {json_kind(colls)}",
                         data)
        validate_works(data.get("works", []), "works", problems.add,
                       lambda value, where, example, owner:
                       _lang_map(value, where, example, problems, owner))
    else:
        extra = ' (or an object holding "collections" and "works" lists)' \
            if isinstance(data, dict) else ""
        problems.add(f"expected a list of collections, got {json_kind(data)}{extra}")
    return list(problems)


def read_collections(batch: Path) -> list[Collection]:
    """The collections of a batch (none without the file); InputError on any problem."""
    return read_groups(batch).collections


@dataclass
class Groups:
    """What ``collections.json`` declares: collections and multi-volume works."""

    collections: list[Collection] = field(default_factory=list)
    works: list[Work] = field(default_factory=list)


def read_groups(batch: Path) -> Groups:
    """The collections and works of a batch (none without the file); InputError on any
    problem, naming its JSON path and line."""
    if not os.path.lexists(batch / NAME):
        return Groups()
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
    if problems:  # read again, slowly, to say on which line each problem is
        problems = validate(loads_located(text))
        more = f" (and {len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
        raise InputError("; ".join(problems[:MAX_LISTED]) + more, file=NAME, hint=hint)
    colls = data if isinstance(data, list) else data.get("collections", [])
    return Groups(
        [Collection(id=d["id"], label=d.get("label") or {"en": d["id"]},
                    summary=d.get("summary") or {}, parent=d.get("parent"),
                    items=list(dict.fromkeys(d.get("items", [])))) for d in colls],
        [] if isinstance(data, list) else works_from(data.get("works", [])))
