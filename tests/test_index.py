"""Tests for catalog.index and the key fields of catalog.schema: documents, writers (one and
several processes), replacing and removing items, and the writing system carried by the text."""

from __future__ import annotations

import pickle

import pytest

from catalog import index as cindex
from catalog import postings_write, schema
from catalog.search import SearchRequest, open_searcher, page_matches, search
from library.models import Item, Page


def _item(item_id: str, texts: list[str], ws: str = "") -> Item:
    it = Item(id=item_id, titles={"en": item_id}, writing_system=ws, collections=["c"])
    it.pages = [Page(item_id=item_id, order=i + 1, label=str(i + 1), text=t)
                for i, t in enumerate(texts)]
    return it


# ᠠᠮᠠ is shared by Hudum and Todo; only a declared Todo text keeps it from the Hudum shaper
TODO_WORD = "ᠠᠮᠠ"


def test_wstext_carries_its_writing_system_through_pickle():
    t = schema.WSText("ᠠᠮᠠ ᠪᠠ", "xal-Mong")
    back = pickle.loads(pickle.dumps(t))
    assert back == "ᠠᠮᠠ ᠪᠠ" and back.writing_system == "xal-Mong"
    assert isinstance(back, str)


def test_keyed_fields_use_the_text_writing_system():
    hudum = schema._postings(schema.WSText(TODO_WORD, "mn-Mong"))[0]
    todo = schema._postings(schema.WSText(TODO_WORD, "xal-Mong"))[0]
    assert any(t.startswith("~") for t in hudum)       # shaped as Hudum
    assert not any(t.startswith("~") for t in todo)    # never sent to the Hudum shaper


def test_page_documents_share_one_text_object_for_all_key_fields():
    docs = list(cindex.page_documents(_item("a", ["ཆོས་", "佛"], "bo")))
    assert [d["kind"] for d in docs] == ["page", "page", "item"]
    for d in docs:
        assert d["x"] is d["tr"] and d["x"].writing_system == "bo"
        assert d["body"] == str(d["x"])


def test_update_replaces_an_items_documents(tmp_path):
    d = tmp_path / "ix"
    assert cindex.update_items(d, [_item("a", ["ཆོས་ཀྱི་", "སངས་རྒྱས"], "bo")]) == 3
    cindex.update_items(d, [_item("a", ["佛陀"], "zh-Hant")])
    with open_searcher(d) as s:
        assert page_matches(s, SearchRequest("ཆོས", item="a")) == []
        assert [h.order for h in page_matches(s, SearchRequest("佛陀", item="a"))] == [1]
        r = search(s, SearchRequest("佛陀", time_budget=5.0))
        assert r.total == 1 and not r.total_is_estimate


@pytest.mark.slow
def test_several_processes_index_the_same_as_one(tmp_path):
    items = [_item(f"t{i}", [f"ཆོས་{i}་སངས་རྒྱས་ཀྱི་", TODO_WORD + " ᠪᠢᠴᠢᠭ"], ws)
             for i, ws in enumerate(["bo", "xal-Mong", "mn-Mong"] * 20)]
    cindex.update_items(tmp_path / "one", items)
    cindex.update_items(tmp_path / "many", items, procs=2)
    for query in ("སངས་རྒྱས", TODO_WORD, "ᠪᠢᠴᠢᠭ", "sangs rgyas"):
        found = []
        for name in ("one", "many"):
            with open_searcher(tmp_path / name) as s:
                r = search(s, SearchRequest(query, page_size=100, time_budget=10.0))
                found.append(sorted((h.item_id, h.order) for h in r.hits))
        assert found[0] == found[1] and found[0], query
    # a Todo page is never shaped as Hudum, in the worker processes too
    with open_searcher(tmp_path / "many") as s:
        reader = s.searcher.reader()
        shaped = {d for d in reader.postings("x", "~" + _shape(TODO_WORD)).all_ids()}
        systems = {s.searcher.stored_fields(d)["ws"] for d in shaped}
        assert "mn-Mong" in systems and "xal-Mong" not in systems


def _shape(word: str) -> str:
    from library import scripts

    return scripts.mongol_shape(word, scripts.HUDUM)[1:]


def test_position_encoding_is_whoosh_s():
    from whoosh.formats import Positions

    fmt = Positions()
    for poses in ([0], [7], [1, 5, 9], [0, 1, 2, 300, 70000]):
        assert postings_write._encode_positions(poses) == fmt.encode(poses)
        assert fmt.decode_positions(postings_write._encode_positions(poses)) == poses


