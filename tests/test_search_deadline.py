"""Every search has a hard deadline (issue 11, point 15): past it, a search returns what it
has, marked partial; relevance scores a capped set of candidates; a term repeated in a query
is read once.

The clock here is a counter of the deadline's own checks, not wall time: a search given a
deadline of k ticks must stop within a few checks of the k-th, which shows every loop it ran
asks the deadline and stops, whatever the machine's load.
"""
from __future__ import annotations

import dataclasses
import json
import random

import pytest
from click.testing import CliRunner

from catalog import index as cindex, matching, relevance
from catalog.deadline import Deadline
from catalog.search import SearchRequest, autocomplete, open_searcher, page_matches, search
from library.cli import cli
from library.models import Item, Page
from viewer import create_app

WORDS = ["jangar", "geser", "khan", "the", "of", "and", "steppe", "horse", "song", "bold"]


class Ticks:
    """A clock that advances one unit each time it is read."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> float:
        self.now += 1
        return float(self.now)


def _ticking(n: int) -> Deadline:
    return Deadline(n, clock=Ticks())


@pytest.fixture(scope="module")
def big_index(tmp_path_factory):
    """Two items of 400 pages each, every page holding the common words many times."""
    rng = random.Random(5)
    items = []
    for k in range(2):
        it = Item(id=f"epic-{k}", titles={"en": f"Epic {k}"}, writing_system="en",
                  collections=["c"], languages=["en"])
        it.pages = []
        for i in range(400):
            words = WORDS + [rng.choice(WORDS) for _ in range(50)]  # each word on every page
            rng.shuffle(words)
            it.pages.append(Page(item_id=it.id, order=i + 1, label=str(i + 1),
                                 text=" ".join(words)))
        items.append(it)
    d = tmp_path_factory.mktemp("deadline") / "index"
    cindex.update_items(d, items)
    return d


def test_search_past_the_deadline_is_partial_and_stops(big_index):
    with open_searcher(big_index) as s:
        unlimited = Deadline(None)
        full = search(s, SearchRequest("the", page_size=100, time_budget=1e6),
                      deadline=unlimited)
        assert not full.partial and full.total == 800
        dl = _ticking(3)
        r = search(s, SearchRequest("the", page_size=100, time_budget=1e6), deadline=dl)
    assert r.partial and r.to_json()["partial"] is True
    assert len(r.hits) < len(full.hits)
    assert dl.checks <= 12 < unlimited.checks


@pytest.mark.parametrize("sort", ["reading", "relevance"])
def test_phrase_of_common_words_stops_at_the_deadline(big_index, sort):
    q = " ".join(["jangar geser khan the"] * 16)
    with open_searcher(big_index) as s:
        unlimited = Deadline(None)
        search(s, SearchRequest(q, sort=sort, time_budget=1e6), deadline=unlimited)
        dl = _ticking(4)
        r = search(s, SearchRequest(q, sort=sort, time_budget=1e6), deadline=dl)
    assert r.partial
    assert dl.checks <= 12 < unlimited.checks


def test_relevance_scores_at_most_the_capped_candidates(big_index, monkeypatch):
    monkeypatch.setattr(relevance, "MAX_CANDIDATES", 30)
    with open_searcher(big_index) as s:
        r = search(s, SearchRequest("horse", sort="relevance", page_size=100,
                                    time_budget=1e6))
        reading = search(s, SearchRequest("horse", page_size=100, time_budget=1e6))
    assert reading.total > 30
    assert len(r.hits) == 30  # the first 30 candidates, scored, best first
    assert {(h.item_id, h.order) for h in r.hits} == {
        (h.item_id, h.order) for h in reading.hits[:30]}
    scores = [h.score for h in r.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


def test_page_matches_past_the_deadline_is_partial(big_index):
    with open_searcher(big_index) as s:
        req = SearchRequest("the", item="epic-1")
        full = page_matches(s, req, deadline=Deadline(None))
        dl = _ticking(3)
        cut = page_matches(s, req, deadline=dl)
    assert len(full) == 400 and not full.partial
    assert cut.partial and len(cut) < len(full)
    assert dl.checks <= 12


def test_autocomplete_past_the_deadline_stops(big_index):
    with open_searcher(big_index) as s:
        req = SearchRequest("s", item="epic-0")
        unlimited = Deadline(None)
        assert dict(autocomplete(s, req, deadline=unlimited)) == {"steppe": 400, "song": 400}
        dl = _ticking(1)
        autocomplete(s, req, deadline=dl)
    assert dl.hit and dl.checks < unlimited.checks


def test_repeated_terms_are_read_once(big_index, monkeypatch):
    """A phrase of one word 64 times opens that word's postings no more often than the word
    twice (its positions stay meaningful: the pages must hold it 64 times in a row)."""
    opened = []
    real = matching.postings

    def counting(reader, field, term):
        opened.append((field, term))
        return real(reader, field, term)

    monkeypatch.setattr(matching, "postings", counting)
    with open_searcher(big_index) as s:
        r = search(s, SearchRequest(" ".join(["horse"] * 64), time_budget=1e6))
        many = len(opened)
        opened.clear()
        search(s, SearchRequest("horse horse", time_budget=1e6))
        two = len(opened)
    assert r.total == 0 and not r.partial
    assert 0 < many <= two


def test_repeated_phrase_needs_every_repeat(tmp_path):
    """Repeats in a phrase are positions: collapsing must not change what matches."""
    it = Item(id="ha", titles={"en": "Laughter"}, writing_system="en", collections=["c"],
              languages=["en"])
    it.pages = [Page(item_id="ha", order=1, label="1", text="ha ha ha said the khan"),
                Page(item_id="ha", order=2, label="2", text="ha said the khan ha")]
    cindex.update_items(tmp_path / "ix", [it])
    with open_searcher(tmp_path / "ix") as s:
        assert [h.order for h in search(s, SearchRequest("ha ha ha")).hits] == [1]
        assert [h.order for h in search(s, SearchRequest("ha")).hits] == [1, 2]
        assert search(s, SearchRequest("ha ha ha ha")).hits == []


def test_the_deadline_is_a_setting_carried_by_every_request(sample_library):
    lib = dataclasses.replace(sample_library, search_deadline=0.25)
    assert SearchRequest.create("x", lib).deadline == 0.25
    assert SearchRequest.from_args({"q": "x"}, lib).deadline == 0.25
    assert SearchRequest.from_args({"q": "x"}, lib, item="a").deadline == 0.25
    assert SearchRequest("x").deadline is None  # a library caller's search is unbounded


@pytest.fixture()
def hurried(sample_library):
    """The sample library with a deadline that has passed before any search starts."""
    lib = dataclasses.replace(sample_library, search_deadline=0.0)
    return create_app({"SUDUR_SETTINGS": lib, "TESTING": True}).test_client()


def test_web_searches_past_the_deadline_say_partial(hurried, sample_library):
    # the control: a deadline no loaded test machine reaches
    roomy = create_app({"SUDUR_SETTINGS": dataclasses.replace(sample_library,
                                                              search_deadline=60.0),
                        "TESTING": True}).test_client()
    assert roomy.get("/api/search?q=Gesar").get_json()["partial"] is False
    assert "incomplete" not in roomy.get("/search?q=Gesar").get_data(as_text=True)
    data = hurried.get("/api/search?q=Gesar").get_json()
    assert data["partial"] is True
    data = hurried.get("/api/search?q=Gesar&sort=relevance").get_json()
    assert data["partial"] is True
    page = hurried.get("/search?q=Gesar").get_data(as_text=True)
    assert "incomplete" in page


def test_item_and_content_searches_past_the_deadline_answer(hurried):
    item = "kangyur-vol-1"
    data = hurried.get(f"/api/items/{item}/search?q=a").get_json()
    assert data["partial"] is True
    for path in ("search", "search1", "autocomplete"):
        resp = hurried.get(f"/iiif/{item}/{path}?q=a")
        assert resp.status_code == 200, resp.get_data(as_text=True)[:200]
        assert "partial" not in json.loads(resp.get_data(as_text=True))


def test_cli_search_past_the_deadline_says_partial(sample_library, monkeypatch):
    monkeypatch.setenv("SUDUR_SEARCH_DEADLINE", "0")
    res = CliRunner().invoke(cli, ["--library", str(sample_library.library), "search",
                                   "Gesar", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["partial"] is True
    res = CliRunner().invoke(cli, ["--library", str(sample_library.library), "search",
                                   "Gesar", "--relevance"])
    assert res.exit_code == 0 and "incomplete" in res.output


def test_a_long_phrase_with_two_keys_a_position_is_planned_at_once():
    """A 64-token phrase whose every position has two index terms (the exact key and the
    loose one) is planned without expanding its 2**64 combinations (the search hung)."""
    import signal

    from whoosh import query as wq

    from catalog.terms import plan_of

    def alternatives(field: str) -> wq.Sequence:
        return wq.Sequence([wq.Or([wq.Term(field, w), wq.Term(field, "\x01" + w)])
                            for w in ["jangar", "geser", "khan", "the"] * 16])

    def hung(*_):
        raise TimeoutError("plan_of ran for 10 s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        plan = plan_of(wq.Or([alternatives("x"), alternatives("tr")]))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert len(plan) == 2 and all(len(seq) == 64 for seq in plan)
