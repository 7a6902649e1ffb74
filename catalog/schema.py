"""The one Whoosh schema of Sudur, with its version.

One document per page (``kind=page``) carrying its item's facet fields, plus one per item
(``kind=item``) carrying its metadata. The text is indexed four times from the same string by
the analyzers of ``catalog.analysis`` (x exact, s shape, l loose, tr transliteration).
An index written with another schema or analyzer version is refused ("run `sudur reindex`").
"""
from __future__ import annotations

import json
from pathlib import Path

from whoosh import fields

from library.errors import IndexVersionError

from . import analysis

SCHEMA_VERSION = 1
VERSION_FILE = "sudur-index.json"
FACETS = ("collection", "language", "script", "genre", "century")


def build_schema() -> fields.Schema:
    text_fields = {f: fields.TEXT(analyzer=analysis.analyzer(f), phrase=True, stored=False,
                                  field_boost=1.0) for f in analysis.FIELDS}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        kind=fields.ID(stored=True),
        item=fields.ID(stored=True),
        order=fields.NUMERIC(stored=True, sortable=True),
        label=fields.STORED(),
        title=fields.STORED(),
        ws=fields.STORED(),
        body=fields.STORED(),  # the indexed string: offsets of every token point into it
        textlen=fields.STORED(),
        collection=fields.KEYWORD(stored=True, commas=True),
        language=fields.KEYWORD(stored=True, commas=True),
        script=fields.KEYWORD(stored=True, commas=True),
        genre=fields.KEYWORD(stored=True, commas=True),
        century=fields.KEYWORD(stored=True, commas=True),
        **text_fields,
    )


def current_version() -> dict:
    return {"schema_version": SCHEMA_VERSION, "analyzer_version": analysis.ANALYZER_VERSION}


def write_version(index_dir: Path) -> None:
    tmp = index_dir / (VERSION_FILE + ".tmp")
    tmp.write_text(json.dumps(current_version()), encoding="utf-8")
    tmp.replace(index_dir / VERSION_FILE)


def check_version(index_dir: Path) -> None:
    path = index_dir / VERSION_FILE
    if not path.is_file():
        raise IndexVersionError(f"the search index in {index_dir} is missing or incomplete")
    found = json.loads(path.read_text(encoding="utf-8"))
    if found != current_version():
        raise IndexVersionError(
            f"the search index was built with {found}, this Sudur needs {current_version()}")
