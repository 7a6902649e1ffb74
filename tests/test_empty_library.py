"""A library that holds nothing answers 0 hits everywhere (issue 11 point 2).

An index with no documents has no pairs column (Whoosh raises NotImplementedError), and a library
whose first batch all failed has no index at all: both once made every search a traceback in
the CLI and a 500 or 503 on the web. A library folder that does not exist yet is served as an
empty site, and serving it writes nothing there.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.db import Catalog
from catalog.index import rebuild
from library.cli import cli
from library.settings import Settings
from library.store import Store
from viewer import create_app
from viewer_library import build_library

BAD_TEI = ('<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>B'
           '</title></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/>'
           '</sourceDesc></fileDesc></teiHeader><text><body><p><pb n="1" '
           'facs="images/0001.png"/>khan</p></body></text></TEI>')
QUERIES = ["khan", "ᠵᠠᠩᠭᠠᠷ", '"jangar khan"', "བྱང་ཆུབ"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture()
def failed_library(tmp_path) -> Path:
    """A library made by a batch whose only item failed: a catalogue, no item, no index."""
    folder = tmp_path / "batch" / "bad-1"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "0001.png").write_text("not an image\n", encoding="utf-8")
    (folder / "bad-1.xml").write_text(BAD_TEI, encoding="utf-8")
    lib = tmp_path / "lib"
    res = CliRunner().invoke(cli, ["--library", str(lib), "ingest", str(tmp_path / "batch")])
    assert res.exit_code != 0 and "0 items ingested" in res.output, res.output
    assert Store(lib).catalog_path.is_file()
    return lib


def _search_everywhere_by_cli(lib: Path) -> None:
    for q in QUERIES:
        for extra in ([], ["--relevance"], ["--exact"]):
            res = run("--library", str(lib), "search", q, *extra)
            assert res.exit_code == 0, res.output
            assert res.output.startswith(f"0 hits for {q!r}"), res.output
        data = json.loads(run("--library", str(lib), "search", q, "--json").output)
        assert data["total"] == 0 and data["hits"] == []


def test_cli_search_after_a_batch_whose_only_item_failed(failed_library):
    _search_everywhere_by_cli(failed_library)


def test_cli_search_after_reindexing_an_empty_catalogue(failed_library):
    res = run("--library", str(failed_library), "reindex")
    assert res.output.strip() == "indexed 0 documents"
    assert Store(failed_library).index_dir.exists()
    _search_everywhere_by_cli(failed_library)


def test_cli_search_of_a_library_that_does_not_exist_says_so(tmp_path):
    res = CliRunner().invoke(cli, ["--library", str(tmp_path / "typo"), "search", "khan"])
    assert res.exit_code != 0 and "no library at" in res.output + res.stderr
    assert "Traceback" not in res.output and not (tmp_path / "typo").exists()


def _client(lib: Path):
    app = create_app({"SUDUR_SETTINGS": Settings.load(lib)})  # not TESTING: a 500 is a 500
    return app.test_client()


def _site_answers_nothing(client) -> None:
    assert client.get("/").status_code == 200
    for q in QUERIES:
        for sort in ("reading", "relevance"):
            r = client.get("/search", query_string={"q": q, "sort": sort})
            assert r.status_code == 200, (q, r.status_code, r.data[:300])
            r = client.get("/api/search", query_string={"q": q, "sort": sort})
            assert r.status_code == 200, (q, r.status_code, r.data[:300])
            assert r.get_json()["total"] == 0 and r.get_json()["hits"] == []
    top = client.get("/iiif/collection/top")
    assert top.status_code == 200 and top.get_json()["items"] == []
    oai = client.get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert oai.status_code == 200 and b"noRecordsMatch" in oai.data
    assert client.get("/oai", query_string={"verb": "Identify"}).status_code == 200


@pytest.mark.parametrize("reindexed", [False, True], ids=["no-index", "empty-index"])
def test_the_site_of_an_empty_library_answers_0_hits(failed_library, reindexed):
    if reindexed:
        assert run("--library", str(failed_library), "reindex").exit_code == 0
    _site_answers_nothing(_client(failed_library))


def test_a_library_folder_that_does_not_exist_is_an_empty_site(tmp_path):
    lib = tmp_path / "not-yet"
    client = _client(lib)
    home = client.get("/")
    assert home.status_code == 200
    _site_answers_nothing(client)
    assert client.get("/items/jangar-ms-1").status_code == 404
    assert not lib.exists(), "serving an empty path wrote into it"


def test_an_item_whose_index_holds_nothing_answers_0_hits(tmp_path):
    """Content Search 2.0 and 1.0, autocomplete, the item API and the reader's highlights,
    for an item in the catalogue while the index holds nothing."""
    lib = tmp_path / "lib"
    build_library(lib)
    with Catalog(":memory:") as nothing:
        assert rebuild(Store(lib).index_dir, nothing) == 0
    client = _client(lib)
    for q in QUERIES:
        for path in ("search", "search1"):
            r = client.get(f"/iiif/jangar-ms-1/{path}", query_string={"q": q})
            assert r.status_code == 200, (path, r.data[:300])
            body = r.get_json()
            assert body.get("items", body.get("resources")) == []
        for path in ("autocomplete", "autocomplete1"):
            r = client.get(f"/iiif/jangar-ms-1/{path}", query_string={"q": q[:3]})
            assert r.status_code == 200, (path, r.data[:300])
            assert r.get_json().get("items", r.get_json().get("terms")) == []
        r = client.get("/api/items/jangar-ms-1/search", query_string={"q": q})
        assert r.status_code == 200, r.data[:300]
        r = client.get("/items/jangar-ms-1/read", query_string={"q": q, "page": 1})
        assert r.status_code == 200, r.data[:300]
        assert b"<mark" not in r.data


def test_items_without_an_index_still_ask_for_a_reindex(tmp_path):
    """Only a library that holds nothing is searched as empty: if its items have no index,
    0 hits would hide the problem."""
    lib = tmp_path / "lib"
    build_library(lib)
    res = CliRunner().invoke(cli, ["--library", str(lib), "search", "khan"])
    assert res.exit_code != 0 and "reindex" in res.output + res.stderr
    r = _client(lib).get("/api/search", query_string={"q": "khan"})
    assert r.status_code == 503 and "no search index" in r.get_data(as_text=True)
