"""`sudur check`: the report names each problem with its file and line, has a summary at the
top, and its exit status tells errors (1) from warnings only (0, or 3 with --strict)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from ingest.checks import tei_schema_path
from library.cli import cli

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title>{title}</title></titleStmt>
  <publicationStmt><p>test</p></publicationStmt><sourceDesc><p>test</p></sourceDesc></fileDesc>
  </teiHeader>
  <text{lang}><body><div>
{body}
  </div></body></text>
</TEI>
"""


def tei(body: str, *, title: str = "T", lang: str = "") -> str:
    return HEADER.format(title=title, body=body, lang=f' xml:lang="{lang}"' if lang else "")


def pbs(*facs: str, text: str = "text") -> str:
    return "\n".join(f'<p><pb n="{i + 1}" facs="{f}"/>{text} {i}</p>' for i, f in enumerate(facs))


def png(path: Path, size=(300, 400), shade: int = 0, mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = (200 + shade % 50, 190, 180) if mode == "RGB" else (shade % 50, 10, 20, 30)
    im = Image.new(mode, size, colour)
    im.save(path, "JPEG" if mode == "CMYK" else None)


def item(batch: Path, item_id: str, body: str, images: dict[str, dict] | None = None,
         **kw) -> Path:
    folder = batch / item_id
    folder.mkdir(parents=True)
    (folder / f"{item_id}.xml").write_text(tei(body, **kw), encoding="utf-8")
    for i, (name, opts) in enumerate((images or {}).items()):
        png(folder / name, shade=i, **opts)
    return folder


def two(names=("images/0001.png", "images/0002.png")) -> dict[str, dict]:
    return {n: {} for n in names}


def build_batch(batch: Path) -> None:
    item(batch, "ok-1", pbs("images/0001.png", "images/0002.png"), two())
    item(batch, "invalid-tei", pbs("images/0001.png", "images/0002.png")
         + "\n<bogus>not a TEI element</bogus>", two())
    item(batch, "pb-count", pbs("images/0001.png"),
         two(("images/0001.png", "images/0002.png", "images/0003.png")))
    item(batch, "missing-image", pbs("images/0001.png", "images/0009.png"), two())
    item(batch, "dup-page", pbs("images/0001.png", "images/0001.png"), two())
    folder = item(batch, "dup-file", pbs("images/0001.png", "images/0002.png"), two())
    (folder / "images" / "0002.png").write_bytes((folder / "images" / "0001.png").read_bytes())
    item(batch, "wrong-order", pbs("images/0002.png", "images/0001.png"), two())
    item(batch, "tiny", pbs("images/0001.png"), {"images/0001.png": {"size": (40, 30)}})
    item(batch, "cmyk", pbs("images/0001.jpg"), {"images/0001.jpg": {"mode": "CMYK"}})
    item(batch, "size-jump", pbs("images/0001.png", "images/0002.png", "images/0003.png"),
         {"images/0001.png": {}, "images/0002.png": {"size": (900, 1200)},
          "images/0003.png": {}})
    folder = item(batch, "undecodable", pbs("images/0001.png"), {"images/0001.png": {}})
    (folder / "images" / "0001.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    item(batch, "menksoft", pbs("images/0001.png", text="\ue2a0\ue2b1 ok"), {"images/0001.png": {}})
    item(batch, "todo-mix", pbs("images/0001.png", text="\u1843\u1844\u1821\u1823"),
         {"images/0001.png": {}}, lang="xal-Mong")
    item(batch, "todo-quoting-hudum", pbs("images/0001.png", text="\u1843\u1844")
         + '\n<p xml:lang="mn-Mong">\u182a\u1820\u1837\u1820</p>', {"images/0001.png": {}},
         lang="xal-Mong")
    item(batch, "not-nfc", pbs("images/0001.png", text="cafe\u0301"), {"images/0001.png": {}})
    item(batch, "unassigned", pbs("images/0001.png", text="x\u0378y"), {"images/0001.png": {}})


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """One full check (with tei_all validation, ~10 s to load) over a batch of every case."""
    if tei_schema_path() is None:
        pytest.skip("tei_all.rng is not in ../shared/corpora/tei-p5-schema")
    root = tmp_path_factory.mktemp("check")
    batch = root / "batch"
    build_batch(batch)
    lib = root / "lib"
    html = root / "report.html"
    res = run(["--library", str(lib), "check", str(batch), "--format", "json",
               "--report", str(html)])
    data = json.loads(res.output)
    return res, data, html.read_text(encoding="utf-8"), lib


def diags(data: dict, item_id: str, code: str | None = None) -> list[dict]:
    it = next(i for i in data["items"] if i["item"] == item_id)
    return [d for d in it["diagnostics"] if code is None or d["code"] == code]


def test_check_writes_nothing_and_exits_1_on_errors(checked):
    res, data, _html, lib = checked
    assert res.exit_code == 1
    assert not lib.exists()
    assert data["summary"]["items"] == 16


def test_clean_item_has_no_findings(checked):
    _res, data, _html, _lib = checked
    assert diags(data, "ok-1") == []


def test_tei_validity_is_a_warning_with_a_line(checked):
    _res, data, _html, _lib = checked
    found = diags(data, "invalid-tei", "tei-invalid")
    assert found and all(d["level"] == "warning" for d in found)
    assert found[0]["file"] == "invalid-tei/invalid-tei.xml"
    assert found[0]["line"] == 9  # the <bogus> element
    assert "bogus" in found[0]["message"]
    assert not diags(data, "ok-1", "tei-invalid")


@pytest.mark.parametrize("item_id, code, level", [
    ("pb-count", "pb-count", "warning"),
    ("pb-count", "extra-image", "warning"),
    ("missing-image", "missing-image", "error"),
    ("dup-page", "duplicate-image", "warning"),
    ("dup-file", "duplicate-image-file", "warning"),
    ("wrong-order", "image-order", "warning"),
    ("tiny", "tiny-image", "warning"),
    ("cmyk", "colour-mode", "warning"),
    ("size-jump", "size-jump", "warning"),
    ("undecodable", "bad-image", "error"),
    ("menksoft", "menksoft-pua", "warning"),
    ("todo-mix", "todo-hudum-mix", "warning"),
    ("not-nfc", "not-nfc", "warning"),
    ("unassigned", "unassigned", "warning"),
])
def test_each_anomaly_is_reported(checked, item_id, code, level):
    _res, data, _html, _lib = checked
    found = diags(data, item_id, code)
    assert found, diags(data, item_id)
    assert found[0]["level"] == level
    assert found[0]["file"].split("/")[0] == item_id


def test_hudum_quoted_in_a_todo_text_is_no_anomaly(checked):
    _res, data, _html, _lib = checked
    assert diags(data, "todo-quoting-hudum") == []


def test_text_anomalies_name_the_tei_line(checked):
    _res, data, _html, _lib = checked
    d = diags(data, "not-nfc", "not-nfc")[0]
    assert d["file"] == "not-nfc/not-nfc.xml" and d["line"] == 7


def test_missing_image_names_the_file_and_line(checked):
    _res, data, _html, _lib = checked
    d = diags(data, "missing-image", "missing-image")[0]
    assert "0009.png" in d["message"] and d["line"] == 8


def test_duplicate_and_out_of_order_images_name_the_tei_line(checked):
    _res, data, _html, _lib = checked
    assert diags(data, "dup-page", "duplicate-image")[0]["line"] == 8  # the second <pb>
    assert diags(data, "wrong-order", "image-order")[0]["line"] == 8


def test_size_jump_names_the_odd_page(checked):
    _res, data, _html, _lib = checked
    d = diags(data, "size-jump", "size-jump")[0]
    assert d["file"] == "size-jump/images/0002.png"


def test_summary_counts_match_the_items(checked):
    _res, data, _html, _lib = checked
    s = data["summary"]
    assert s["with_errors"] == 2  # missing-image, undecodable
    assert s["ok"] == 2  # ok-1, todo-quoting-hudum
    assert s["errors"] == sum(len([d for d in i["diagnostics"] if d["level"] == "error"])
                              for i in data["items"])
    assert s["by_code"]["error"]["bad-image"] == 1
    assert s["by_code"]["warning"]["tei-invalid"] >= 1


def test_html_report_is_readable_with_the_summary_first(checked):
    _res, _data, html, _lib = checked
    assert html.startswith("<!doctype html>")
    summary_at = html.index('class="summary"')
    assert summary_at < html.index("<table")
    assert "16 items" in html[summary_at:summary_at + 200]
    assert "missing-image/missing-image.xml:8" in html
    assert "<bogus>" not in html  # messages are escaped
    assert "&lt;" in html or "bogus" in html


def test_exit_codes_distinguish_warnings_from_errors(tmp_path):
    batch = tmp_path / "batch"
    item(batch, "warn-1", pbs("images/0001.png"), {"images/0001.png": {"size": (40, 30)}})
    lib = ["--library", str(tmp_path / "lib")]
    res = run(lib + ["check", str(batch), "--no-schema"])
    assert res.exit_code == 0, res.output
    assert "tiny" in res.output
    assert run(lib + ["check", str(batch), "--no-schema", "--strict"]).exit_code == 3
    item(batch, "err-1", pbs("images/0404.png"), {"images/0001.png": {}})
    res = run(lib + ["check", str(batch), "--no-schema", "--strict"])
    assert res.exit_code == 1
    assert "err-1/err-1.xml:7" in res.output


def test_an_id_already_in_the_library_is_reported(tmp_path):
    from ingest.pipeline import ingest_batch
    from library.settings import Settings

    batch = tmp_path / "batch"
    item(batch, "twice-1", pbs("images/0001.png"), {"images/0001.png": {}})
    settings = Settings.load(tmp_path / "lib")
    assert ingest_batch(batch, settings).ingested == ["twice-1"]
    res = run(["--library", str(tmp_path / "lib"), "check", str(batch), "--no-schema",
               "--format", "json"])
    data = json.loads(res.output)
    assert diags(data, "twice-1", "in-library")


def test_huge_image_is_reported(tmp_path):
    from ingest.pipeline import check_batch
    from library.settings import Settings

    batch = tmp_path / "batch"
    item(batch, "huge-1", pbs("images/0001.png"), {"images/0001.png": {"size": (2100, 2000)}})
    plans = check_batch(batch, Settings.load(tmp_path / "lib", max_master_pixels=16_000_000),
                        validate_tei=False)
    assert [d.code for d in plans[0].warnings] == ["huge-image"]


def test_a_language_tag_that_is_not_bcp47_is_an_error_with_its_line(tmp_path):
    batch = tmp_path / "batch"
    item(batch, "latam-1", pbs("images/0001.png"), {"images/0001.png": {}}, lang="es-419")
    item(batch, "badtag-1", pbs("images/0001.png")
         + '\n<p xml:lang="en-">x</p>\n<p xml:lang="es-419-419">y</p>',
         {"images/0001.png": {}})
    lib = ["--library", str(tmp_path / "lib")]
    res = run(lib + ["check", str(batch), "--no-schema", "--format", "json"])
    assert res.exit_code == 1, res.output
    data = json.loads(res.output)
    assert diags(data, "latam-1", "bad-language-tag") == []  # es-419 is a valid tag
    found = diags(data, "badtag-1", "bad-language-tag")
    assert [(d["file"], d["line"], d["level"]) for d in found] == [
        ("badtag-1/badtag-1.xml", 8, "error"), ("badtag-1/badtag-1.xml", 9, "error")]
    assert "xml:lang='en-'" in found[0]["message"] and "BCP 47" in found[0]["message"]
    assert "'es-419-419'" in found[1]["message"]


# --- collections.json (issue 11, point 6) ---------------------------------------------------

BAD_COLLECTIONS = [
    ('{"id": "epics"}', "collections.json: expected a list of collections, got an object"),
    ('[7]', "collections.json: [0]: expected an object, got a number"),
    ('[{"id": 7}]', "collections.json: [0].id: expected a collection id"),
    ('[{"label": {"en": "E"}}]', "collections.json: [0].id: missing"),
    ('[{"id": "Epics!"}]', "collections.json: [0].id: expected a collection id"),
    ('[{"id": "top"}]', 'collections.json: [0].id: "top" is reserved'),
    ('[{"id": "all"}]', 'collections.json: [0].id: "all" is reserved'),
    ('[{"id": "collection"}]', 'collections.json: [0].id: "collection" is reserved'),
    ('[{"id": "epics", "label": "Epics"}]',
     'collections.json: [0].label: expected a language map like {"en": "Epics"}, got a string'),
    ('[{"id": "epics", "label": {"en": 7}}]', 'collections.json: [0].label.en: expected a string'),
    ('[{"id": "epics", "label": {"not a tag": "E"}}]',
     'collections.json: [0].label: "not a tag" is not a language tag'),
    ('[{"id": "epics", "summary": ["Epics"]}]',
     "collections.json: [0].summary: expected a language map"),
    ('[{"id": "epics", "items": "plain-1"}]',
     "collections.json: [0].items: expected a list of item ids, got a string"),
    ('[{"id": "epics", "items": ["plain-1", 5]}]',
     "collections.json: [0].items[1]: expected an item id, got a number"),
    ('[{"id": "epics", "parent": 3}]', "collections.json: [0].parent: expected a collection id"),
    ('[{"id": "epics", "lable": {"en": "E"}}]', "collections.json: [0].lable: unknown key"),
    ('[{"id": "epics"}, {"id": "epics"}]',
     'collections.json: [1].id: "epics" is also the id of [0]'),
    ('[{"id": "epics",\n  "label": {"en": "E"}\n  "items": []}]',
     "collections.json:3: not valid JSON: Expecting ',' delimiter (line 3, column 3)"),
    (b'[{"id": "epics", "label": {"en": "\xff"}}]', "collections.json: not UTF-8"),
]


@pytest.mark.parametrize("content, message", BAD_COLLECTIONS, ids=[m for _, m in BAD_COLLECTIONS])
def test_a_bad_collections_json_is_refused_by_check_and_ingest(tmp_path, content, message):
    batch = tmp_path / "batch"
    item(batch, "plain-1", pbs("images/0001.png"), {"images/0001.png": {}})
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    (batch / "collections.json").write_bytes(data)
    lib = ["--library", str(tmp_path / "lib")]
    res = run(lib + ["check", str(batch), "--no-schema"])
    assert res.exit_code == 2 and message in res.stderr, res.stderr
    res = run(lib + ["ingest", str(batch)])
    assert res.exit_code == 2 and message in res.stderr, res.stderr
    assert "Traceback" not in res.output
    # refused before anything is written: the library was not even created
    assert not (tmp_path / "lib" / "catalog.sqlite").exists()


def test_a_good_collections_json_passes_and_groups_items(tmp_path):
    from catalog.db import Catalog
    from library.store import Store

    batch = tmp_path / "batch"
    item(batch, "plain-1", pbs("images/0001.png"), {"images/0001.png": {}})
    (batch / "collections.json").write_text(json.dumps([
        {"id": "epics", "label": {"en": "Epics", "mn-Mong": "ᠲᠠᠤᠯᠢ", "es-419": "Épicas"},
         "summary": {}, "parent": None, "items": ["plain-1", "not-in-this-batch"]},
        {"id": "sub-1", "parent": "epics"}]), encoding="utf-8")
    lib = ["--library", str(tmp_path / "lib")]
    assert run(lib + ["check", str(batch), "--no-schema"]).exit_code == 0
    assert run(lib + ["ingest", str(batch)]).exit_code == 0
    with Catalog(Store(tmp_path / "lib").catalog_path) as cat:
        assert cat.get_collection("epics").items == ["plain-1"]
        assert cat.get_collection("sub-1").parent == "epics"
