"""Tests for catalog.querying: the shared cases (text/cases.tsv) on a tiny index, query reading,
aliases, robustness, and that analysis never touches the network."""

from __future__ import annotations

import socket
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields as wf
from whoosh import query as wq
from whoosh.filedb.filestore import RamStorage

from catalog import querying
from catalog.analysis import FIELDS, analyzer
from catalog.querying import build_query, load_aliases
from library import scripts

from text_cases import decode, load_cases

FIELD_OF = {"exact": "x", "shape": "s", "loose": "l", "translit": "tr"}


def make_index(*docs: str, ws: str | None = None):
    schema = wf.Schema(id=wf.ID(stored=True), **{
        f: wf.TEXT(analyzer=analyzer(f), phrase=True, stored=False) for f in FIELDS})
    # a name of its own: Whoosh writes the segment's columns through a temporary folder named
    # after the index in the system's temporary folder, shared with other test processes
    ix = RamStorage().create_index(schema, indexname=f"sudur-test-{uuid.uuid4().hex}")
    w = ix.writer()
    from catalog.analysis import writing_system
    with writing_system(ws):
        for i, d in enumerate(docs):
            w.add_document(id=str(i), **{f: d for f in FIELDS})
        w.commit()
    return ix


def hits(ix, q: wq.Query) -> list[str]:
    with ix.searcher() as s:
        return [h["id"] for h in s.search(q, limit=None)]


def field_part(q: wq.Query, field: str) -> wq.Query:
    """The subqueries of a build_query result that search ``field`` only."""
    subs = q.subqueries if isinstance(q, wq.Or) else [q]
    mine = [s for s in subs if {t[0] for t in s.iter_all_terms()} == {field}]
    return wq.Or(mine) if mine else wq.NullQuery


def test_every_shared_case(shared_dir):
    cases = load_cases(shared_dir)
    assert len(cases) >= 39
    failures = []
    for c in cases:
        doc = decode(c["document_codepoints"])
        qtext = decode(c["query_codepoints"])
        assert doc == c["document"] and qtext == c["query"], c["id"]
        ix = make_index(doc)
        named = [FIELD_OF[f] for f in c["fields"].split("+")]
        default, _ = build_query(qtext)
        if c["expect"] == "match":
            if hits(ix, default) != ["0"]:
                failures.append(f"{c['id']}: default search misses")
            if "x" in named and hits(ix, build_query(qtext, exact=True)[0]) != ["0"]:
                failures.append(f"{c['id']}: exact search misses")
            for f in named:
                if hits(ix, field_part(default, f)) != ["0"]:
                    failures.append(f"{c['id']}: field {f} alone misses")
        else:
            if "x" in named and hits(ix, build_query(qtext, exact=True)[0]):
                failures.append(f"{c['id']}: exact search matches")
            for f in named:
                if f != "x" and hits(ix, field_part(default, f)):
                    failures.append(f"{c['id']}: field {f} matches")
            if "s" in named:
                # key level: the shape keys of document and query differ
                doc_keys = [t.text for t in analyzer("s")(doc)]
                q_keys = [t.text for t in analyzer("s")(qtext)]
                if set(q_keys) <= set(doc_keys):
                    failures.append(f"{c['id']}: shape keys equal")
    assert not failures, failures


def test_exact_uses_only_the_exact_field():
    q, info = build_query("甘珠尔 ᠮᠣᠩᠭᠣᠯ", exact=True)
    assert {t[0] for t in q.iter_all_terms()} == {"x"}
    assert info.exact is True and info.aliases == [] and info.phrase is True


def test_fields_and_boosts():
    q, _ = build_query("ᠮᠣᠩᠭᠣᠯ")
    assert {t[0] for t in q.iter_all_terms()} == {"x", "s", "l", "tr"}
    boosts = {next(iter({t[0] for t in s.iter_all_terms()})): s.boost for s in q.subqueries}
    assert boosts["x"] > boosts["s"] > boosts["l"] > boosts["tr"]
    ix = make_index("ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ")
    assert hits(ix, q) == ["0"]


def test_multi_token_query_is_a_phrase():
    ix = make_index("ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ", "ᠪᠢᠴᠢᠭ ᠮᠣᠩᠭᠣᠯ")
    q, info = build_query("ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ")
    assert info.phrase is True
    assert hits(ix, q) == ["0"]
    ix = make_index("混沌未分天地亂", "天分未混沌")
    assert hits(ix, build_query("未分")[0]) == ["0"]


def test_wylie_queries():
    ix = make_index("བཀའ་འགྱུར། སངས་རྒྱས་ཀྱི་", "གེ་སར་རྒྱལ་པོ", "ཆོས")
    q, info = build_query("bka' 'gyur")
    assert info.transliteration == "wylie"
    assert info.converted["wylie"] == "བཀའ་འགྱུར"
    assert hits(ix, q) == ["0"]
    # unspaced Wylie is cut into syllables
    q, info = build_query("bka'gyur")
    assert info.converted["wylie"] == "བཀའ་འགྱུར"
    assert hits(ix, q) == ["0"]
    q, info = build_query("Gesar")
    assert "1" in hits(ix, q)
    assert querying.segment_wylie("Gesar") == ("ge", "sar")
    assert querying.segment_wylie("sangsrgyas") == ("sangs", "rgyas")
    assert querying.segment_wylie("hello!") == ()
    assert "wylie" not in build_query("hello world")[1].converted
    # the EWTS-converted Tibetan is searched in the script fields
    assert hits(ix, field_part(build_query("sangs rgyas")[0], "x")) == ["0"]


