"""Canvases and ranges are built as plain dicts for speed (library/iiif_presentation.py): here
they are proved to be exactly what iiif-prezi3's models build, key order included, for every
kind of canvas and range; and a 10,000-page manifest is built without the models' per-canvas
cost (its time is measured in bench/bench_pages.py, not asserted here)."""
from __future__ import annotations

import pytest

import json

from iiif_prezi3 import (Annotation, AnnotationBody, AnnotationPage, AnnotationPageRef, Canvas,
                         CanvasRef, Range)

from library import iiif_presentation as prezi
from library.models import Box, Item, Line, Page, TocEntry
from library.urls import annotation_page_url, canvas_url, image_url, range_url

BASE = "https://lib.example/sudur"


def mixed_item() -> Item:
    """Every kind of page: imaged with text, text only, imaged with boxed lines and no text,
    neither; and nested divisions, one ending past the last page."""
    return Item(
        id="mixed-1", titles={"en": "Mixed", "bo": "ཀ"}, languages=["bo"], scripts=["Tibt"],
        writing_system="bo",
        toc=[TocEntry(label={"en": "One"}, page=1,
                      children=[TocEntry(label={"bo": "གཉིས"}, page=2, end_page=3)]),
             TocEntry(label={}, page=4, end_page=10 ** 9)],
        pages=[Page(item_id="mixed-1", order=1, label="1a", image="a.tif", width=3001,
                    height=777, text='a "q" \\ \n<x>'),
               Page(item_id="mixed-1", order=2, label="", text="text only"),
               Page(item_id="mixed-1", order=3, label="ᠨᠢᠭᠡ", image="c.tif", width=10,
                    height=20000, lines=[Line(text="l", box=Box(0, 0, 5, 5), start=0, end=1)]),
               Page(item_id="mixed-1", order=4, label="4")])


def model_canvas(item: Item, page: Page, base: str) -> Canvas:
    """The canvas as the models built it before (the reference)."""
    canvas_id = canvas_url(base, item.id, page.order)
    if page.has_image:
        width, height = page.width, page.height
    else:  # every image-less canvas takes the size found for the first one
        first = next(p for p in item.pages if not p.has_image)
        width, height = prezi.text_canvas_size(item, first)
    items = []
    if page.has_image:
        svc = prezi.image_service(base, page.image_id, page.width, page.height)
        body = AnnotationBody(id=image_url(base, page.image_id), type="Image",
                              format="image/jpeg", width=page.width, height=page.height,
                              service=[svc])
        items.append(Annotation(id=f"{canvas_id}/painting/image", motivation="painting",
                                body=body, target=canvas_id))
    extra = {}
    if page.text or page.lines:
        extra["annotations"] = [AnnotationPageRef(
            {"id": annotation_page_url(base, item.id, page.order), "type": "AnnotationPage",
             "label": prezi._label("transcription")})]
    return Canvas(id=canvas_id, label={"none": [page.label or str(page.order)]}, width=width,
                  height=height, items=[AnnotationPage(id=f"{canvas_id}/painting", items=items)],
                  **extra)


def _text(model) -> str:
    """A model's JSON as the manifest embeds it (inside a manifest, without its own context)."""
    data = json.loads(model.json())
    data.pop("@context", None)
    return json.dumps(data, ensure_ascii=False)


def test_every_kind_of_canvas_is_what_the_models_build() -> None:
    item = mixed_item()
    canvases = prezi.build_manifest(item, BASE)["items"]
    assert len(canvases) == 4
    for page, built in zip(item.pages, canvases):
        assert json.dumps(built, ensure_ascii=False) == _text(model_canvas(item, page, BASE))


def test_ranges_are_what_the_models_build_and_stay_inside_the_item() -> None:
    item = mixed_item()
    [toc] = prezi.build_manifest(item, BASE)["structures"]

    def ref(o: int) -> CanvasRef:
        return CanvasRef(id=canvas_url(BASE, item.id, o), type="Canvas")

    one = Range(id=range_url(BASE, item.id, "1"), label={"en": ["One"]}, items=[
        ref(1), Range(id=range_url(BASE, item.id, "1-1"), label={"bo": ["གཉིས"]},
                      items=[ref(2), ref(3)])])
    two = Range(id=range_url(BASE, item.id, "2"), label={"none": ["2"]}, items=[ref(4)])
    expected = Range(id=range_url(BASE, item.id, "toc"), label=prezi._label("contents"),
                     items=[one, two])
    assert json.dumps(toc, ensure_ascii=False) == _text(expected)


@pytest.mark.slow  # seconds of end-to-end work: `make test-slow`, and CI, run it
def test_a_ten_thousand_page_manifest_has_every_canvas() -> None:
    pages = [Page(item_id="big", order=n, label=str(n), image="p.tif", width=2400, height=600,
                  text="ཀ") for n in range(1, 10_001)]
    item = Item(id="big", titles={"en": "Big"}, writing_system="bo", pages=pages,
                toc=[TocEntry(label={"en": "All"}, page=1)])
    data = json.loads(prezi.manifest_json(item))
    assert len(data["items"]) == 10_000
    assert data["items"][-1]["id"] == canvas_url(prezi.PLACEHOLDER_BASE, "big", 10_000)
    assert len(data["structures"][0]["items"][0]["items"]) == 10_000
