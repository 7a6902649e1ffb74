"""Tests for catalog.matching: the reading-order matcher against Whoosh's own, and the pair
filter (it never loses a match, it spares position checks, and what it relies on holds)."""

from __future__ import annotations

import pytest

from whoosh import query as wq

from catalog import analysis, index as cindex, matching, pairs, terms
from catalog.querying import build_query
from catalog.search import SearchRequest, open_searcher, page_matches, search

from test_search import _item


@pytest.mark.parametrize("lazy_steps,first_window,max_window", [(128, 512, 4096), (0, 2, 3),
                                                                  (3, 1, 5)])
def test_reading_order_matcher_agrees_with_whoosh(tmp_path, monkeypatch, lazy_steps,
                                                  first_window, max_window):
    # small windows and an early switch to bulk checking exercise every path on a small index
    monkeypatch.setattr(matching, "_LAZY_STEPS", lazy_steps)
    monkeypatch.setattr(matching, "_FIRST_WINDOW", first_window)
    monkeypatch.setattr(matching, "_MAX_WINDOW", max_window)
    pages = ["乾隆三年西遊記乾乾隆", "ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ ᠭᠡᠰᠡᠷ ᠬᠠᠭᠠᠨ", "གེ་སར་རྒྱལ་པོ། བཀའ་འགྱུར",
             "Geser Gesar Гэсэр 格斯尔", "隆乾 西遊", "ᠭᠡᠰᠡᠷ ᠮᠣᠩᠭᠣᠯ", "mongol bka' 'gyur"] * 3
    cindex.update_items(tmp_path / "ix", [_item("a", pages), _item("b", pages[::-1], "mn-Mong")])
    with open_searcher(tmp_path / "ix") as s:
        reader = s.searcher.reader()
        for text in ("乾隆", "乾乾乾乾乾", "qianlong", "Gesar", "ᠮᠤᠩᠭᠤᠯ ᠤᠨ", "bka'gyur", "西遊",
                     "ganzhuer", "Mongol", "nothing here", "ᠭᠡᠰᠡᠷ", "西遊記乾"):
            q, _ = build_query(text, field_map=analysis.QUERY_FIELD_MAP)
            iq = terms.index_query(q, reader)
            plan = terms.plan_of(iq)
            assert plan is not None, text
            scanned = matching.scan(reader, plan, [], 0, None)
            mine = scanned.matched
            assert scanned.complete and scanned.exact_upto == reader.doc_count_all()
            assert mine == sorted(s.searcher.docs_for_query(iq)), text
            restrict = [wq.Term("item", "b")]
            mine_b = matching.scan(reader, plan, restrict, 0, None).matched
            ref_b = sorted(s.searcher.docs_for_query(wq.And([iq] + restrict)))
            assert mine_b == ref_b, text
            assert [(h.item_id, h.order) for h in page_matches(s, SearchRequest(text, item="b"))] == [
                (s.searcher.stored_fields(d)["item"], s.searcher.stored_fields(d)["order"])
                for d in ref_b if s.searcher.stored_fields(d)["kind"] == "page"]
        assert search(s, SearchRequest("Gesar", time_budget=5.0)).total == len(
            list(s.searcher.docs_for_query(terms.index_query(
                build_query("Gesar", field_map=analysis.QUERY_FIELD_MAP)[0], reader))))


def test_pair_filter_holds_every_adjacent_pair():
    from catalog.schema import WSText, _postings

    text = "བྱང་ཆུབ་སེམས་དཔའ 重宋被 ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ Mongol"
    stored = _postings(WSText(text, "bo"))[2]
    assert len(stored) % 2 == 0 and len(stored) >= 2 * 10
    needle = pairs.pair_needle
    tokens = list(analysis.token_spans(text, "bo"))
    h = pairs.key_hash
    for (_, _, ka, ta, sa), (_, _, kb, tb, sb) in zip(tokens, tokens[1:]):
        sa, sb = (sa if ka == "mong" else None), (sb if kb == "mong" else None)
        la, lb = analysis.index_keys(ka, ta, sa)[1][0], analysis.index_keys(kb, tb, sb)[1][0]
        assert pairs.pairs_ok(stored, [(needle(pairs.loose_pair_hash(h(la), h(lb))),)])
        if "han" not in (ka, kb):  # (pairs.unpaired_group)
            (a,), (b,) = analysis.index_terms(ka, ta, sa)[1], analysis.index_terms(kb, tb, sb)[1]
            assert pairs.pairs_ok(stored, [(needle(pairs.tr_pair_hash(h(a), h(b))),)])
    # a sequence with a Han transliteration term is not narrowed by transliteration pairs
    assert pairs.position_hashes((("tr", "Hzhong"), ("tr", "Hchong"))) is None
    # a text of one token has no pair, and passes no constraint
    assert pairs.pair_filter([]) == b""
    assert not pairs.pairs_ok(b"", [(needle(1),)])


