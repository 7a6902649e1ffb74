"""`sudur withdraw ITEM --reason TEXT`: the item leaves the catalogue and search, its files are
garbage-collected, every URL of it answers 410 Gone (a page in the reader's language, JSON with
the reason under /iiif and /api), OAI-PMH lists it as deleted, IIIF Change Discovery shows its
Delete, `sudur verify` finds nothing wrong, and ingesting it again publishes it again.

Each test works on a copy of the session's sample library (SQLite). The CLI runs as the installed
program, once with a relative --library and once with an absolute one; the PostgreSQL test
runs it in-process on a database of its own."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from catalog.db import Catalog
from cluster_fixtures import s3_endpoint, s3_url  # noqa: F401  (fixtures)
from crashlib import SUDUR, build_batch, clean_env, sudur, sudur_here
from library import urls
from library.cli import cli
from library.settings import Settings
from pg_fixtures import new_pg_url, pg_server, pg_url  # noqa: F401  (fixtures)
from viewer import create_app

GONE = "kangyur-vol-2"  # volume kha of the sample's work kangyur-sher-phyin
WORK = "kangyur-sher-phyin"
PHRASE = "ཡི་གེ་ཉུང་ངུ"  # on its pages and on kangyur-vol-3's
REASON = "a rights claim by the holding institution"
OAI = {"o": "http://www.openarchives.org/OAI/2.0/"}


@pytest.fixture()
def lib(sample_library, tmp_path) -> Path:
    """A copy of the session's sample library (an ingest of the sample takes seconds), without
    the caches the viewer tests have left in it."""
    copy = tmp_path / "lib"
    shutil.copytree(sample_library.library, copy, symlinks=True,
                    ignore=lambda folder, _names: ["cache"] if Path(folder) ==
                    sample_library.library else [])
    return copy


def _hits(lib: Path, query: str) -> set[str]:
    res = sudur_here(lib, "search", query, "--json")  # a check: in this process is enough
    assert res.returncode == 0, res.stderr
    return {h["item"] for h in json.loads(res.stdout)["hits"]}


def _version(lib: Path, item_id: str) -> str:
    with Catalog(lib / "catalog.sqlite", readonly=True) as cat:
        return cat.version_path(item_id)


def test_withdraw_with_a_relative_library_then_ingest_again(lib, sample_batch):
    version = _version(lib, GONE)
    assert GONE in _hits(lib, PHRASE)

    def run(*args):
        return subprocess.run([SUDUR, "--library", lib.name, *args], cwd=lib.parent,
                              capture_output=True, text=True, timeout=120, env=clean_env())
    res = run("withdraw", GONE, "--reason", REASON)
    assert res.returncode == 0, res.stderr
    assert f"withdrew {GONE}" in res.stdout and REASON in res.stdout
    assert "index documents" in res.stdout and f"work {WORK} keeps its other volumes" \
        in res.stdout
    # gone from search and from disk (garbage collection took its version and its link)
    assert _hits(lib, PHRASE) == {"kangyur-vol-3"}
    assert not (lib / version).exists() and not (lib / "items" / GONE).is_symlink()
    assert (lib / _version(lib, "kangyur-vol-3")).is_dir()
    # the tombstone is no problem to verify, with or without --repair
    for args in (["verify"], ["verify", "--repair"]):
        checked = run(*args)
        assert checked.returncode == 0 and "0 problems" in checked.stdout, checked.stderr
    again = run("withdraw", GONE, "--reason", "another")
    assert again.returncode == 0 and "already withdrawn" in again.stdout and REASON \
        in again.stdout
    unknown = run("withdraw", "no-such-item", "--reason", REASON)
    assert unknown.returncode == 2 and "no item 'no-such-item'" in unknown.stderr
    assert run("withdraw", "kangyur-vol-3").returncode == 2  # --reason is required
    blank = run("withdraw", "kangyur-vol-3", "--reason", "  ")
    assert blank.returncode == 2 and "needs a reason" in blank.stderr
    assert GONE not in run("search", PHRASE, "--json").stdout
    # ingesting the batch again publishes it again, in its work, and the tombstone goes
    back = run("ingest", str(sample_batch))
    assert back.returncode == 0 and "1 items ingested" in back.stdout, back.stderr
    assert _hits(lib, PHRASE) == {GONE, "kangyur-vol-3"}
    with Catalog(lib / "catalog.sqlite", readonly=True) as cat:
        assert cat.tombstones() == [] and cat.get_item(GONE, with_pages=False).works == [WORK]
        events = cat.events(GONE)
        assert [e["message"] for e in events][-2:] == [f"withdrawn: {REASON}", "ingested"]
        assert events[-2]["batch"] == f"withdraw {GONE}" and events[-2]["user"]
    assert run("verify").returncode == 0


def test_every_url_of_a_withdrawn_item_answers_410(lib):
    res = sudur(lib.resolve(), "withdraw", GONE, "--reason", REASON)  # an absolute --library
    assert res.returncode == 0, res.stderr
    client = create_app({"SUDUR_SETTINGS": Settings.load(lib), "TESTING": True}).test_client()
    values = dict(item=GONE, item_id=GONE, ident=f"{GONE}.0001", order="1", job="abc",
                  region="full", size="max", rotation="0", quality_format="default.jpg")
    tried = 0
    for route in urls.SERVED:  # every route the viewer serves that names an item or its image
        names = re.findall(r"<(?:\w+:)?(\w+)>", route.rule)
        if not {"item", "item_id", "ident"} & set(names):
            continue
        url = route.path(**{n: values[n] for n in names})
        resp = client.post(url) if route is urls.DOWNLOADS else \
            client.get(url, headers={"Accept-Language": "en"})
        assert resp.status_code == 410, (url, resp.status_code)
        tried += 1
        if url.startswith((urls.IIIF_PREFIX, urls.API_PREFIX)):
            body = resp.get_json(force=True)
            assert body["reason"] == REASON and body["item"] == GONE, url
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["withdrawn"])
        else:
            text = resp.get_data(as_text=True)
            assert "was withdrawn from the library on" in text and REASON in text, url
            assert f"http://localhost/items/{GONE}" in text  # how to cite it
    assert tried >= 25
    oembed = client.get("/oembed", query_string={"url": f"http://localhost/items/{GONE}"})
    assert oembed.status_code == 410
    # in the reader's language: Chinese, and Tibetan
    client.get("/lang/zh-Hans")
    zh = client.get(f"/items/{GONE}").get_data(as_text=True)
    assert "从图书馆撤回" in zh and "如何引用" in zh and REASON in zh
    client.get("/lang/bo")
    assert "ཕྱིར་བསྡུས" in client.get(f"/items/{GONE}").get_data(as_text=True)
    # an id never in the library is still a 404; the work and its other volumes still serve
    assert client.get("/items/no-such-item").status_code == 404
    assert client.get("/iiif/no-such-item/manifest").status_code == 404
    assert client.get("/items/kangyur-vol-3").status_code == 200
    assert client.get("/iiif/kangyur-vol-3/manifest").status_code == 200
    assert client.get(f"/works/{WORK}").status_code == 200


def test_the_work_shows_its_withdrawn_volume_with_when_and_why(lib):
    assert sudur(lib, "withdraw", GONE, "--reason", REASON).returncode == 0
    with Catalog(lib / "catalog.sqlite", readonly=True) as cat:
        date = cat.tombstone(GONE).error().to_dict()["withdrawn"]
    client = create_app({"SUDUR_SETTINGS": Settings.load(lib), "TESTING": True}).test_client()
    html = client.get(f"/works/{WORK}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    entry = re.search(r'<li data-volume="kha" class="withdrawn-volume">(.*?)</li>', html, re.S)
    assert entry, html
    assert f'href="/items/{GONE}"' in entry[1] and "Volume kha" in entry[1]
    assert (f'Withdrawn from the library on <time datetime="{date}">{date[:10]}</time>'
            in entry[1])
    assert REASON in entry[1] and "Why:" in entry[1]
    assert "Not in the library" not in html  # the other volumes are there
    assert 'href="/items/kangyur-vol-3/read?page=1a"' in html
    assert client.get(f"/items/{GONE}").status_code == 410  # where its link leads
    cited = client.get(f"/works/{WORK}/read?volume=kha&page=1a")  # as a scholar cited it
    assert cited.status_code == 410 and REASON in cited.get_data(as_text=True)
    assert client.get(f"/works/{WORK}/read?volume=ga&page=1a").status_code == 302
    # in the reader's language
    client.get("/lang/zh-Hans")
    zh = client.get(f"/works/{WORK}").get_data(as_text=True)
    assert f'已于 <time datetime="{date}">{date[:10]}</time> 从图书馆撤回' in zh
    assert "原因：" in zh
    # the IIIF Collection of the work lists the manifests that answer, not the 410
    members = client.get(f"/iiif/work/{WORK}").get_json(force=True)["items"]
    assert [m["id"].rsplit("/", 2)[-2] for m in members] == ["kangyur-vol-1", "kangyur-vol-3"]


def test_oai_lists_a_withdrawn_item_as_deleted_and_discovery_shows_its_delete(lib):
    assert sudur(lib, "withdraw", GONE, "--reason", REASON).returncode == 0
    client = create_app({"SUDUR_SETTINGS": Settings.load(lib), "TESTING": True}).test_client()

    def oai(**args):
        return etree.fromstring(client.get("/oai", query_string=args).data)
    ident = oai(verb="Identify")
    assert ident.xpath("string(//o:deletedRecord)", namespaces=OAI) == "persistent"
    record = oai(verb="GetRecord", metadataPrefix="oai_dc", identifier=f"oai:localhost:{GONE}")
    header = record.xpath("//o:record/o:header", namespaces=OAI)[0]
    assert header.get("status") == "deleted"
    assert not record.xpath("//o:metadata", namespaces=OAI)  # a deleted record has none
    assert header.xpath("string(o:setSpec)", namespaces=OAI) == "kangyur"
    listed = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="kangyur")
    status = {h.xpath("string(o:identifier)", namespaces=OAI).rsplit(":", 1)[1]:
              h.get("status") for h in listed.xpath("//o:header", namespaces=OAI)}
    assert status[GONE] == "deleted" and status["kangyur-vol-3"] is None
    records = oai(verb="ListRecords", metadataPrefix="mods")
    deleted = records.xpath("//o:record[o:header/@status='deleted']", namespaces=OAI)
    assert len(deleted) == 1 and not deleted[0].xpath("o:metadata", namespaces=OAI)
    # the formats of a deleted record's identifier are still listed (it exists, as deleted)
    formats = oai(verb="ListMetadataFormats", identifier=f"oai:localhost:{GONE}")
    assert formats.xpath("//o:metadataPrefix", namespaces=OAI)
    # IIIF Change Discovery: the last activity is its Delete
    top = client.get("/iiif/discovery").get_json(force=True)
    last = client.get(top["last"]["id"].replace("http://localhost", "")).get_json(force=True)
    activity = last["orderedItems"][-1]
    assert activity["type"] == "Delete" and activity["object"]["id"].endswith(
        f"/iiif/{GONE}/manifest")


def test_withdrawing_every_item_leaves_a_consistent_library(tmp_path):
    batch = build_batch(tmp_path / "batch", 2, pages=1)
    lib = tmp_path / "lib"
    assert sudur(lib, "ingest", str(batch)).returncode == 0
    for item_id in ("crash-00", "crash-01"):
        res = sudur(lib, "withdraw", item_id, "--reason", "a duplicate")
        assert res.returncode == 0, res.stderr
    assert not [p for p in (lib / "items").iterdir()]  # no version, no link left
    res = sudur(lib, "verify")
    assert res.returncode == 0 and "0 problems" in res.stdout, res.stderr
    assert _hits(lib, "common") == set()
    back = sudur(lib, "ingest", str(batch))
    assert back.returncode == 0 and "2 items ingested" in back.stdout
    assert _hits(lib, "common") == {"crash-00", "crash-01"}


def test_withdraw_on_postgres(tmp_path, new_pg_url):  # noqa: F811
    from ingest.pipeline import ingest_batch

    settings = Settings.load(tmp_path / "node", catalog_url=new_pg_url())
    batch = build_batch(tmp_path / "batch", 2, pages=1)
    assert ingest_batch(batch, settings, workers=1).ok
    env = {"SUDUR_CATALOG_URL": settings.catalog_url}

    def run(*args):
        return CliRunner().invoke(cli, ["--library", str(settings.library), *args], env=env)
    res = run("withdraw", "crash-01", "--reason", "an error")
    assert res.exit_code == 0 and "withdrew crash-01" in res.output, res.output
    assert "already withdrawn" in run("withdraw", "crash-01", "--reason", "x").output
    assert run("withdraw", "nope", "--reason", "x").exit_code == 2
    found = json.loads(run("search", "common", "--json").output)
    assert {h["item"] for h in found["hits"]} == {"crash-00"}  # its rows went with the commit
    client = create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()
    gone = client.get("/iiif/crash-01/manifest")
    assert gone.status_code == 410 and gone.get_json(force=True)["reason"] == "an error"
    assert client.get("/items/crash-01").status_code == 410
    assert client.get("/iiif/3/crash-01.0001/info.json").status_code == 410
    assert client.get("/iiif/crash-00/manifest").status_code == 200
    checked = run("verify")
    assert checked.exit_code == 0 and "0 problems" in checked.output, checked.output
    assert ingest_batch(batch, settings, workers=1).ingested == ["crash-01"]
    assert client.get("/iiif/crash-01/manifest").status_code == 200


def test_withdraw_from_an_s3_store(tmp_path, s3_endpoint, s3_url, monkeypatch):  # noqa: F811
    """The versions of a withdrawn item leave the object store with the garbage collection
    (which otherwise leaves alone the versions of items the catalogue does not list), and verify
    finds nothing to report."""
    from ingest.pipeline import ingest_batch
    from library.storage import open_store

    settings = Settings.load(tmp_path / "node", s3_endpoint_url=s3_endpoint.url,
                             store_url=s3_url)
    batch = build_batch(tmp_path / "batch", 2, pages=1)
    assert ingest_batch(batch, settings, workers=1).ok
    objects = open_store(settings).objects
    kept = {n for n in objects.versions() if n.startswith("crash-00@")}
    assert len(objects.versions()) == 2 and len(kept) == 1
    monkeypatch.setenv("SUDUR_STORE_URL", settings.store_url)
    monkeypatch.setenv("SUDUR_S3_ENDPOINT_URL", settings.s3_endpoint_url)
    res = CliRunner().invoke(cli, ["--library", str(settings.library), "withdraw", "crash-01",
                                   "--reason", "a duplicate"])
    assert res.exit_code == 0, res.output
    assert set(objects.versions()) == kept
    res = CliRunner().invoke(cli, ["--library", str(settings.library), "verify", "--quick"])
    assert res.exit_code == 0 and ", 0 problems" in res.output, res.output
    # a version of it left behind (a store that was away at the withdrawal) is collectable
    stray = open_store(settings)
    staged = stray.new_staging("crash-01")
    (staged / "source").mkdir()
    (staged / "source" / "crash-01.xml").write_bytes(b"<TEI/>")
    stray.publish(staged)
    assert len(objects.versions()) == 2
    res = CliRunner().invoke(cli, ["--library", str(settings.library), "verify", "--quick"])
    assert res.exit_code == 1 and "does not reference" in res.output, res.output
    res = CliRunner().invoke(cli, ["--library", str(settings.library), "verify", "--repair"])
    assert res.exit_code == 0, res.output
    assert set(objects.versions()) == kept