def test_pinyin_queries():
    ix = make_index("江格尔是卫拉特蒙古的英雄史诗", "甘珠爾", "唐三藏")
    q, info = build_query("ganzhuer")
    assert info.transliteration == "pinyin"
    assert info.converted["pinyin"] == "gan zhu er"
    assert hits(ix, q) == ["1"]
    assert hits(ix, build_query("san zang")[0]) == ["2"]
    assert hits(ix, build_query("weilate")[0]) == ["0"]
    assert querying.segment_pinyin("xian") == ("xian",)
    assert querying.segment_pinyin("Mongol") == ()


def test_cyrillic_queries():
    ix = make_index("ᠮᠣᠩᠭᠣᠯ", "ᠵᠠᠩᠭᠠᠷ")
    q, info = build_query("Жангар")
    assert info.transliteration == "cyrillic" and info.scripts == ["cyrillic"]
    assert hits(ix, q) == ["1"]


def test_aliases_expand_across_scripts():
    ix = make_index("格斯爾傳", "ᠭᠡᠰᠡᠷ ᠬᠠᠭᠠᠨ", "བཀའ་འགྱུར", "Kanjur", "ᠵᠠᠩᠭᠠᠷ")
    q, info = build_query("Geser")
    assert "格斯尔" in info.aliases
    assert set(hits(ix, q)) >= {"0", "1"}
    q, info = build_query("Kangyur")
    assert set(hits(ix, q)) >= {"2", "3"}
    q, _ = build_query("甘珠尔")
    assert set(hits(ix, q)) >= {"2", "3"}
    # no expansion in exact mode
    assert build_query("Geser", exact=True)[1].aliases == []


def _alias_file(tmp_path, text):
    path = tmp_path / "aliases.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_library_alias_file_extends_the_builtin(tmp_path):
    path = _alias_file(tmp_path, "# ours\nZanabazar\t扎那巴扎尔\tᠵᠠᠨᠠᠪᠠᠵᠠᠷ\n")
    al = load_aliases(path)
    assert al.lookup("zanabazar") == ("Zanabazar", "扎那巴扎尔", "ᠵᠠᠨᠠᠪᠠᠵᠠᠷ")
    assert "Gesar" in al.lookup("Geser")
    _, info = build_query("Zanabazar", aliases_path=path)
    assert info.aliases == ["扎那巴扎尔", "ᠵᠠᠨᠠᠪᠠᠵᠠᠷ"]
    # a missing file means the built-in list alone
    assert load_aliases(tmp_path / "none.tsv").lookup("Geser")
    assert load_aliases(tmp_path / "none.tsv").lookup("Zanabazar") == ()


def test_library_alias_line_merges_into_the_builtin_concept(tmp_path):
    path = _alias_file(tmp_path, "Janggar\tJangar\tЖангар\n")
    spellings = load_aliases(path).lookup("Janggar")
    builtin = load_aliases().lookup("Jangar")
    assert spellings[:len(builtin)] == builtin          # built-in first, then the new one
    assert spellings[len(builtin):] == ("Janggar",)
    assert load_aliases(path).lookup("江格尔") == spellings
    # a malformed line (one spelling, no removal) is ignored, not raised on
    assert load_aliases(_alias_file(tmp_path, "Lonely\n")).lookup("Jangar") == builtin


def test_library_alias_file_removes_a_spelling(tmp_path):
    assert "Kesar" in load_aliases().lookup("Geser")
    al = load_aliases(_alias_file(tmp_path, "-Kesar\n"))
    geser = al.lookup("Geser")
    assert "Kesar" not in geser and "Gesar" in geser and "格斯尔" in geser


def test_library_alias_file_removes_a_whole_concept(tmp_path):
    al = load_aliases(_alias_file(tmp_path, "-Geser\t*\n"))
    assert al.lookup("Geser") == () and al.lookup("格斯尔") == ()
    assert al.lookup("Jangar")
    _, info = build_query("Geser", aliases_path=tmp_path / "aliases.tsv")
    assert info.aliases == []


def test_library_alias_file_change_on_disk_is_picked_up(tmp_path):
    path = _alias_file(tmp_path, "-Kesar\nZanabazar\t扎那巴扎尔\n")
    al = load_aliases(path)
    assert al.lookup("Zanabazar") and "Kesar" not in al.lookup("Gesar")
    path.write_text("Undur Gegeen\t温都尔格根\n", encoding="utf-8")   # new mtime and size
    al = load_aliases(path)
    assert al.lookup("Zanabazar") == () and "Kesar" in al.lookup("Gesar")
    assert al.lookup("Undur Gegeen") == ("Undur Gegeen", "温都尔格根")


