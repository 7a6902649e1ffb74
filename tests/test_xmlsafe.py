"""Tests for ingest.xmlsafe: the one locked-down XML parser."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.xmlsafe import parse_xml, parse_xml_bytes
from library.errors import InputError, UnsafeXMLError, XMLSyntaxError

NAME = "batch/item/item.xml"

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
               for i in range(1, 10))
    + b"]>\n<lolz>&lol9;</lolz>\n"
)
QUADRATIC = (b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "' + b"x" * 100_000 + b'">]>\n<a>'
             + b"&x;" * 100_000 + b"</a>")


def test_parses_plain_xml_and_keeps_lines() -> None:
    tree = parse_xml_bytes(b'<?xml version="1.0"?>\n<a>\n  <b>text</b>\n</a>', NAME)
    b = tree.getroot()[0]
    assert b.text == "text"
    assert b.sourceline == 3


def test_parse_xml_reads_file(tmp_path: Path) -> None:
    f = tmp_path / "x.xml"
    f.write_text("<a>ᠰᠤᠳᠤᠷ</a>", encoding="utf-8")
    assert parse_xml(f).getroot().text == "ᠰᠤᠳᠤᠷ"


def test_malformed_names_file_and_line() -> None:
    with pytest.raises(XMLSyntaxError) as ei:
        parse_xml_bytes(b"<a>\n<b>\n</a>", NAME)
    assert ei.value.file == NAME
    assert ei.value.line == 3
    assert NAME + ":3" in str(ei.value)


@pytest.mark.parametrize("doc, line, what", [
    (b'<?xml version="1.0"?>\n<!DOCTYPE a [\n<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<a>&e;</a>',
     3, "external entity"),
    (b'<!DOCTYPE a [\n<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]>\n<a>&e;</a>', 2, "external entity"),
    (b'<!DOCTYPE a [\n\n<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>\n<a/>', 3,
     "parameter entity"),
    (b'<!DOCTYPE a [<!ENTITY % p "<!ENTITY q \'x\'>"> %p;]><a>&q;</a>', 1, "parameter entity"),
    (b'<!DOCTYPE a [<!-- ] --> <!ENTITY e "x">]><a>&e;</a>', 1, "entity"),
])
def test_entities_refused(doc: bytes, line: int, what: str) -> None:
    with pytest.raises(UnsafeXMLError) as ei:
        parse_xml_bytes(doc, NAME)
    assert ei.value.line == line
    assert what in ei.value.message
    assert str(ei.value).startswith(f"{NAME}:{line}:")


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, QUADRATIC], ids=["billion-laughs", "quadratic"])
def test_entity_bombs_refused_quickly(doc: bytes) -> None:
    t0 = time.perf_counter()
    with pytest.raises(UnsafeXMLError) as ei:
        parse_xml_bytes(doc, NAME)
    assert time.perf_counter() - t0 < 0.5
    assert ei.value.file == NAME and ei.value.line is not None


def test_external_dtd_is_never_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY leak "SECRET">', encoding="utf-8")
    doc = f'<!DOCTYPE a SYSTEM "{secret.as_uri()}">\n<a>plain</a>'.encode()
    tree = parse_xml_bytes(doc, NAME)
    assert tree.getroot().text == "plain"
    # and an entity only the external DTD declares stays undefined: an error, not a leak
    doc2 = f'<!DOCTYPE a SYSTEM "{secret.as_uri()}">\n<a>&leak;</a>'.encode()
    with pytest.raises(XMLSyntaxError) as ei:
        parse_xml_bytes(doc2, NAME)
    assert "SECRET" not in str(ei.value)
    assert ei.value.line == 2


def test_xhtml_public_doctype_accepted() -> None:
    doc = (b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"'
           b' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
           b'<html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>')
    assert parse_xml_bytes(doc, NAME).getroot().tag.endswith("html")


def test_xinclude_refused_not_processed(tmp_path: Path) -> None:
    inc = tmp_path / "inc.txt"
    inc.write_text("INCLUDED", encoding="utf-8")
    doc = (f'<a xmlns:xi="http://www.w3.org/2001/XInclude">\n<b/>\n'
           f'<xi:include href="{inc.as_uri()}" parse="text"/></a>').encode()
    with pytest.raises(UnsafeXMLError) as ei:
        parse_xml_bytes(doc, NAME)
    assert ei.value.line == 3
    assert "XInclude" in ei.value.message


def test_invalid_utf8_names_line() -> None:
    with pytest.raises(XMLSyntaxError) as ei:
        parse_xml_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n<a>\n\xff\xfe</a>', NAME)
    assert ei.value.line == 3
    assert "encoding" in ei.value.message


def test_bom_contradicting_declaration() -> None:
    with pytest.raises(XMLSyntaxError) as ei:
        parse_xml_bytes(b'\xef\xbb\xbf<?xml version="1.0" encoding="ISO-8859-1"?><a/>', NAME)
    assert "byte order mark" in ei.value.message and ei.value.line == 1
    doc16 = '<?xml version="1.0" encoding="UTF-8"?><a/>'.encode("utf-16")
    with pytest.raises(XMLSyntaxError, match="UTF-16"):
        parse_xml_bytes(doc16, NAME)


def test_consistent_boms_accepted() -> None:
    assert parse_xml_bytes('<?xml version="1.0" encoding="UTF-16"?><a>é</a>'.encode("utf-16"),
                           NAME).getroot().text == "é"
    assert parse_xml_bytes(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><a>\xc3\xa9</a>',
                           NAME).getroot().text == "é"


def test_deep_nesting_refused_without_crash() -> None:
    n = 200_000
    t0 = time.perf_counter()
    with pytest.raises(XMLSyntaxError, match="nested too deeply"):
        parse_xml_bytes(b"<a>" * n + b"</a>" * n, NAME)
    assert time.perf_counter() - t0 < 2


def test_size_limit_checked_before_reading(tmp_path: Path) -> None:
    f = tmp_path / "big.xml"
    f.write_bytes(b"<a>" + b"x" * 2000 + b"</a>")
    with pytest.raises(InputError) as ei:
        parse_xml(f, display_name="b/big.xml", max_bytes=1000)
    assert ei.value.file == "b/big.xml"
    assert "limit" in ei.value.message


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        parse_xml(tmp_path / "nope.xml")
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"  \n")
    with pytest.raises(XMLSyntaxError, match="empty"):
        parse_xml(empty, display_name="x/empty.xml")
