"""OAI-PMH 2.0: the six verbs, oai_dc records, errors and resumption."""
from __future__ import annotations

import pytest
from lxml import etree

from ingest.pipeline import ingest_batch
from library.settings import Settings
from viewer import create_app

from test_pipeline import make_item

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}


@pytest.fixture(scope="module")
def oai_client(tmp_path_factory):
    root = tmp_path_factory.mktemp("oai")
    for i in range(3):
        make_item(root / "batch", f"item-{i}", title=f"Title {i}")
    settings = Settings.load(root / "lib")
    assert ingest_batch(root / "batch", settings).ok
    return create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()


def _get(client, query):
    r = client.get("/oai?" + query)
    assert r.status_code == 200 and r.mimetype == "text/xml"
    return etree.fromstring(r.data)


def test_identify_and_formats(oai_client):
    doc = _get(oai_client, "verb=Identify")
    assert doc.findtext(".//o:protocolVersion", namespaces=NS) == "2.0"
    doc = _get(oai_client, "verb=ListMetadataFormats")
    assert doc.findtext(".//o:metadataPrefix", namespaces=NS) == "oai_dc"


def test_list_records_and_get_record(oai_client):
    doc = _get(oai_client, "verb=ListRecords&metadataPrefix=oai_dc")
    titles = doc.xpath("//dc:title/text()", namespaces=NS)
    assert sorted(titles) == ["Title 0", "Title 1", "Title 2"]
    ident = doc.xpath("//o:header/o:identifier/text()", namespaces=NS)[0]
    doc = _get(oai_client, f"verb=GetRecord&metadataPrefix=oai_dc&identifier={ident}")
    assert len(doc.xpath("//o:record", namespaces=NS)) == 1


@pytest.mark.parametrize("query,code", [
    ("verb=Nope", "badVerb"),
    ("", "badVerb"),
    ("verb=ListRecords", "badArgument"),
    ("verb=ListRecords&metadataPrefix=mods", "cannotDisseminateFormat"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x:nope", "idDoesNotExist"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01", "noRecordsMatch"),
    ("verb=ListRecords&resumptionToken=garbage", "badResumptionToken"),
    ("verb=Identify&extra=1", "badArgument"),
])
def test_errors(oai_client, query, code):
    doc = _get(oai_client, query)
    assert doc.find("o:error", NS).get("code") == code
