"""The one Whoosh schema of Sudur, with its version.

One document per page (``kind=page``) carrying its item's facet fields, plus one per item
(``kind=item``) carrying its metadata. The text is analysed once into four keys per token
(``catalog.analysis``: x exact, s shape, l loose, tr transliteration) held in three fields:
shape keys share ``x`` (they differ from exact keys only for Hudum, and then carry a "~").
Each document also carries the hashed set of its adjacent token pairs (column ``pairs``,
``catalog.pairs``), which lets a phrase search skip pages that cannot hold the phrase.
An index written with another schema, analyzer or Whoosh version is refused ("run `sudur
reindex`"). The field that encodes the key postings, ``KeyedText``, is in
``catalog.postings_write`` with the other uses of Whoosh's writing internals.
"""
from __future__ import annotations

import json
from pathlib import Path

from whoosh import columns, fields

from library.errors import IndexVersionError

from . import analysis
from .postings_write import WHOOSH_VERSION, KeyedText

# 4: the century facet holds every century of the date range; 5: the work and volume fields
SCHEMA_VERSION = 5
VERSION_FILE = "sudur-index.json"
FACETS = ("collection", "language", "script", "genre", "century", "work", "volume")


class WSText(str):
    """A document text that carries its writing system (survives pickling to other processes)."""

    writing_system: str | None = None

    def __new__(cls, text: str, writing_system: str | None) -> "WSText":
        obj = super().__new__(cls, text)
        obj.writing_system = writing_system
        return obj

    def __reduce__(self):
        return (WSText, (str(self), self.writing_system))


# (text object, writing system, postings) of the last text analysed; replaced as a whole so
# that writers in several threads never mix two documents.
_last: tuple = (None, None, None)


class PairsColumn(fields.COLUMN):
    """The column of each document's adjacent token pairs (``catalog.pairs``).

    Given the document's text (the ``WSText`` of its key fields), it takes the pairs from the
    same one analysis as the postings, in whichever process indexes the document.
    """

    def __init__(self) -> None:
        super().__init__(columns.VarBytesColumn())

    def to_column_value(self, value) -> bytes:
        if isinstance(value, bytes):
            return value
        return _postings(value)[2]


def _postings(value: str) -> tuple:
    global _last
    ws = getattr(value, "writing_system", None)
    if ws is None:
        ws = analysis.current_writing_system()
    last = _last
    if last[0] is value and last[1] == ws:
        return last[2]
    result = analysis.document_postings(value, ws or "")
    _last = (value, ws, result)
    return result


def build_schema() -> fields.Schema:
    text_fields = {f: KeyedText(i, _postings, analyzer=analysis.analyzer(f), phrase=True,
                                stored=False, field_boost=1.0)
                   for i, f in enumerate(analysis.INDEX_FIELDS)}
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
        # the works an item is a volume of, and (for a volume) its item id
        work=fields.KEYWORD(stored=True, commas=True),
        volume=fields.KEYWORD(stored=True, commas=True),
        # each document's hashed set of adjacent token pairs (catalog.pairs)
        pairs=PairsColumn(),
        **text_fields,
    )


def current_version() -> dict:
    return {"schema_version": SCHEMA_VERSION, "analyzer_version": analysis.ANALYZER_VERSION,
            "whoosh_version": WHOOSH_VERSION}


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
