"""catalog.postings and catalog.postings_write: the fenced Whoosh internals. The fast block
reads must really be taken over a built index (a Whoosh upgrade that changed the block layout
would otherwise fall back to Whoosh's slower code without a sound), and an index written by
another Whoosh version is refused."""
from __future__ import annotations

import json

import pytest

from catalog import index as cindex
from catalog import postings, postings_write, schema
from catalog.search import SearchRequest, open_searcher, page_matches, search
from library.errors import IndexVersionError

from test_search import _item

PHRASE = "བྱང་ཆུབ་སེམས་དཔའ"


@pytest.fixture(scope="module")
def common_index(tmp_path_factory):
    """One segment whose common terms span several posting blocks (Whoosh's are 128 long)."""
    where = tmp_path_factory.mktemp("postings") / "ix"
    pages = [f"ཆོས་{i % 7}་{PHRASE}་སངས་རྒྱས་ཀྱི་ {'佛陀' if i % 3 else '菩薩'}" for i in range(700)]
    cindex.update_items(where, [_item("common", pages, "bo")])
    return where


def _reads() -> tuple[int, int]:
    st = postings.STATS
    return st.fast_headers + st.fast_ids + st.fast_blocks, st.fallbacks


@pytest.mark.parametrize("text", ["སངས་རྒྱས", PHRASE, "佛陀", "fo tuo", "byang chub"])
def test_searches_take_the_fast_block_reads(common_index, text):
    fast, slow = _reads()
    with open_searcher(common_index) as s:
        r = search(s, SearchRequest(text, page_size=10, time_budget=10.0))
        assert r.total > 128 and not r.total_is_estimate
        assert page_matches(s, SearchRequest(text, item="common"))
    fast_after, slow_after = _reads()
    assert fast_after > fast, "no fast block read: a fast path fell back to Whoosh's own"
    assert slow_after == slow, "a block was read by Whoosh's own code"


def test_fast_matcher_is_used_for_a_term(common_index):
    with open_searcher(common_index) as s:
        reader = s.searcher.reader()
        term = next(t for t in reader.lexicon("x"))
        m = postings.postings(reader, "x", term.decode("utf-8"))
        assert type(m) is postings.FastLeafMatcher


def test_an_index_of_another_whoosh_version_is_refused(common_index, tmp_path):
    import shutil

    assert schema.current_version()["whoosh_version"] == postings_write.WHOOSH_VERSION
    other = tmp_path / "other"
    shutil.copytree(common_index.resolve(), other)
    version = dict(schema.current_version(), whoosh_version="2.6.0")
    (other / schema.VERSION_FILE).write_text(json.dumps(version), encoding="utf-8")
    with pytest.raises(IndexVersionError) as e:
        open_searcher(other)
    assert "reindex" in e.value.hint


# Whoosh's public API: queries, indexes, fields and columns, analysis, file storage.
PUBLIC_WHOOSH = {"whoosh", "whoosh.query", "whoosh.index", "whoosh.fields", "whoosh.columns",
                 "whoosh.analysis", "whoosh.filedb.filestore"}
FENCED = {"postings.py", "postings_write.py"}


def test_whoosh_internals_are_imported_by_the_two_fenced_modules_only():
    import ast
    from pathlib import Path

    import catalog

    private = {}
    for path in sorted(Path(catalog.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
                names = {a.name for a in node.names}
                if node.module not in PUBLIC_WHOOSH or (node.module == "whoosh.index"
                                                        and "TOC" in names):
                    private.setdefault(path.name, set()).add(node.module)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("whoosh") and a.name not in PUBLIC_WHOOSH:
                        private.setdefault(path.name, set()).add(a.name)
    assert set(private) <= FENCED, private
    assert set(private) == FENCED  # (else the fence lists modules it no longer needs)
