"""BagIt: write, verify, refuse tampered bags."""
from __future__ import annotations

import pytest

from library.bagit import is_bag, verify_bag, write_bag
from library.errors import BagError


def test_round_trip_and_tampering(tmp_path):
    src = tmp_path / "a.xml"
    src.write_text("<TEI/>")
    bag = write_bag(tmp_path / "bag", [("item/a.xml", src), ("record.json", b"{}")],
                    {"External-Identifier": "a"})
    assert is_bag(bag)
    assert verify_bag(bag) == bag / "data"
    assert "Payload-Oxum: 8.2" in (bag / "bag-info.txt").read_text()
    (bag / "data" / "item" / "a.xml").write_text("<TEI>changed</TEI>")
    with pytest.raises(BagError, match="mismatch"):
        verify_bag(bag)


def test_extra_and_missing_files_are_refused(tmp_path):
    src = tmp_path / "a.xml"
    src.write_text("x")
    bag = write_bag(tmp_path / "bag", [("a.xml", src)], {})
    (bag / "data" / "extra.txt").write_text("x")
    with pytest.raises(BagError, match="not in the manifest"):
        verify_bag(bag)
    (bag / "data" / "extra.txt").unlink()
    (bag / "data" / "a.xml").unlink()
    with pytest.raises(BagError, match="missing"):
        verify_bag(bag)


def test_manifest_path_escape_is_refused(tmp_path):
    bag = tmp_path / "bag"
    (bag / "data").mkdir(parents=True)
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\n")
    (bag / "manifest-sha256.txt").write_text("00  ../../etc/passwd\n")
    with pytest.raises(BagError) as exc:
        verify_bag(bag)
    assert exc.value.line == 1 and exc.value.file == "manifest-sha256.txt"
