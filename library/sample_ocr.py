"""The sample's OCR files, written from the lines as drawn (``library.sample_pages.Drawn``).

The OCR carries what is drawn, so a word in ``<choice>`` reads as ``orig``/``sic`` there. Words
are split at spaces only (Tibetan: after each tsheg or shad; Chinese: one character each): a
Mongolian case suffix joined by NNBSP (U+202F) stays in its word's ``String``, as written. Words
in ``<unclear>`` get a low confidence (WC 0.40, x_wconf 40).
"""
from __future__ import annotations

from lxml import etree

from .models import Box
from .sample_items import ItemSpec
from .sample_pages import Drawn

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"


def alto(spec: ItemSpec, order: int, size: tuple[int, int], lines: list[Drawn]) -> bytes:
    """ALTO 4: one TextBlock per page, a TextLine per written line, a String per word."""
    A = f"{{{ALTO_NS}}}"
    root = etree.Element(A + "alto", nsmap={None: ALTO_NS})
    desc = etree.SubElement(root, A + "Description")
    etree.SubElement(desc, A + "MeasurementUnit").text = "pixel"
    src = etree.SubElement(desc, A + "sourceImageInformation")
    etree.SubElement(src, A + "fileName").text = f"images/{order:04d}.png"
    layout = etree.SubElement(root, A + "Layout")
    pg = etree.SubElement(layout, A + "Page", ID=f"p{order}", PHYSICAL_IMG_NR=str(order),
                          WIDTH=str(size[0]), HEIGHT=str(size[1]))
    space = etree.SubElement(pg, A + "PrintSpace", HPOS="0", VPOS="0", WIDTH=str(size[0]),
                             HEIGHT=str(size[1]))
    block = etree.SubElement(space, A + "TextBlock", ID=f"p{order}_b1", LANG=spec.lang)
    for ln, line in enumerate(lines, start=1):
        if line.box is None:
            continue
        tl = etree.SubElement(block, A + "TextLine", ID=f"p{order}_l{ln}", **_xywh(line.box))
        for wn, (word, conf) in enumerate(zip(line.words, line.confidence), start=1):
            if wn > 1:
                etree.SubElement(tl, A + "SP")
            assert word.box is not None
            etree.SubElement(tl, A + "String", ID=f"p{order}_l{ln}_w{wn}", CONTENT=word.text,
                             WC=f"{conf:.2f}", **_xywh(word.box))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _xywh(box: Box) -> dict[str, str]:
    return {"HPOS": str(box.x), "VPOS": str(box.y), "WIDTH": str(box.w), "HEIGHT": str(box.h)}


def hocr(spec: ItemSpec, order: int, size: tuple[int, int], lines: list[Drawn]) -> bytes:
    """hOCR 1.2 (XHTML): ocr_page > ocr_line > ocrx_word with bbox x0 y0 x1 y1."""
    H = "{http://www.w3.org/1999/xhtml}"
    root = etree.Element(H + "html", nsmap={None: "http://www.w3.org/1999/xhtml"})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    head = etree.SubElement(root, H + "head")
    etree.SubElement(head, H + "title").text = f"{spec.id} {order:04d}"
    etree.SubElement(head, H + "meta", attrib={"http-equiv": "Content-Type",
                                                "content": "text/html; charset=utf-8"})
    etree.SubElement(head, H + "meta", name="ocr-system", content="sudur-sample")
    etree.SubElement(head, H + "meta", name="ocr-capabilities",
                     content="ocr_page ocr_line ocrx_word")
    body = etree.SubElement(root, H + "body")
    page = etree.SubElement(body, H + "div", attrib={
        "class": "ocr_page", "id": f"page_{order}",
        "title": f'image "images/{order:04d}.png"; bbox 0 0 {size[0]} {size[1]}; ppageno {order - 1}'})
    for ln, line in enumerate(lines, start=1):
        if line.box is None:
            continue
        span = etree.SubElement(page, H + "span", attrib={
            "class": "ocr_line", "id": f"line_{order}_{ln}", "title": _bbox(line.box)})
        span.set("{http://www.w3.org/XML/1998/namespace}lang", spec.lang)
        for wn, (word, conf) in enumerate(zip(line.words, line.confidence), start=1):
            assert word.box is not None
            w = etree.SubElement(span, H + "span", attrib={
                "class": "ocrx_word", "id": f"word_{order}_{ln}_{wn}",
                "title": f"{_bbox(word.box)}; x_wconf {round(conf * 100)}"})
            w.text = word.text
            w.tail = " "
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            + etree.tostring(root, encoding="UTF-8", pretty_print=True))


def _bbox(box: Box) -> str:
    return f"bbox {box.x} {box.y} {box.x + box.w} {box.y + box.h}"