def test_postings_spilled_to_disk_index_the_same(tmp_path, monkeypatch):
    items = [_item(f"t{i}", [f"ཆོས་{i}་སངས་རྒྱས་ཀྱི་", "佛陀 " * (i + 1), TODO_WORD], "bo")
             for i in range(12)]
    cindex.update_items(tmp_path / "held", items)
    # every few postings exceed the pool's memory limit: sorted runs on disk, merged at commit
    monkeypatch.setattr(postings_write._TermPool, "POSTING_BYTES", 2**20)
    cindex.update_items(tmp_path / "spilled", items)
    cindex.update_items(tmp_path / "spilled", items[:3])  # replaced: merged with old segment
    for query in ("སངས་རྒྱས", "佛陀", TODO_WORD, "fotuo"):
        found = []
        for name in ("held", "spilled"):
            with open_searcher(tmp_path / name) as s:
                r = search(s, SearchRequest(query, page_size=100, time_budget=10.0))
                found.append(sorted((h.item_id, h.order) for h in r.hits))
        assert found[0] == found[1] and found[0], query


def test_rebuild_switches_generations_in_one_rename(tmp_path):
    """``index`` is a link to a complete generation; a rebuild replaces the link, keeps the
    generation it replaced for searches already open, and removes older ones."""
    import os

    from catalog.db import Catalog
    from catalog.index import rebuild, update_items
    from catalog.search import open_searcher
    from library.models import Item, Page

    index_dir = tmp_path / "index"
    item = Item(id="a-1", titles={"en": "A"}, writing_system="bo",
                pages=[Page(item_id="a-1", order=1, label="1a", text="བཀའ་འགྱུར།")])
    update_items(index_dir, [item])
    assert index_dir.is_symlink()
    first = index_dir.resolve()
    with Catalog(tmp_path / "c.sqlite") as cat:
        cat.put_item(item, version_path="items/a-1@x", source_hash="h", fixity=[])
        searcher = open_searcher(index_dir)
        rebuild(index_dir, cat)
        second = index_dir.resolve()
        assert second != first and first.is_dir()  # the replaced one stays for open searches
        assert searcher.index_dir == first
        searcher.close()
        rebuild(index_dir, cat)
    assert not first.exists() and second.is_dir()
    assert os.readlink(index_dir) == index_dir.resolve().name
    with open_searcher(index_dir) as s:
        from catalog.search import search
        assert search(s, SearchRequest("bka' 'gyur")).total == 1


def _segment_files(where, fast: bool, items) -> dict[str, bytes]:
    """Index ``items`` with Sudur's writer (``fast``) or Whoosh's own SegmentWriter and pool
    (same codec), as separate segment files; their contents by name without the segment id."""
    from whoosh import index as windex
    from whoosh.writing import SegmentWriter

    from catalog import analysis

    where.mkdir()
    ix = windex.create_in(str(where), schema.build_schema())
    if fast:
        w = postings_write.writer(ix)
    else:
        w = SegmentWriter(ix, limitmb=postings_write.WRITER_LIMIT_MB,
                          codec=postings_write._codec())
    w.compound = False
    for item in items:
        with analysis.writing_system(item.writing_system or ""):
            for doc in cindex.page_documents(item):
                w.add_document(**doc)
    w.commit()
    return {p.name.split(".", 1)[1]: p.read_bytes() for p in where.iterdir()
            if "." in p.name and not p.name.endswith(".toc")}


def test_fast_writer_writes_the_bytes_whooshs_writer_writes(tmp_path):
    """The writer's own paths (postings pooled a document at a time, posting blocks filled
    from slices) write exactly the segment files Whoosh's add_document and pool write."""
    texts = ["ཆོས་ཀྱི་སངས་རྒྱས་ཀྱི་ཆོས་", "佛陀說法 如是我聞 佛", TODO_WORD + " ᠪᠢᠴᠢᠭ ᠪᠢᠴᠢᠭ",
             "Chinggis khaan 1206"]
    # 300 pages: common terms span several posting blocks (128 postings each)
    items = [_item(f"t{i:03d}", [texts[i % 4] + f" {i}", texts[(i + 1) % 4]],
                   ("bo", "zh-Hant", "mn-Mong", "en")[i % 4]) for i in range(150)]
    fast = _segment_files(tmp_path / "fast", True, items)
    stock = _segment_files(tmp_path / "stock", False, items)
    assert set(fast) >= {"pst", "trm", "_x_len.col", "pairs.col", "_stored.col"}
    assert fast == stock
