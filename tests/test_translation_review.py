"""docs/translation-review.md lists every Mongolian and Tibetan string marked for review, and is
current with the .po files (regenerate it with ``python docs/translation_review.py``)."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("translation_review",
                                                  ROOT / "docs" / "translation_review.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_review_list_is_current():
    script = _script()
    assert (ROOT / "docs" / "translation-review.md").read_text(encoding="utf-8") == \
        script.render(), "run: python docs/translation_review.py"
    assert script.main(["--check"]) == 0


def test_every_marked_entry_is_listed_with_its_translation():
    script = _script()
    for locale in ("mn_Mong", "bo"):
        po = (ROOT / "viewer/translations" / locale / "LC_MESSAGES/messages.po").read_text(
            encoding="utf-8")
        marked = len(re.findall(r"^# review:", po, re.M))
        entries = script.review_entries(
            ROOT / "viewer/translations" / locale / "LC_MESSAGES/messages.po")
        assert len(entries) == marked > 0
        assert all(msgid and msgstr for msgid, msgstr, _ in entries)
    entries = dict((i, s) for i, s, _ in script.review_entries(
        ROOT / "viewer/translations/bo/LC_MESSAGES/messages.po"))
    assert entries["Main translator"] == "ལོ་ཙཱ་བ་གཙོ་བོ།"


def test_a_sample_po_is_read_entry_by_entry(tmp_path):
    script = _script()
    po = tmp_path / "messages.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: bo\\n"\n\n'
                  '# review: needs a native speaker\n#, python-format\nmsgid "Note %(n)s"\n'
                  'msgstr "མཆན། %(n)s"\n\nmsgid "Plain"\nmsgstr "x"\n\n'
                  '# review: word choice\nmsgid ""\n"Two "\n"lines"\nmsgstr "a \\"b\\""\n',
                  encoding="utf-8")
    assert script.review_entries(po) == [("Note %(n)s", "མཆན། %(n)s", "needs a native speaker"),
                                         ("Two lines", 'a "b"', "word choice")]