def test_loose_key_follows_the_exact_key_where_the_filter_relies_on_it(shared_dir):
    """For Han and Tibetan the filter reads an exact-only term's loose key off the exact key:
    that holds only if tokens with one exact key all have one loose key."""
    import re as _re


    kangyur = sorted((shared_dir / "corpora" / "derge-kangyur-esukhia" / "text").glob("*.txt"))
    text = kangyur[0].read_text(encoding="utf-8")[:400_000]
    cbeta = next(iter(sorted((shared_dir / "corpora" / "cbeta-xml-p5").rglob("*.xml"))))
    text += _re.sub(r"<[^>]+>", "", cbeta.read_text(encoding="utf-8"))[:200_000]
    loose_of_exact: dict[str, set[str]] = {}
    checked = 0
    for m in analysis.TOKEN_RE.finditer(text):
        if m.lastgroup not in terms.LOOSE_FOLLOWS_EXACT:
            continue
        xs, loose, _ = analysis.index_keys(m.lastgroup, m.group(), None)
        for x in xs:
            loose_of_exact.setdefault(x, set()).add(loose[0])
            assert terms.loose_key_of(analysis.X_ONLY + x) == loose[0], m.group()
        checked += 1
    assert checked > 10_000
    assert all(len(v) == 1 for v in loose_of_exact.values())


@pytest.fixture(scope="module")
def common_index(tmp_path_factory):
    """Pages drawn from a small vocabulary, so that every token is common and rare phrases
    of common tokens abound (the case the pair filter is for)."""
    import random

    rng = random.Random(11)
    tib = "ཀ ཁ ག ང ཅ ཆ ཇ ཉ ཏ ཐ ད ན པ ཕ བ མ ཙ ཚ ཛ ཝ ཞ ཟ འ ཡ ར ལ ཤ ས ཧ ཨ དུ ཀྱིས ནས ཀྱི".split()
    han = list("之不以而也其者於為人一是有無所曰子重宋被相取羅殞")
    items = []
    for n in range(6):
        ws = "bo" if n % 2 == 0 else "zh-Hant"
        pages = []
        for _ in range(120):
            if ws == "bo":
                pages.append("་".join(rng.choice(tib) for _ in range(60)) + "།")
            else:
                pages.append("".join(rng.choice(han) for _ in range(60)))
        items.append(_item(f"c{n}", pages, ws))
    d = tmp_path_factory.mktemp("common") / "index"
    cindex.update_items(d, items)
    return d, tib, han, rng


def test_pair_filter_never_loses_a_match(common_index, monkeypatch):
    d, tib, han, rng = common_index
    monkeypatch.setattr(matching, "_LAZY_STEPS", 4)  # reach the filtered mode early
    queries = (["་".join(rng.choice(tib) for _ in range(rng.randint(2, 5))) for _ in range(60)]
               + ["".join(rng.choice(han) for _ in range(rng.randint(2, 5))) for _ in range(60)]
               + ["du kyis", "zhong song", "bu yi"])
    with open_searcher(d) as s:
        reader = s.searcher.reader()
        pairs_of = pairs.pair_table(s)
        found_some = 0
        for text in queries:
            q, _ = build_query(text, field_map=analysis.QUERY_FIELD_MAP)
            iq = terms.index_query(q, reader)
            plan = terms.plan_of(iq)
            assert plan is not None, text
            with_filter = matching.scan(reader, plan, [], 0, None, pairs_of).matched
            without = matching.scan(reader, plan, [], 0, None).matched
            assert with_filter == without == sorted(s.searcher.docs_for_query(iq)), text
            restrict = [wq.Term("item", "c2")]
            assert matching.scan(reader, plan, restrict, 0, None, pairs_of).matched == \
                matching.scan(reader, plan, restrict, 0, None).matched, text
            found_some += bool(with_filter)
        assert found_some > 30


def test_pair_filter_spares_the_position_checks(common_index):
    d, tib, han, rng = common_index
    with open_searcher(d) as s:
        reader = s.searcher.reader()
        pairs_of = pairs.pair_table(s)
        for text in ("ཀ་ཁ་ག་ང་ཅ", "之不以而也"):  # sequences of common tokens that no page holds
            q, _ = build_query(text, field_map=analysis.QUERY_FIELD_MAP)
            plan = terms.plan_of(terms.index_query(q, reader))
            assert matching.scan(reader, plan, [], 0, None, pairs_of).matched == []
            narrowed = [seq for seq in plan if pairs.pair_constraints(seq)]
            assert narrowed, plan
            for seq in narrowed:
                holding_all = set(range(reader.doc_count_all()))
                for alts in seq:
                    here: set[int] = set()
                    for f, t in alts:
                        here.update(reader.postings(f, t).all_ids())
                    holding_all &= here
                constraints = pairs.pair_constraints(seq)
                passing = [x for x in holding_all if pairs.pairs_ok(pairs_of[x], constraints)]
                # most pages hold every token; far fewer pass the filter to have positions
                # read (with 24 characters, a pair of readings is on many pages by chance)
                assert len(holding_all) > 100 and len(passing) < len(holding_all) / 3, \
                    (text, seq, len(holding_all), len(passing))


def test_pair_filter_read_from_disk_for_large_indexes(common_index, monkeypatch):
    d, tib, han, rng = common_index
    monkeypatch.setattr(pairs, "PAIRS_IN_MEMORY_MAX_DOCS", 10)
    with open_searcher(d) as s:
        table = pairs.pair_table(s)
        assert not isinstance(table, list)
        reader = s.searcher.reader()
        for text in ("ཀ་ཁ་ག", "之不以", "ཀྱིས་ནས"):
            q, _ = build_query(text, field_map=analysis.QUERY_FIELD_MAP)
            plan = terms.plan_of(terms.index_query(q, reader))
            assert matching.scan(reader, plan, [], 0, None, table).matched == \
                matching.scan(reader, plan, [], 0, None).matched
