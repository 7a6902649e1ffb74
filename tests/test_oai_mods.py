"""OAI-PMH's MODS 3.7 records (viewer/oai_mods.py) over the sample library. No MODS XSD is
available offline (not in ../shared/corpora nor the docs corpus), so the records are checked
structurally with lxml: the official namespace and schema location, each element the task
names, the order MODS's sequences require, and values from the sample's TEI."""
from __future__ import annotations

import pytest
from lxml import etree

import viewer.oai
from viewer import create_app

O = "http://www.openarchives.org/OAI/2.0/"
M = "http://www.loc.gov/mods/v3"
NS = {"o": O, "m": M, "xlink": "http://www.w3.org/1999/xlink"}
XSI_LOC = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"


@pytest.fixture(scope="module")
def client(sample_library):
    return create_app({"SUDUR_SETTINGS": sample_library, "TESTING": True}).test_client()


def _get(client, query: str) -> etree._Element:
    resp = client.get("/oai?" + query)
    assert resp.status_code == 200 and resp.mimetype == "text/xml"
    return etree.fromstring(resp.data)


def test_mods_is_listed_with_its_namespace_and_schema(client):
    doc = _get(client, "verb=ListMetadataFormats")
    formats = {f.findtext("o:metadataPrefix", namespaces=NS):
               (f.findtext("o:schema", namespaces=NS),
                f.findtext("o:metadataNamespace", namespaces=NS))
               for f in doc.iterfind(".//o:metadataFormat", NS)}
    assert formats["mods"] == ("http://www.loc.gov/standards/mods/v3/mods-3-7.xsd", M)
    assert "oai_dc" in formats


def _record(client, item_id: str) -> etree._Element:
    ident = _get(client, "verb=ListIdentifiers&metadataPrefix=mods").xpath(
        f"//o:identifier[substring-after(., ':{item_id}') = '' and contains(., ':{item_id}')]",
        namespaces=NS)[0].text
    doc = _get(client, f"verb=GetRecord&metadataPrefix=mods&identifier={ident}")
    (mods,) = doc.xpath("//o:metadata/m:mods", namespaces=NS)
    return mods


def test_a_mods_record_of_the_jangar_manuscript(client):
    mods = _record(client, "jangar-ms-1")
    assert mods.get("version") == "3.7"
    assert mods.get(XSI_LOC) == f"{M} http://www.loc.gov/standards/mods/v3/mods-3-7.xsd"
    x = lambda path: mods.xpath(path, namespaces=NS)  # noqa: E731
    # titleInfo: the item's own language first and primary; a translation and a transliteration
    first = x("m:titleInfo")[0]
    assert first.get("usage") == "primary"
    assert first.get("{http://www.w3.org/XML/1998/namespace}lang") == "mn-Mong"
    assert first.findtext("m:title", namespaces=NS) == "ᠵᠠᠩᠭᠠᠷ"
    assert x("string(m:titleInfo[@xml:lang='en']/@type)") == "translated"
    assert x("string(m:titleInfo[@xml:lang='mn-Cyrl']/@type)") == "alternative"
    # name/role: the bard (the scribe is unknown), in words and MARC relator codes
    names = {n.findtext("m:namePart", namespaces=NS): [
        (r.get("type"), r.text) for r in n.iterfind("m:role/m:roleTerm", NS)]
        for n in x("m:name")}
    assert names["Eelyan Ovla (attributed)"] == [("text", "bard"), ("code", "aut")]
    assert "Unknown scribe" not in names  # an unnamed agent is no name (library.roles.unnamed)
    assert x("string(m:typeOfResource/@manuscript)") == "yes"
    # originInfo: production (place, date as written and its range) and publication
    assert x("string(m:originInfo[@eventType='production']/m:place/m:placeTerm)") == "Hohhot"
    created = x("m:originInfo[@eventType='production']/m:dateCreated")
    assert [(d.get("point"), d.text) for d in created] == [
        (None, "1950s"), ("start", "1950"), ("end", "1959")]
    assert x("string(m:originInfo[@eventType='publication']/m:publisher)") == "Sudur"
    # language with its script
    assert x("string(m:language[1]/m:languageTerm[@authority='rfc5646'])") == "mn-Mong"
    assert "Mong" in x("m:language[1]/m:scriptTerm/text()")
    assert x("string(m:physicalDescription/m:digitalOrigin)") == "reformatted digital"
    assert x("string(m:physicalDescription/m:extent)")
    # location: a sequence in MODS: physicalLocation, shelfLocator, url
    loc = x("m:location")[0]
    assert [etree.QName(c).localname for c in loc] == [
        "physicalLocation", "shelfLocator", "url", "url"]
    assert "Inner Mongolia Library (sample)" in loc[0].text and loc[1].text == "IML-S-001"
    assert loc[2].text == "http://localhost/items/jangar-ms-1"
    assert loc[3].text == "http://localhost/iiif/jangar-ms-1/manifest"
    assert x("string(m:identifier[@type='uri'])") == "http://localhost/items/jangar-ms-1"
    access = x("m:accessCondition")[0]
    assert access.get("type") == "use and reproduction"
    assert access.get("{http://www.w3.org/1999/xlink}href") == \
        "https://creativecommons.org/licenses/by/4.0/"
    # every element is MODS's: nothing from another namespace slipped in
    assert {etree.QName(e).namespace for e in mods.iter()} == {M}
    # language: languageTerm before scriptTerm, as its sequence requires
    for lang in x("m:language"):
        kinds = [etree.QName(c).localname for c in lang]
        assert kinds == sorted(kinds, key=["languageTerm", "scriptTerm"].index)


def test_list_records_in_mods_keeps_its_prefix_across_pages(client, monkeypatch):
    monkeypatch.setattr(viewer.oai, "PAGE", 2)
    doc = _get(client, "verb=ListRecords&metadataPrefix=mods")
    assert len(doc.xpath("//m:mods", namespaces=NS)) == 2
    token = doc.findtext(".//o:resumptionToken", namespaces=NS)
    assert token.startswith("mods|")
    doc = _get(client, f"verb=ListRecords&resumptionToken={token}")
    assert len(doc.xpath("//m:mods", namespaces=NS)) >= 1
    assert not doc.xpath("//o:metadata/*[local-name()='dc']", namespaces=NS)


def test_an_unknown_format_is_refused(client):
    doc = _get(client, "verb=ListRecords&metadataPrefix=marcxml")
    error = doc.find(f"{{{O}}}error")
    assert error.get("code") == "cannotDisseminateFormat" and "mods" in error.text
