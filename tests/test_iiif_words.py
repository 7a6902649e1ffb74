"""Words for people in the IIIF documents: a manifest's metadata names TEI roles and genres in
the four interface languages from the one table (library.roles) the site reads too, and a work's
Collection states the rights its volumes share."""
from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from library import roles
from library.iiif_presentation import build_manifest
from library.iiif_work import build_work_collection, common_rights
from library.models import Responsibility, Volume, Work
from viewer import labels

from iiif_samples import assert_prezi_valid, mongolian_book, prezi_validator

BASE = "https://lib.example"
FOUR = {"en", "zh-Hans", "bo", "mn-Mong"}


def _md(manifest: dict) -> dict[str, dict]:
    """The metadata entries keyed by their English label."""
    return {(e["label"].get("en") or e["label"]["none"])[0]: e for e in manifest["metadata"]}


def test_every_entry_of_the_table_speaks_the_four_languages():
    for table in (roles.ROLES, roles.DIRECTIONS, roles.BEHAVIORS, roles.GENRES):
        for code, words in table.items():
            assert set(words) == FOUR and all(w.strip() for w in words.values()), code


def test_manifest_roles_and_genre_are_words_in_four_languages(shared_dir):
    item = dataclasses.replace(
        mongolian_book(), genre="Epic",
        responsibility=[Responsibility("translatorMain", "A"), Responsibility("TEImarkupEditor", "B"),
                        Responsibility("Electronic Version by", "C")])
    data = build_manifest(item, BASE)
    md = _md(data)
    main = md["Main translator"]
    assert set(main["label"]) == FOUR and main["value"] == {"none": ["A"]}
    assert main["label"]["zh-Hans"] == ["主译者"] and main["label"]["bo"] == ["ལོ་ཙཱ་བ་གཙོ་བོ།"]
    assert "TEI mark-up editor" in md
    assert md["Genre"]["value"]["zh-Hans"] == ["史诗"] and set(md["Genre"]["label"]) >= FOUR
    assert md["Date"]["label"]["mn-Mong"] and md["Title"]["label"]["bo"]
    # a role no table knows is already words: given as written, untagged
    assert md["Electronic Version by"]["label"] == {"none": ["Electronic Version by"]}
    text = str(data["metadata"])
    assert "translatorMain" not in text and "TEImarkupEditor" not in text
    assert_prezi_valid(prezi_validator(shared_dir), data)


@pytest.mark.parametrize("locale,tag", [("en", "en"), ("zh_Hans", "zh-Hans"), ("bo", "bo"),
                                        ("mn_Mong", "mn-Mong")])
def test_the_site_reads_the_same_table(locale, tag):
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context(), force_locale(locale):
        assert labels.role_name("translator-main") == roles.ROLES["translatormain"][tag]
        assert labels.genre_name("epic") == roles.GENRES["epic"][tag]
        assert labels.direction_name("right-to-left") == roles.DIRECTIONS["right-to-left"][tag]
        assert labels.behavior_name("paged") == roles.BEHAVIORS["paged"][tag]
        assert labels.role_name("Electronic Version by") == "Electronic Version by"


# --- the rights of a work ----------------------------------------------------------------------

def _work_of(*rights: str) -> tuple[Work, list]:
    vols = [Volume(f"v{n}", str(n)) for n in range(1, len(rights) + 1)]
    items = [dataclasses.replace(mongolian_book(v.item, pages=1), rights=r)
             for v, r in zip(vols, rights)]
    return Work(id="w", titles={"en": "W"}, volumes=vols), list(zip(vols, items))


def test_a_work_states_the_rights_its_volumes_share(shared_dir):
    cc = "https://creativecommons.org/licenses/by/4.0"
    work, volumes = _work_of(cc, cc + "/")
    data = build_work_collection(BASE, work, volumes)
    assert data["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    assert_prezi_valid(prezi_validator(shared_dir), data)


@pytest.mark.parametrize("rights", [
    ("https://creativecommons.org/licenses/by/4.0", "http://rightsstatements.org/vocab/NoC-US/1.0/"),
    ("https://creativecommons.org/licenses/by/4.0", ""),
    ("", ""),
    ("some local licence", "some local licence"),
])
def test_a_work_whose_volumes_differ_or_say_nothing_states_no_rights(shared_dir, rights):
    work, volumes = _work_of(*rights)
    data = build_work_collection(BASE, work, volumes)
    assert "rights" not in data
    assert_prezi_valid(prezi_validator(shared_dir), data)


def test_a_volume_not_in_the_library_does_not_count():
    work, volumes = _work_of("https://creativecommons.org/licenses/by/4.0", "")
    volumes[1] = (volumes[1][0], None)
    assert build_work_collection(BASE, work, volumes)["rights"].startswith("http://creativecommons")
    assert common_rights([]) is None