def test_a_todo_document_is_found_by_its_romanisation():
    # the document declares its writing system; a query declares none (its letters decide)
    ix = make_index("\u1834\u1820\u1837", ws="xal-Mong")   # Todo "zar"
    assert hits(ix, build_query("zar")[0]) == ["0"]
    q, info = build_query("\u1834\u1820\u1837")
    assert info.scripts == ["hudum"]


@pytest.mark.parametrize("text", [
    "", "   ", "!!!", '"', '"unbalanced', "(a OR b", "title:foo", "a* ?b [c TO d] {e}", "NOT",
    "AND OR NOT", "x" * 10_000, "ᠮ" * 10_000, "甘" * 10_000, "bka'" * 3000, "\ud800abc",
    "a\x00b", "\u202f\u180e\u200d", "^2 ~3 \\",
])
def test_hostile_queries_never_raise(text):
    q, info = build_query(text)
    assert isinstance(q, wq.Query)
    assert len(info.text) <= querying.MAX_QUERY_CHARS
    ix = make_index("ᠮᠣᠩᠭᠣᠯ 甘珠爾 title foo")
    hits(ix, q)


def test_long_queries_are_capped():
    q, info = build_query("甘" * 10_000)
    assert info.truncated is True
    terms = [t for t in q.iter_all_terms() if t[0] == "x"]
    assert 0 < len(terms) <= querying.MAX_QUERY_TOKENS


def test_syntax_characters_are_plain_text():
    ix = make_index("title foo", "foo bar")
    assert hits(ix, build_query("title:foo")[0]) == ["0"]
    assert hits(ix, build_query("foo AND")[0]) == []   # "and" is a word, not an operator


_SCRIPTS_TEXT = st.text(alphabet=st.one_of(
    st.characters(min_codepoint=0x1800, max_codepoint=0x18AF),
    st.characters(min_codepoint=0x0F00, max_codepoint=0x0FFF),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80),
    st.sampled_from(list("abgkmnrsy'.+~ \"():*?^- ་")),
), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=80), _SCRIPTS_TEXT))
def test_build_query_never_raises(text):
    q, info = build_query(text)
    assert isinstance(q, wq.Query) and isinstance(info, querying.Understood)


def test_no_network_during_analysis_and_queries(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access during analysis")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # cold caches and lazily loaded converters, so every code path really runs under the patch
    monkeypatch.setattr(scripts, "_OPENCC", None)
    monkeypatch.setattr("library.tibetan._EWTS", None)
    monkeypatch.setattr(scripts, "_PINYIN_DICT", None)
    for fn in (scripts.token_keys, scripts.han_loose, scripts.han_readings, scripts.tibetan_wylie,
               scripts.mongol_shape, scripts.pinyin_syllables, querying.segment_pinyin,
               querying.segment_wylie, querying._load_cached):
        fn.cache_clear()
    text = "ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ ᠬᠠᠷ᠎ᠠ བཀའ་འགྱུར། སངས་རྒྱས 甘珠爾西遊記唐三藏 Mongol Монгол ᡐᡄᡊᡎᡅ"
    for f in FIELDS:
        assert list(analyzer(f)(text))
    for qtext in ("Gesar", "bka'gyur", "ganzhuer", "格斯爾", "Жангар", text):
        q, _ = build_query(qtext)
        assert q is not wq.NullQuery


def test_pinyin_with_tones_and_v():
    ix = make_index("西遊記", "綠女")
    assert hits(ix, build_query("Xīyóujì")[0]) == ["0"]
    assert hits(ix, build_query("xi1you2ji4")[0]) == ["0"]
    assert hits(ix, build_query("lvnv")[0]) == ["1"]


def test_ala_lc_tibetan_input():
    ix = make_index("བཀའ་འགྱུར")
    q, info = build_query("bkaʼ ʼgyur")
    assert info.converted["wylie"] == "བཀའ་འགྱུར"
    assert hits(ix, field_part(q, "x")) == ["0"]


def test_han_readings_in_tr_as_phrases_or_sequence():
    ix = make_index("乾隆", "乾乾乾乾乾", "三藏")
    # characters are searched by sound only when the user asks (issue 12)
    q, _ = build_query("sound:乾隆")
    assert hits(ix, field_part(q, "tr")) == ["0"]
    # 2**5 reading combinations: a span query instead of 32 phrases
    q, _ = build_query("sound:乾乾乾乾乾")
    tr = field_part(q, "tr")
    assert any(isinstance(n, wq.Sequence) for n in tr.children())
    assert hits(ix, tr) == ["1"]
    assert hits(ix, build_query("qianlong")[0]) == ["0"]


def test_menksoft_query_is_converted():
    ix = make_index("ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ")
    legacy = "".join(chr(int(h, 16)) for h in "E2F2 E289 E2BC E2EC E289 E2F9".split())
    q, info = build_query(legacy)
    assert info.text == "ᠮᠣᠩᠭᠣᠯ"
    assert hits(ix, build_query(legacy, exact=True)[0]) == ["0"]
