"""Every case of ../shared/text/cases.tsv end to end: each document ingested as an item, each
query through `sudur search --json` (with `--exact` for the exact no-match cases)."""
from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner

from library.cli import cli

from text_cases import decode, load_cases


def _lang(text: str) -> str:
    if any("\u1800" <= c <= "\u18af" for c in text):
        return "mn-Mong"
    if any("\u0f00" <= c <= "\u0fff" for c in text):
        return "bo"
    return "zh-Hant"


@pytest.fixture(scope="module")
def case_library(shared_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("cases")
    cases = load_cases(shared_dir)
    for case in cases:
        doc = decode(case["document_codepoints"])
        item = "case-" + case["id"].lower()
        folder = root / "batch" / item
        folder.mkdir(parents=True)
        lang = _lang(doc)
        (folder / f"{item}.xml").write_text(
            '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>'
            f'<title xml:lang="en">{case["id"]}</title></titleStmt><publicationStmt><p>test'
            '</p></publicationStmt><sourceDesc><p>cases.tsv</p></sourceDesc></fileDesc>'
            f'<profileDesc><langUsage><language ident="{lang}"/></langUsage></profileDesc>'
            f'</teiHeader><text xml:lang="{lang}"><body><p><pb n="1"/>{escape(doc)}</p>'
            '</body></text></TEI>', encoding="utf-8")
    lib = root / "lib"
    res = CliRunner().invoke(cli, ["--library", str(lib), "ingest", str(root / "batch"),
                                   "--workers", "2"])
    assert res.exit_code == 0, res.output
    return lib, cases


def test_every_case_end_to_end(case_library):
    lib, cases = case_library
    wrong = []
    for case in cases:
        query = decode(case["query_codepoints"])
        item = "case-" + case["id"].lower()
        exact = case["expect"] == "no-match"
        if exact and "exact" not in case["fields"]:
            continue  # a shape-only no-match (MN03b) is not observable from the CLI; see below
        args = ["--library", str(lib), "search", query, "--json", "--limit", "100"]
        if exact:
            args.append("--exact")
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 0, (case["id"], res.output)
        items = {h["item"] for h in json.loads(res.output)["hits"]}
        if (item in items) != (case["expect"] == "match"):
            wrong.append(f'{case["id"]}: {case["expect"]} expected for {query!r} '
                         f'({case["why"]})')
    assert wrong == []
    assert sum(1 for c in cases if c["expect"] == "match") >= 25


def test_shape_only_no_match_holds_at_the_key_level(shared_dir):
    """MN03b (ayi vs ai) is about the shape key alone; the default search finds it through the
    loose key, as SCRIPTS.md wants, so it is checked where it lives."""
    from library import scripts

    for case in load_cases(shared_dir):
        if case["expect"] == "no-match" and "exact" not in case["fields"]:
            doc, query = decode(case["document_codepoints"]), decode(case["query_codepoints"])
            assert scripts.mongol_shape(doc) != scripts.mongol_shape(query), case["id"]
