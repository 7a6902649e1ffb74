"""The search benchmark's FTS5 peer answers needles shorter than a trigram (issue 12: with
SQLite 3.40 its LIKE fallback found nothing for them, so it timed empty answers)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_search  # noqa: E402


def _table() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE pages USING fts5(id UNINDEXED, body, tokenize='trigram')")
    con.executemany("INSERT INTO pages VALUES (?,?)", [
        ("a.1", "བྱང་ཆུབ་སེམས་དཔའ།"), ("a.2", "心經空"), ("a.3", "Fo guang shan"), ("a.4", "無")])
    return con


def test_short_needles_are_found_with_their_total():
    con = _table()
    for needle, page in (("ཆུ", "a.1"), ("心", "a.2"), ("fo", "a.3"), ("FO", "a.3")):
        hits, total = bench_search.fts5_first_page(con, [needle], total=True)
        assert [h[0] for h in hits] == [page] and total == 1, needle
        assert needle.lower() in hits[0][1].lower()
    hits, total = bench_search.fts5_first_page(con, ["心", "ཆུ"], total=True)
    assert sorted(h[0] for h in hits) == ["a.1", "a.2"] and total == 2


def test_long_needles_use_the_trigram_index():
    hits, total = bench_search.fts5_first_page(_table(), ["སེམས"], total=True)
    assert [h[0] for h in hits] == ["a.1"] and total == 1 and "<mark>" in hits[0][1]


def test_a_peer_total_out_of_reason_is_told_apart():
    assert bench_search._agrees(0, 0) and bench_search._agrees(300, 120)
    assert not bench_search._agrees(0, 531) and not bench_search._agrees(2, 275)


def test_query_language_classes_are_seeded_read_and_asked_of_fts5():
    from catalog.query_syntax import parse

    classes = bench_search.operator_queries()
    assert classes == bench_search.operator_queries()  # fixed seed: the same queries every run
    assert set(classes) == {"boolean", "NEAR"} and all(len(qs) >= 10 for qs in classes.values())
    boolean = list(classes["boolean"])
    for mark in (" OR ", " -", " NOT "):
        assert any(mark in q for q in boolean), mark
    assert any(q.endswith("*") for q in boolean) and any(
        len(q.split()) == 2 and "OR" not in q and "-" not in q for q in boolean)
    assert all(" NEAR/" in q for q in classes["NEAR"])
    con = _table()
    for qs in classes.values():
        for q, ask in qs.items():
            parse(q, strict=True)  # raises on anything the query language cannot read
            assert ask[0] in q.lower() or ask[0] == "and" and len(q.split()) == 2 \
                or ask[0] == "not" and " -" in q or ask[0] == "prefix" and q.endswith("*")
            hits, total = bench_search.fts5_match(con, bench_search.fts5_expression(ask), total=True)
            assert total == len(hits)


def test_fts5_expressions_mean_what_the_sudur_queries_do():
    con = _table()
    assert bench_search.fts5_match(con, '"སེམས" AND "དཔའ"', total=True)[1] == 1
    assert bench_search.fts5_match(con, '"སེམས" NOT "དཔའ"', total=True)[1] == 0
    assert bench_search.fts5_match(con, 'NEAR("བྱང" "སེམས", 12)', total=True)[1] == 1
    assert bench_search.fts5_expression(("near", "a", "b", 5)) == \
        f'NEAR("a" "b", {5 * bench_search.TRIGRAMS_PER_WORD})'
    assert bench_search.fts5_expression(("not", "a", "b", 0)) == '"a" NOT "b"'


def test_every_benchmark_query_is_one_a_strict_request_accepts():
    from catalog.query_syntax import parse

    sets = bench_search.queries(bench_search.corpus(200, 300))
    assert {"boolean", "NEAR", "single word", "alias"} <= set(sets)
    for qs in sets.values():
        for q in qs:
            parse(q, strict=True)
