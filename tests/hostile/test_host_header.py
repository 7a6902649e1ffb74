"""The Host header and X-Forwarded-* (issue 11 point 16): ids built from the request say so with
``Vary: Host``; a configured ``base_url`` is never overridden by a header; forwarded headers are
honoured only when ``trust_proxy_headers`` says a proxy sets them; the language cookie is
``Secure`` under HTTPS; ``sudur serve`` warns when ``base_url`` is unset."""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.pipeline import ingest_batch  # noqa: E402
from library.settings import Settings  # noqa: E402
from viewer import create_app  # noqa: E402

ITEM, IMAGE = "good-00", "good-00.0001"
EVIL = "evil.example"
# every response whose body carries ids or links built from the public base URL
ID_URLS = [
    f"/iiif/{ITEM}/manifest",
    f"/iiif/3/{IMAGE}/info.json",
    f"/iiif/{ITEM}/search?q=common",
    f"/iiif/{ITEM}/search1?q=common",
    f"/iiif/{ITEM}/autocomplete?q=comm",
    f"/iiif/{ITEM}/annotations/1",
    "/iiif/collection/top",
    f"/oembed?url=http://localhost/items/{ITEM}",
    f"/items/{ITEM}",
    "/oai?verb=ListRecords&metadataPrefix=oai_dc",
]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    from crashlib import build_batch

    root = Path(tempfile.mkdtemp(prefix="host-"))
    batch = build_batch(root / "batch", n_items=1, pages=2, size=(300, 200), prefix="good")
    lib = root / "lib"
    assert ingest_batch(batch, Settings.load(lib)).ingested == [ITEM]
    yield lib
    shutil.rmtree(root, ignore_errors=True)


def client(lib: Path, **settings):
    return create_app({"SUDUR_SETTINGS": Settings.load(lib, **settings),
                       "TESTING": True}).test_client()


@pytest.mark.parametrize("url", ID_URLS)
def test_ids_from_the_request_vary_on_host(library, url):
    resp = client(library).get(url, headers={"Host": EVIL})
    assert resp.status_code == 200
    assert EVIL.encode() in resp.data  # no base_url: the ids are this request's
    assert "host" in {v.lower() for v in resp.vary}, resp.headers.get("Vary")


@pytest.mark.parametrize("url", ID_URLS)
def test_a_configured_base_url_is_never_overridden(library, url):
    c = client(library, base_url="https://library.example/sudur")
    resp = c.get(url, headers={"Host": EVIL, "X-Forwarded-Host": EVIL,
                               "X-Forwarded-Proto": "http", "X-Forwarded-Prefix": "/evil"})
    assert resp.status_code == 200
    assert EVIL.encode() not in resp.data and b"/evil" not in resp.data
    assert b"library.example" in resp.data
    assert "host" not in {v.lower() for v in resp.vary}


def test_forwarded_headers_are_ignored_unless_trusted(library):
    resp = client(library).get(f"/iiif/{ITEM}/manifest",
                               headers={"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https",
                                        "X-Forwarded-Prefix": "/evil"})
    assert resp.get_json()["id"] == f"http://localhost/iiif/{ITEM}/manifest"


def test_forwarded_headers_are_honoured_when_trusted(library):
    c = client(library, trust_proxy_headers=True)
    resp = c.get(f"/iiif/{ITEM}/manifest", headers={
        "X-Forwarded-Host": "library.example", "X-Forwarded-Proto": "https",
        "X-Forwarded-Prefix": "/sudur"})
    assert resp.get_json()["id"] == f"https://library.example/sudur/iiif/{ITEM}/manifest"
    vary = {v.lower() for v in resp.vary}
    assert {"host", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-prefix"} <= vary


@pytest.mark.parametrize("raw, value", [("1", True), ("true", True), ("yes", True),
                                        ("0", False), ("false", False), ("", False)])
def test_the_proxy_setting_reads_the_environment(tmp_path, monkeypatch, raw, value):
    monkeypatch.setenv("SUDUR_TRUST_PROXY_HEADERS", raw)
    assert Settings.load(tmp_path).trust_proxy_headers is value
    monkeypatch.delenv("SUDUR_TRUST_PROXY_HEADERS")
    assert Settings.load(tmp_path).trust_proxy_headers is False


def test_language_cookie_is_secure_under_https(library):
    plain = client(library).get("/lang/en", base_url="http://localhost")
    assert "Secure" not in plain.headers["Set-Cookie"]
    secure = client(library).get("/lang/en", base_url="https://localhost")
    assert "Secure" in secure.headers["Set-Cookie"]
    proxied = client(library, trust_proxy_headers=True).get(
        "/lang/en", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in proxied.headers["Set-Cookie"]
    untrusted = client(library).get("/lang/en", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in untrusted.headers["Set-Cookie"]


@pytest.mark.parametrize("base_url, warned", [("", True), ("https://library.example", False)])
def test_serve_warns_when_base_url_is_unset(library, monkeypatch, base_url, warned):
    from flask import Flask

    from library.cli import cli

    ran = []
    monkeypatch.setattr(Flask, "run", lambda self, **kw: ran.append(kw))
    monkeypatch.setenv("SUDUR_BASE_URL", base_url)
    result = CliRunner().invoke(cli, ["--library", str(library), "serve"])
    assert result.exit_code == 0, result.output
    assert ran
    assert ("base_url is not set" in result.output) is warned, result.output
