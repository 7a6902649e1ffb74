"""Which responses carry CORS headers, and which headers: the Image API's whole tree (errors and
preflights included, spec 7.1), every routed Presentation and Content Search response; nothing
else (the HTML site, /api, /oai, unrouted paths). One table, so a change to the rule shows."""
from __future__ import annotations

import pytest

from viewer import create_app
from viewer_library import build_library

ANY = {"Access-Control-Allow-Origin": "*"}
IMAGE = {**ANY, "Access-Control-Expose-Headers": "Link, ETag, Last-Modified"}
PREFLIGHT = {**IMAGE, "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
             "Access-Control-Allow-Headers": "x-requested-with", "Access-Control-Max-Age": "86400"}
NONE: dict = {}

CASES = [
    # the Image API, by path: found or not, routed or not
    ("GET", "/iiif/3/nope.0001/info.json", IMAGE),
    ("GET", "/iiif/3/nope.0001", IMAGE),
    ("GET", "/iiif/3/not-an-id/full/max/0/default.jpg", IMAGE),
    ("GET", "/iiif/3", IMAGE),
    ("GET", "/iiif/3/", IMAGE),
    ("OPTIONS", "/iiif/3/nope.0001/info.json", PREFLIGHT),
    ("POST", "/iiif/3/nope.0001/info.json", IMAGE),
    # Presentation and Content Search, by route: answers and errors alike
    ("GET", "/iiif/jangar-ms-1/manifest", ANY),
    ("GET", "/iiif/nope/manifest", ANY),
    ("GET", "/iiif/jangar-ms-1/annotations/1", ANY),
    ("GET", "/iiif/jangar-ms-1/annotations/99", ANY),
    ("GET", "/iiif/jangar-ms-1/annotations/one", ANY),  # routed; the number's 400 is an answer
    ("GET", "/iiif/collection/top", ANY),
    ("GET", "/iiif/collection/nope", ANY),
    ("GET", "/iiif/jangar-ms-1/search", ANY),
    ("GET", "/iiif/jangar-ms-1/search1", ANY),
    ("GET", "/iiif/jangar-ms-1/autocomplete", ANY),
    ("GET", "/iiif/nope/autocomplete1?q=x", ANY),
    ("OPTIONS", "/iiif/jangar-ms-1/manifest", ANY),
    # nothing else
    ("POST", "/iiif/jangar-ms-1/manifest", NONE),
    ("GET", "/iiif/x/y/z", NONE),
    ("GET", "/", NONE),
    ("GET", "/items/jangar-ms-1", NONE),
    ("GET", "/items/jangar-ms-1/read", NONE),
    ("GET", "/embed/jangar-ms-1", NONE),
    ("GET", "/oembed?url=/items/jangar-ms-1", NONE),
    ("GET", "/api/search", NONE),
    ("GET", "/api/items/jangar-ms-1/pages/1", NONE),
    ("GET", "/api/items/nope/pages/1", NONE),
    ("GET", "/oai?verb=Identify", NONE),
    ("GET", "/kiosk/all", NONE),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = build_library(tmp_path_factory.mktemp("lib") / "lib")
    return create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()


@pytest.mark.parametrize("method,path,expected", CASES, ids=[f"{m} {p}" for m, p, _ in CASES])
def test_cors_headers(client, method, path, expected):
    resp = client.open(path, method=method, headers={
        "Origin": "https://viewer.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-requested-with"})
    cors = {k: v for k, v in resp.headers.items() if k.startswith("Access-Control-")}
    assert cors == expected, resp.status_code


def test_the_table_covers_answers_and_errors(client):
    statuses = {client.open(p, method=m).status_code for m, p, _ in CASES}
    assert {200, 400, 404, 405} <= statuses
