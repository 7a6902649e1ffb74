"""Multi-volume works (issue 15): declared in collections.json, checked with path and line, kept
in the catalogue, searched as one, served as a IIIF multi-part Collection with divisions across
volumes, Content Search over the work, the work page, and reading across a volume boundary.

The sample's work is kangyur-sher-phyin: volumes ka, kha, ga (kangyur-vol-1 to -3); its second
division runs from kha 1b to ga 1b, and ཡི་གེ་ཉུང་ངུ occurs only in volumes kha and ga.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.db import Catalog
from library.cli import cli
from library.models import Division, Volume, Work, WorkPlace, work_from_dict, to_dict
from library.store import Store

from iiif_samples import assert_prezi_valid, assert_search2_valid, prezi_validator
from test_check_report import item, pbs, two

WORK = "kangyur-sher-phyin"
VOLS = ["kangyur-vol-1", "kangyur-vol-2", "kangyur-vol-3"]
FEW = "ཡི་གེ་ཉུང་ངུ"  # only in volumes kha and ga


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


# --- the record -----------------------------------------------------------------------------

def test_a_work_round_trips_through_its_json_form():
    work = Work(id="w", titles={"en": "W"}, volumes=[Volume("a", "ka"), Volume("b", "kha")],
                divisions=[Division({"en": "D"}, WorkPlace("ka", "1b"), WorkPlace("kha", "2"))])
    again = work_from_dict(json.loads(json.dumps(to_dict(work))))
    assert again == work
    assert again.volume_of("b").label == "kha" and again.volume_labelled("ka").item == "a"
    assert again.volume_of("zz") is None


# --- declaring a work in a batch --------------------------------------------------------------

def _batch(tmp_path: Path, groups: object, ids=("vol-a", "vol-b")) -> Path:
    batch = tmp_path / "batch"
    for i in ids:
        item(batch, i, pbs("images/0001.png", "images/0002.png"), two())
    text = groups if isinstance(groups, str) else json.dumps(groups, indent=2)
    (batch / "collections.json").write_text(text, encoding="utf-8")
    return batch


def _work(**changes) -> dict:
    work = {"id": "set", "titles": {"en": "A set"},
            "volumes": [{"item": "vol-a", "label": "1"}, {"item": "vol-b", "label": "2"}],
            "divisions": [{"title": {"en": "Across"}, "start": {"volume": "1", "page": "2"},
                           "end": {"volume": "2", "page": 1}}]}
    work.update(changes)
    return work


BAD_WORKS = [
    (_work(volumes=[{"item": "vol-a", "label": "1"}, {"item": 7, "label": "2"}]),
     "works[0].volumes[1].item: expected an item id, got a number (line 14)"),
    (_work(volumes=[{"item": "vol-a", "label": "1"}, {"item": "vol-b", "label": "1"}]),
     'works[0].volumes[1].label: "1" is already the label of another volume (line 14)'),
    (_work(volumes=[]), "works[0].volumes: expected a list of volumes"),
    (_work(id="Set!"), "works[0].id: expected a work id"),
    (_work(divisions=[{"title": {"en": "D"}, "start": {"volume": "9", "page": "1"},
                       "end": {"volume": "2", "page": "1"}}]),
     'works[0].divisions[0].start.volume: "9" is not the label of a volume of this work'),
    (_work(divisions=[{"title": {"en": "D"}, "start": {"volume": "2", "page": "1"},
                       "end": {"volume": "1", "page": "1"}}]),
     "works[0].divisions[0]: ends in a volume before the one it starts in"),
    (_work(titles={"en": 5}), "works[0].titles.en: expected a string"),
    (_work(volume=[]), "works[0].volume: unknown key"),
]


@pytest.mark.parametrize("work, message", BAD_WORKS, ids=[m[:40] for _, m in BAD_WORKS])
def test_a_bad_work_is_refused_with_its_path_and_line(tmp_path, work, message):
    batch = _batch(tmp_path, {"collections": [], "works": [work]})
    lib = ["--library", str(tmp_path / "lib")]
    for command in (["check", str(batch), "--no-schema"], ["ingest", str(batch)]):
        res = run(lib + command)
        assert res.exit_code == 2 and f"collections.json: {message}" in res.stderr, res.stderr
    assert not (tmp_path / "lib" / "catalog.sqlite").exists()


def test_an_object_without_collections_or_works_is_refused(tmp_path):
    batch = _batch(tmp_path, {"works_": []})
    res = run(["--library", str(tmp_path / "lib"), "check", str(batch), "--no-schema"])
    assert res.exit_code == 2 and 'or an object holding "collections" and "works"' in res.stderr


def test_a_missing_volume_is_a_warning_and_the_work_is_kept(tmp_path):
    work = _work(volumes=[{"item": "vol-a", "label": "1"}, {"item": "vol-gone", "label": "2"},
                          {"item": "vol-b", "label": "3"}],
                 divisions=[{"title": {"en": "D"}, "start": {"volume": "1", "page": "9z"},
                             "end": {"volume": "3", "page": "2"}}])
    batch = _batch(tmp_path, {"collections": [{"id": "sets", "items": ["vol-a"]}],
                              "works": [work]})
    lib = ["--library", str(tmp_path / "lib")]
    res = run(lib + ["check", str(batch), "--no-schema"])
    assert res.exit_code == 0, res.output
    assert 'volume 2 names item "vol-gone", which is neither in this batch nor in the library' \
        in res.output
    assert "names page 9z of volume 1 (vol-a), which has no such page" in res.output
    assert run(lib + ["check", str(batch), "--no-schema", "--strict"]).exit_code == 3
    res = run(lib + ["ingest", str(batch)])
    assert res.exit_code == 0 and "volume 2 (vol-gone) is not in the library" in res.stderr
    with Catalog(Store(tmp_path / "lib").catalog_path) as cat:
        assert [v.item for v in cat.get_work("set").volumes] == ["vol-a", "vol-gone", "vol-b"]
        assert cat.get_item("vol-a").works == ["set"]
        assert cat.get_collection("sets").items == ["vol-a"]
    # served: the volumes that are there, the missing one said to be missing
    from library.settings import Settings
    from viewer import create_app

    client = create_app({"SUDUR_SETTINGS": Settings.load(tmp_path / "lib"),
                         "TESTING": True}).test_client()
    members = client.get("/iiif/work/set").get_json()["items"]
    assert [m["id"].rsplit("/", 2)[-2] for m in members] == ["vol-a", "vol-b"]
    html = client.get("/works/set").get_data(as_text=True)
    assert html.count("Not in the library") == 1 and "/items/vol-b/read" in html
    # reading on from vol-a skips the missing volume
    reader = client.get("/items/vol-a/read?page=2").get_data(as_text=True)
    assert 'data-next-url="/items/vol-b/read?page=1"' in reader


def test_reingesting_a_volume_keeps_its_work_and_its_index_fields(tmp_path):
    from catalog.search import SearchRequest, open_searcher, search

    batch = _batch(tmp_path, {"collections": [], "works": [_work()]})
    lib = ["--library", str(tmp_path / "lib")]
    assert run(lib + ["ingest", str(batch)]).exit_code == 0
    # the volume comes again, changed, in a batch that does not mention the work
    again = tmp_path / "again"
    item(again, "vol-b", pbs("images/0001.png", "images/0002.png", text="changed"), two())
    res = run(lib + ["ingest", str(again)])
    assert res.exit_code == 0 and "1 items ingested" in res.output, res.output
    store = Store(tmp_path / "lib")
    with Catalog(store.catalog_path) as cat:
        assert cat.work_ids_of("vol-b") == ["set"]
        assert cat.get_item("vol-b").works == ["set"]
    with open_searcher(store.index_dir) as s:
        result = search(s, SearchRequest("changed", filters={"work": "set"}))
        assert {h.item_id for h in result.hits} == {"vol-b"}
        assert result.facets["volume"] == [("vol-b", 2)]


def test_a_work_declared_later_reaches_the_index_of_unchanged_volumes(tmp_path):
    from catalog.search import SearchRequest, open_searcher, search

    batch = _batch(tmp_path, {"collections": []})
    lib = ["--library", str(tmp_path / "lib")]
    assert run(lib + ["ingest", str(batch)]).exit_code == 0
    (batch / "collections.json").write_text(json.dumps({"works": [_work()]}), encoding="utf-8")
    res = run(lib + ["ingest", str(batch)])
    assert res.exit_code == 0 and "2 unchanged" in res.output, res.output
    with open_searcher(Store(tmp_path / "lib").index_dir) as s:
        result = search(s, SearchRequest("text", filters={"work": "set"}))
        assert {h.item_id for h in result.hits} == {"vol-a", "vol-b"}


# --- the sample's work: search -----------------------------------------------------------------

def test_the_sample_has_a_three_volume_work(sample_library):
    with Catalog(Store(sample_library.library).catalog_path, readonly=True) as cat:
        work = cat.get_work(WORK)
        assert [v.item for v in work.volumes] == VOLS
        assert [v.label for v in work.volumes] == ["ka", "kha", "ga"]
        assert len(work.divisions) == 3 and work.divisions[1].start.volume == "kha" \
            and work.divisions[1].end.volume == "ga"
        assert all(cat.work_ids_of(v) == [WORK] for v in VOLS)
        assert cat.work_ids_of("jangar-ms-1") == []


def test_searching_within_the_work_is_one_search(client):
    for url in (f"/api/search?q={FEW}&work={WORK}", f"/api/search?q=work:{WORK}%20{FEW}"):
        data = client.get(url).get_json()
        assert {h["item"] for h in data["hits"]} == {"kangyur-vol-2", "kangyur-vol-3"}, url
        # facets count items (issue 14): both volumes are in the work, one each
        assert data["facets"]["work"] == {WORK: data["total_items"]} == {WORK: 2}
        assert data["facets"]["volume"] == {"kangyur-vol-2": 1, "kangyur-vol-3": 1}
    # the heart sutra's words are in volume ka only; the work filter keeps them, jangar does not
    data = client.get(f"/api/search?q=ཤེས་རབ&work={WORK}").get_json()
    assert {h["item"] for h in data["hits"]} <= set(VOLS) and data["total"] > 0
    assert client.get("/api/search?q=ᠵᠠᠩᠭᠠᠷ&work=" + WORK).get_json()["total"] == 0


def test_the_work_filter_is_read_by_the_query_language():
    from catalog.query_syntax import parse

    parsed = parse(f"work:{WORK} ཤེས་རབ", strict=True)
    assert parsed.filters == {"work": [WORK]}


def test_an_index_of_the_previous_schema_is_refused(tmp_path):
    from catalog import schema
    from library.errors import IndexVersionError

    assert schema.SCHEMA_VERSION >= 4 and {"work", "volume"} <= set(schema.FACETS)
    (tmp_path / schema.VERSION_FILE).write_text(json.dumps(
        dict(schema.current_version(), schema_version=3)), encoding="utf-8")
    with pytest.raises(IndexVersionError) as exc:
        schema.check_version(tmp_path)
    assert "reindex" in exc.value.hint


# --- IIIF ------------------------------------------------------------------------------------

def test_the_work_is_a_valid_multi_part_collection_of_its_volumes(client, shared_dir):
    resp = client.get(f"/iiif/work/{WORK}")
    assert resp.status_code == 200 and "presentation/3" in resp.content_type
    data = resp.get_json()
    assert data["type"] == "Collection" and data["behavior"] == ["multi-part"]
    assert [m["id"].rsplit("/", 2)[-2] for m in data["items"]] == VOLS
    assert all(m["type"] == "Manifest" and m["thumbnail"] for m in data["items"])
    assert {s.get("type") or s.get("@type") for s in data["service"]} == \
        {"SearchService2", "SearchService1"}
    validator = prezi_validator(shared_dir)
    assert_prezi_valid(validator, data)
    assert client.get("/iiif/work/no-such-work").status_code == 404


def test_each_volume_manifest_carries_the_divisions_across_volumes(client, shared_dir):
    validator = prezi_validator(shared_dir)
    spans = {}
    for vol in VOLS:
        data = client.get(f"/iiif/{vol}/manifest").get_json()
        assert_prezi_valid(validator, data)
        assert any(p["id"].endswith(f"/iiif/work/{WORK}") for p in data["partOf"])
        work_toc = [r for r in data["structures"] if f"/iiif/work/{WORK}/range/toc-" in r["id"]]
        assert len(work_toc) == 1
        for rng in work_toc[0]["items"]:
            n = rng["id"].rsplit("/", 1)[-1].split("-")[0]
            spans.setdefault(n, []).append(
                (vol, [c["id"].rsplit("/", 1)[-1] for c in rng["items"]]))
    # 1: the heart sutra, ka 1b-3b; 2: kha 1b-2a then ga 1a-1b; 3: ga 2a
    assert spans["1"] == [("kangyur-vol-1", ["2", "3", "4", "5", "6"])]
    assert spans["2"] == [("kangyur-vol-2", ["2", "3"]), ("kangyur-vol-3", ["1", "2"])]
    assert spans["3"] == [("kangyur-vol-3", ["3"])]
    label = client.get("/iiif/kangyur-vol-2/manifest").get_json()["structures"][-1]["items"][0]
    assert label["label"]["en"] == ["The Perfection of Wisdom in a Few Letters (kha–ga)"]


def test_content_search_over_the_work_names_each_volumes_canvases(client, shared_dir,
                                                                 tmp_path):
    data = client.get(f"/iiif/work/{WORK}/search?q={FEW}").get_json()
    targets = [a["target"] for a in data["items"]]
    canvases = {t.split("#")[0].split("/iiif/")[1] for t in targets}
    assert canvases == {"kangyur-vol-2/canvas/2", "kangyur-vol-2/canvas/3",
                        "kangyur-vol-3/canvas/2"}
    assert all("#xywh=" in t for t in targets)  # boxes from the volumes' hOCR
    assert f"/iiif/work/{WORK}/search?q=" in data["id"]
    assert len(data["annotations"][0]["items"]) == len(data["items"])
    assert_search2_valid(shared_dir, tmp_path, data)
    one = client.get(f"/iiif/work/{WORK}/search1?q={FEW}").get_json()
    assert one["within"]["total"] == len(one["hits"]) == len(data["items"])
    assert {r["on"].split("#")[0].rsplit("/", 2)[0].rsplit("/", 1)[-1]
            for r in one["resources"]} == {"kangyur-vol-2", "kangyur-vol-3"}
    assert client.get(f"/iiif/work/{WORK}/search?q=ᠵᠠᠩᠭᠠᠷ").get_json()["items"] == []
    assert client.get(f"/iiif/work/{WORK}/search?q={FEW}&page=9").status_code == 404


# --- the site ----------------------------------------------------------------------------------

def test_the_work_page_lists_volumes_contents_and_searches_the_work(client):
    resp = client.get(f"/works/{WORK}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for vol in VOLS:
        assert f'href="/items/{vol}/read?page=1a"' in html
    assert html.count('class="thumb-label"') == 3 and "/iiif/3/kangyur-vol-2.0001/" in html
    assert "The Heart Sutra" in html and "The Perfection of Wisdom in a Few Letters" in html
    assert "vol. kha, f. 1b – vol. ga, f. 1b" in html
    assert f'name="work" value="{WORK}"' in html and f"/iiif/work/{WORK}" in html
    assert client.get("/works/no-such-work").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert f'href="/works/{WORK}"' in home
    record = client.get("/items/kangyur-vol-2").get_data(as_text=True)
    assert f'href="/works/{WORK}"' in record and "Volume kha" in record


def test_the_reader_turns_across_the_volume_boundary_and_cites_volume_and_folio(client):
    html = client.get("/items/kangyur-vol-1/read?page=3b").get_data(as_text=True)
    assert 'data-next-url="/items/kangyur-vol-2/read?page=1a"' in html
    assert 'data-prev-url=""' in html
    assert f"/works/{WORK}/read?volume=ka&amp;page=3b" in html and "vol. ka, f. 3b" in html
    assert "/static/volumes.js" in html
    html = client.get("/items/kangyur-vol-2/read?page=1a").get_data(as_text=True)
    assert 'data-prev-url="/items/kangyur-vol-1/read?page=3b"' in html
    assert 'data-next-url="/items/kangyur-vol-3/read?page=1a"' in html
    assert '<option value="kha" data-href="/items/kangyur-vol-2/read" selected>' in html
    embed = client.get("/embed/kangyur-vol-3?page=1a").get_data(as_text=True)
    assert 'data-prev-url="/embed/kangyur-vol-2?page=2a"' in embed and 'data-next-url=""' in embed
    assert 'name="embed" value="1"' in embed
    assert 'id="volumes"' not in client.get("/items/jangar-ms-1/read").get_data(as_text=True)


def test_the_citable_work_url_opens_the_volume_at_the_folio(client):
    resp = client.get(f"/works/{WORK}/read?volume=kha&page=2a")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        "/items/kangyur-vol-2/read?page=2a")
    resp = client.get(f"/works/{WORK}/read?volume=ga&page=1b&embed=1")
    assert resp.headers["Location"].endswith("/embed/kangyur-vol-3?page=1b")
    # a page named by its order is opened by its label
    resp = client.get(f"/works/{WORK}/read?volume=ga&page=3")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("page=2a")
    assert client.get(f"/works/{WORK}/read?volume=nga").status_code == 404
    assert client.get(f"/works/{WORK}/read?volume=ka&page=99b").status_code == 404


def test_a_page_is_named_by_its_label_only_when_the_reader_reads_it_back():
    from viewer.works import labels_citable, page_param

    folios = [(1, "1a"), (2, "1b"), (3, "2a")]
    assert [page_param(folios, o) for o, _ in folios] == ["1a", "1b", "2a"]
    assert labels_citable(folios)
    # "2" on order 3 would be read as order 2; a repeated label names its first page only
    odd = [(1, "1"), (2, "x"), (3, "2"), (4, "x"), (5, "")]
    assert [page_param(odd, o) for o, _ in odd] == ["1", "x", "3", "4", "5"]
    assert not labels_citable(odd)


def test_the_search_page_offers_work_and_volume_facets(client):
    html = client.get(f"/search?q={FEW}").get_data(as_text=True)
    assert f"work={WORK}" in html and "volume=kangyur-vol-3" in html
    # named by the work's title and the volume's label, not by their ids
    assert ">Volume ga</a>" in html and ">Kangyur, Perfection of Wisdom miscellany (sample" in html


def test_a_work_search_past_the_deadline_answers_what_it_has(sample_library):
    import dataclasses

    from viewer import create_app

    hurried = create_app({"SUDUR_SETTINGS": dataclasses.replace(sample_library,
                                                                 search_deadline=0.0),
                          "TESTING": True}).test_client()
    # one deadline for every volume: passed at once, no volume is searched
    resp = hurried.get(f"/iiif/work/{WORK}/search?q={FEW}")
    assert resp.status_code == 200 and resp.get_json()["items"] == []
    assert hurried.get(f"/iiif/work/{WORK}/search1?q={FEW}").get_json()["within"]["total"] == 0


def test_a_volume_is_cited_in_its_work_with_its_volume_and_folio(client):
    # scholars cite a volume and a folio ("vol. kha, f. 1a"): the suggested citation and every
    # export of a page of a volume name the work and the volume (issue 15)
    text = client.get(f"/items/{VOLS[1]}/cite.txt?page=1a").get_data(as_text=True)
    assert re.search(r"\. In [^.]+, vol\. kha\. .*f\. 1a\.", text), text
    ris = client.get(f"/items/{VOLS[1]}/cite.ris?page=1a").get_data(as_text=True)
    assert "VL  - kha" in ris and "SP  - 1a" in ris and "T2  - " in ris
    bib = client.get(f"/items/{VOLS[1]}/cite.bib?page=1a").get_data(as_text=True)
    assert "volume = {kha}" in bib and "maintitle = {" in bib
    csl = client.get(f"/items/{VOLS[1]}/cite.json?page=1a").get_json()[0]
    assert csl["volume"] == "kha" and csl["container-title"] and csl["page"] == "1a"
    record = client.get(f"/items/{VOLS[1]}").get_data(as_text=True)
    assert '<meta name="citation_volume" content="kha">' in record
    # an item in no work names no volume
    plain = client.get("/items/jangar-ms-1/cite.ris").get_data(as_text=True)
    assert "VL  - " not in plain and "T2  - " not in plain
