"""Language tags with digits (es-419) in IIIF manifests and collections (issue 11, point 7).

iiif-prezi3 and the IIIF JSON schema take only letters and hyphens in a language-map key; such
a tag gave a ValidationError, so the manifest and /iiif/collection/top answered 500.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from iiif_samples import PREZI_SCHEMA, build_library, text_only
from library import iiif_presentation as prezi


def _latam_item():
    item = text_only("latam-1", pages=2)
    item.titles = {"es-419": "Crónica", "es": "Crónica (España)", "zh-Hant-TW": "編年史",
                   "bo-x-ewts": "lo rgyus"}
    item.summary = {"es-419": "Resumen"}
    item.writing_system = "es-419"
    item.languages = ["es-419", "bo-x-ewts"]
    return item


def _validate_with_shared_tool(shared_dir: Path, tmp_path: Path, data: dict) -> None:
    f = tmp_path / f"doc-{len(list(tmp_path.iterdir()))}.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(shared_dir / "tools/validate_prezi3.py"),
                           str(shared_dir / PREZI_SCHEMA), str(f)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_manifest_with_es_419_builds_validates_and_keeps_the_tag(shared_dir, tmp_path):
    item = _latam_item()
    data = prezi.build_manifest(item, "https://example.org")  # raised a ValidationError on main
    _validate_with_shared_tool(shared_dir, tmp_path, data)
    # letters-only tags are keys as written; es-419 is keyed by es, its own text first
    assert data["label"] == {"es": ["Crónica (España)", "Crónica"], "zh-Hant-TW": ["編年史"],
                             "bo-x-ewts": ["lo rgyus"]}
    assert data["summary"] == {"es": ["Resumen"]}
    # the full tag is kept wherever the schema takes any string: the Language metadata names
    # the tags it can (bo-x-ewts) and gives the others as written, in every language
    languages = next(m for m in data["metadata"] if m["label"]["en"] == ["Language"])
    assert languages["value"]["en"] == ["es-419", "Tibetan (Wylie)"]
    assert languages["value"]["zh-Hans"] == ["es-419", "藏语（威利转写）"]
    page = prezi.build_annotation_page(item, item.pages[0], "https://example.org")
    _validate_with_shared_tool(shared_dir, tmp_path, page)
    assert page["items"][0]["body"]["language"] == "es-419"


def test_the_manifest_and_top_collection_of_an_es_419_item_are_served(shared_dir, tmp_path):
    from viewer import create_app
    from viewer import iiif_presentation as view

    settings = build_library(tmp_path / "lib", [_latam_item()], index=False)
    view.clear_memory_cache()
    client = create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()
    for url in ("/iiif/latam-1/manifest", "/iiif/collection/top"):
        resp = client.get(url)
        assert resp.status_code == 200, url  # 500 on main
        _validate_with_shared_tool(shared_dir, tmp_path, resp.get_json(force=True))
    top = client.get("/iiif/collection/top").get_json(force=True)
    assert top["items"][0]["label"]["es"] == ["Crónica (España)", "Crónica"]
