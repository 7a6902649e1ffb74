"""A manifest's Language and Script metadata name the languages and scripts in the four
interface languages (not "mn-Mong", "bo", "Tibt"), from the one table library.roles that the
site reads too (viewer.i18n.language_name); the codes stay where a machine reads them, the
transcription's TextualBody ``language``. Checked with the shared Presentation 3 validator."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from library import iiif_presentation as prezi
from library import roles
from viewer import i18n

from iiif_samples import (PREZI_SCHEMA, assert_prezi_valid, build_library, mongolian_book,
                          prezi_validator, tibetan_pothi)

BASE = "https://lib.example"
FOUR = {"en", "zh-Hans", "bo", "mn-Mong"}


def _value(manifest: dict, label: str) -> dict:
    (entry,) = [m for m in manifest["metadata"] if m["label"].get("en") == [label]]
    return entry["value"]


def _shared_tool_passes(shared_dir: Path, tmp_path: Path, data: dict) -> None:
    f = tmp_path / f"doc-{len(list(tmp_path.iterdir()))}.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(shared_dir / "tools/validate_prezi3.py"),
                           str(shared_dir / PREZI_SCHEMA), str(f)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_name_speaks_the_four_languages():
    for table in (roles.LANGUAGE_NAMES, roles.SCRIPT_NAMES):
        for code, words in table.items():
            assert set(words) == FOUR and all(w.strip() for w in words.values()), code


def test_names_of_tags_of_parts_and_of_unknown_tags():
    assert roles.language_words("bo")["zh-Hans"] == "藏语"
    assert roles.language_words("sa-Tibt")["en"] == "Sanskrit (Tibetan script)"
    assert roles.language_words("x-nothing") is None
    assert roles.language_names(["mn-Mong", "xx-Test", "mn-Mong"]) == {
        lang: [roles.LANGUAGE_NAMES["mn-Mong"][lang], "xx-Test"] for lang in roles.LANGUAGES}
    assert roles.script_names(["Tibt"])["mn-Mong"] == ["ᠲᠥᠪᠡᠳ ᠪᠢᠴᠢᠭ"]


def test_a_manifest_names_its_languages_and_scripts(shared_dir, tmp_path):
    item = dataclasses.replace(mongolian_book(), languages=["mn-Mong", "bo"],
                               scripts=["Mong", "Tibt"])
    data = prezi.build_manifest(item, BASE)
    languages, scripts = _value(data, "Language"), _value(data, "Script")
    assert languages == {
        "en": ["Mongolian (traditional script)", "Tibetan"],
        "zh-Hans": ["蒙古语（传统蒙古文）", "藏语"],
        "bo": ["སོག་སྐད། (སོག་ཡིག་རྙིང་པ།)", "བོད་སྐད།"],
        "mn-Mong": ["ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ (ᠬᠠᠭᠤᠴᠢᠨ ᠪᠢᠴᠢᠭ)", "ᠲᠥᠪᠡᠳ ᠬᠡᠯᠡ"]}
    assert scripts["en"] == ["Mongolian script", "Tibetan script"]
    assert scripts["zh-Hans"] == ["蒙古文", "藏文"] and set(scripts) == FOUR
    codes = {"mn-Mong", "bo", "Mong", "Tibt"}
    assert not codes & {v for vs in (*languages.values(), *scripts.values()) for v in vs}
    assert_prezi_valid(prezi_validator(shared_dir), data)
    _shared_tool_passes(shared_dir, tmp_path, data)
    # the transcription keeps its code, for machines
    page = prezi.build_annotation_page(item, item.pages[0], BASE)
    assert page["items"][0]["body"]["language"] == "mn-Mong"


def test_the_served_manifest_names_them_and_validates(shared_dir, tmp_path):
    from viewer import create_app
    from viewer import iiif_presentation as view

    settings = build_library(tmp_path / "lib", [tibetan_pothi()], index=False)
    view.clear_memory_cache()
    client = create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()
    data = client.get("/iiif/kangyur-1/manifest").get_json(force=True)
    assert _value(data, "Language")["en"] == ["Tibetan"]
    assert _value(data, "Script")["bo"] == ["བོད་ཡིག"]
    _shared_tool_passes(shared_dir, tmp_path, data)


@pytest.mark.parametrize("locale,tag", [("en", "en"), ("zh_Hans", "zh-Hans"), ("bo", "bo"),
                                        ("mn_Mong", "mn-Mong")])
def test_the_site_names_them_from_the_same_table(monkeypatch, locale, tag):
    monkeypatch.setitem(roles.LANGUAGE_NAMES, "xx", {t: f"xx in {t}" for t in FOUR})
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context(), force_locale(locale):
        assert i18n.language_name("mn-Mong") == roles.LANGUAGE_NAMES["mn-Mong"][tag]
        assert i18n.language_name("xx") == f"xx in {tag}"  # one home: the site reads roles
        assert i18n.script_name("Hani") == roles.SCRIPT_NAMES["Hani"][tag]
        assert i18n.language_name("x-unknown") == "x-unknown"
        assert i18n.script_name("Zzzz") == "Zzzz"
