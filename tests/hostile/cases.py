"""The hostile-input corpus: every case is built by code at test time, with its expected outcome.

Batch cases write one item folder; the runner (test_hostile.py) puts it in a batch beside a good
item, runs `check` and `ingest`, and asserts the outcome, that the good item still lands, that
nothing of the bad item lands, that no file outside the batch was read (a canary file whose
content must appear nowhere, a loopback HTTP server that must receive no request), and that the
case finished within its time bound.

HTTP cases are requests against the app over a small library; none may answer 5xx, none may
let a parameter inject a header, each answers within its bound.

Outcomes: ``refused`` (the item fails with an error whose text matches ``match``),
``ok`` (the item is ingested; ``warn`` names a warning code it must carry), ``ok-or-refused``
(either, but a refusal must match ``match``).
"""
from __future__ import annotations

import io
import math
import os
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from PIL import Image

TEI_NS = "http://www.tei-c.org/ns/1.0"
HEADER = ("<teiHeader><fileDesc><titleStmt><title>Hostile</title></titleStmt>"
          "<publicationStmt><p>t</p></publicationStmt><sourceDesc><p>t</p></sourceDesc>"
          "</fileDesc></teiHeader>")


@dataclass
class Ctx:
    """What cases may point at: things outside the batch that must never be read."""

    secret_txt: Path  # holds ``canary``
    secret_png: Path  # a valid image outside the batch
    url: str  # base URL of a loopback server that records every request
    canary: str
    scratch: Path  # a fast temporary folder for big generated files


@dataclass
class Case:
    name: str
    build: Callable[[Path, Ctx], None]
    expect: str  # refused | ok | ok-or-refused
    match: str = ""  # regex the error text must match (case-insensitive)
    warn: str = ""  # a warning code an "ok" item must carry
    bound: float = 15.0  # seconds
    slow: bool = False
    xfail: str = ""  # why this case fails today, and where the fix belongs


@dataclass
class HttpCase:
    name: str
    path: str  # {image} and {item} are filled in by the runner
    expect: tuple[int, ...]
    headers: dict = field(default_factory=dict)
    check: Optional[Callable] = None  # (response) -> None, asserts more
    bound: float = 5.0


# --- builders --------------------------------------------------------------------------------

def tei(body: str = "", *, prolog: str = "", root: str = f'TEI xmlns="{TEI_NS}"',
        pages: tuple[str, ...] = ("images/0001.png",)) -> str:
    pbs = "".join(f'<pb n="{i + 1}" facs="{f}"/>page {i + 1} ' for i, f in enumerate(pages))
    end = root.split()[0]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<{root}>{HEADER}'
            f"<text><body><div><p>{pbs}{body}</p></div></body></text></{end}>\n")


def png(path: Path, size=(240, 320), colour=(230, 220, 200)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, "PNG")


def noisy(mode: str, size=(240, 320)) -> Image.Image:
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).convert(mode)


def item(folder: Path, text: str, images: tuple[str, ...] = ("images/0001.png",),
         encoding: str = "utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{folder.name}.xml").write_bytes(text.encode(encoding)
                                                if isinstance(text, str) else text)
    for rel in images:
        png(folder / rel)


def with_tei(make: Callable[[Ctx], str | bytes], images=("images/0001.png",)):
    def build(folder: Path, ctx: Ctx) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        data = make(ctx)
        (folder / f"{folder.name}.xml").write_bytes(data.encode("utf-8")
                                                    if isinstance(data, str) else data)
        for rel in images:
            png(folder / rel)
    return build


def with_image(name: str, write: Callable[[Path, Ctx], None], facs: Optional[str] = None):
    """An item of one page whose image ``images/<name>`` is written by ``write``."""
    def build(folder: Path, ctx: Ctx) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{folder.name}.xml").write_text(tei(pages=(facs or f"images/{name}",)),
                                                  encoding="utf-8")
        (folder / "images").mkdir(exist_ok=True)
        write(folder / "images" / name, ctx)
    return build


def with_facs(facs: Callable[..., str], files: tuple[str, ...] = ("images/0001.png",)):
    """An item whose one page's facs is ``facs(ctx)`` (or ``facs(ctx, folder)``)."""
    def build(folder: Path, ctx: Ctx) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ref = facs(ctx, folder) if facs.__code__.co_argcount == 2 else facs(ctx)
        (folder / f"{folder.name}.xml").write_text(tei(pages=(ref,)), encoding="utf-8")
        for rel in files:
            png(folder / rel)
    return build


# --- XML -------------------------------------------------------------------------------------

def billion_laughs(ctx: Ctx) -> str:
    ents = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return tei("&lol9;", prolog=f"<!DOCTYPE TEI [{ents}]>\n")


def quadratic(ctx: Ctx) -> str:
    return tei("&a;" * 20000, prolog=f'<!DOCTYPE TEI [<!ENTITY a "{"x" * 50000}">]>\n')


def deep(depth: int) -> Callable[[Ctx], str]:
    return lambda ctx: tei("<hi>" * depth + "deep" + "</hi>" * depth)


def big_tei(size: int) -> Callable[[Path, Ctx], None]:
    """A TEI file of ``size`` bytes of ordinary pages, written in a stream (never held whole)."""
    def build(folder: Path, ctx: Ctx) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        png(folder / "images" / "0001.png")
        page = ("<p>" + "ᠵᠠᠩᠭᠠᠷ བཀའ་འགྱུར་ 江格爾 lorem ipsum " * 40 + "</p>\n").encode("utf-8")
        head, tail = tei(pages=("images/0001.png",)).encode("utf-8").split(b"</p></div>")
        with open(folder / f"{folder.name}.xml", "wb") as f:
            f.write(head + b"</p>\n")
            n = len(head)
            k = 1
            while n < size:
                chunk = f'<pb n="{k + 1}"/>'.encode() + page
                f.write(chunk)
                n += len(chunk)
                k += 1
            f.write(b"</div>" + tail)
    return build


def huge_text_node(ctx: Ctx) -> str:
    return tei("x" * 12_000_000)


def bom_mismatch(ctx: Ctx) -> bytes:
    return b"\xef\xbb\xbf" + tei().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode()


def utf16_bom_says_utf8(ctx: Ctx) -> bytes:
    return tei().encode("utf-16")  # BOM + UTF-16, but the declaration still says UTF-8


def invalid_utf8(ctx: Ctx) -> bytes:
    return tei("bad \xff\xfe bytes").encode("utf-8").replace("\xff\xfe".encode("utf-8"),
                                                              b"\xff\xfe\xc3")


XML_CASES = [
    Case("xxe-file", with_tei(lambda c: tei(
        "&x;", prolog=f'<!DOCTYPE TEI [<!ENTITY x SYSTEM "file://{c.secret_txt}">]>\n')),
        "refused", r"entit"),
    Case("xxe-http", with_tei(lambda c: tei(
        "&x;", prolog=f'<!DOCTYPE TEI [<!ENTITY x SYSTEM "{c.url}/xxe">]>\n')),
        "refused", r"entit"),
    Case("xxe-relative-path", with_tei(lambda c: tei(
        "&x;", prolog='<!DOCTYPE TEI [<!ENTITY x SYSTEM "../../../../etc/passwd">]>\n')),
        "refused", r"entit"),
    Case("parameter-entity-http", with_tei(lambda c: tei(
        prolog=f'<!DOCTYPE TEI [<!ENTITY % p SYSTEM "{c.url}/pe.dtd"> %p;]>\n')),
        "refused", r"parameter entity"),
    Case("parameter-entity-local", with_tei(lambda c: tei(
        "&y;", prolog='<!DOCTYPE TEI [<!ENTITY % a "<!ENTITY y \'boom\'>"> %a;]>\n')),
        "refused", r"parameter entity"),
    Case("billion-laughs", with_tei(billion_laughs), "refused", r"entit"),
    Case("quadratic-blowup", with_tei(quadratic), "refused", r"entit"),
    Case("xinclude-file", with_tei(lambda c: tei(
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{c.secret_txt}" '
        'parse="text"/>')), "refused", r"xinclude"),
    Case("xinclude-http", with_tei(lambda c: tei(
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{c.url}/xi.xml"/>')),
        "refused", r"xinclude"),
    # The external DTD is never fetched (the loopback server must see no request), so the
    # document is harmless and lands; an entity it would have defined is refused below.
    Case("network-dtd", with_tei(lambda c: tei(
        prolog=f'<!DOCTYPE TEI SYSTEM "{c.url}/tei.dtd">\n')), "ok"),
    Case("network-dtd-entity", with_tei(lambda c: tei(
        "&nbsp;", prolog=f'<!DOCTYPE TEI PUBLIC "-//x//y" "{c.url}/tei.dtd">\n')),
        "refused", r"not defined|entity"),
    Case("deep-nesting-10k", with_tei(deep(10_000)), "refused", r"depth|deep|nest"),
    Case("deep-nesting-200k", with_tei(deep(200_000)), "refused", r"depth|deep|nest"),
    # refused by size before parsing (setting max_tei_bytes); parsed, it takes minutes and GBs
    Case("tei-200mb", big_tei(200_000_000), "refused", r"bytes|too large|limit", bound=30,
         slow=True),
    Case("huge-text-node", with_tei(huge_text_node), "refused", r"huge|large|limit|text"),
    Case("invalid-utf8", with_tei(invalid_utf8), "refused", r"utf-8|encoding|byte"),
    Case("bom-mismatch-latin1", with_tei(bom_mismatch), "refused", r"byte order mark|encoding"),
    Case("bom-utf16-declared-utf8", with_tei(utf16_bom_says_utf8), "ok-or-refused",
         r"byte order mark|encoding"),
    Case("namespace-not-tei", with_tei(lambda c: tei(root='TEI xmlns="http://example.org/x"')),
         "refused", r"not .*TEI|namespace"),
    Case("no-namespace", with_tei(lambda c: tei(root="TEI")), "refused", r"namespace|TEI"),
    Case("xhtml-root", with_tei(lambda c: tei(root='html xmlns="http://www.w3.org/1999/xhtml"')),
         "refused", r"not TEI|TEI"),
    Case("malformed", with_tei(lambda c: tei("<p>unclosed")), "refused", r"well-formed|line"),
    Case("empty-tei", with_tei(lambda c: b""), "refused", r"empty"),
    Case("nul-bytes", with_tei(lambda c: tei("a\x00b")), "refused", r"well-formed|char|byte"),
    Case("stylesheet-pi-http", with_tei(lambda c: tei(
        prolog=f'<?xml-stylesheet type="text/xsl" href="{c.url}/x.xsl"?>\n')), "ok"),
]


# --- images ----------------------------------------------------------------------------------

def png_bomb(path: Path, ctx: Ctx) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 200_000, 200_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 65536, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
                     + chunk(b"IEND", b""))


def tiff_bomb(path: Path, ctx: Ctx) -> None:
    """A little-endian baseline TIFF declaring 150,000 x 150,000 grey pixels, with 1 KB of data."""
    entries = [(256, 4, 1, 150_000), (257, 4, 1, 150_000), (258, 3, 1, 8), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, 150_000),
               (279, 4, 1, 1024)]
    ifd_at = 8
    data_at = ifd_at + 2 + 12 * len(entries) + 4
    out = io.BytesIO()
    out.write(b"II*\0" + struct.pack("<I", ifd_at) + struct.pack("<H", len(entries)))
    for tag, typ, count, value in entries:
        if tag == 273:
            value = data_at
        packed = struct.pack("<H", value) + b"\0\0" if typ == 3 else struct.pack("<I", value)
        out.write(struct.pack("<HHI", tag, typ, count) + packed)
    out.write(struct.pack("<I", 0) + b"\x80" * 1024)
    path.write_bytes(out.getvalue())


def jpeg_bomb(path: Path, ctx: Ctx) -> None:
    buf = io.BytesIO()
    Image.new("L", (16, 16)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 65000, 65000)  # height, width
    path.write_bytes(bytes(data))


def truncated(fmt: str, mode: str = "RGB", **save) -> Callable[[Path, Ctx], None]:
    def write(path: Path, ctx: Ctx) -> None:
        buf = io.BytesIO()
        noisy(mode, (400, 500)).save(buf, fmt, **save)
        data = buf.getvalue()
        path.write_bytes(data[: len(data) // 2])
    return write


def saved(fmt: str, mode: str, **save) -> Callable[[Path, Ctx], None]:
    def write(path: Path, ctx: Ctx) -> None:
        im = noisy("RGB").convert(mode) if mode not in ("I;16",) else \
            Image.frombytes("I;16", (240, 320), os.urandom(240 * 320 * 2))
        im.save(path, fmt, **save)
    return write


def animated_gif(path: Path, ctx: Ctx) -> None:
    frames = [Image.new("RGB", (240, 320), (i * 60, 255 - i * 60, 90)) for i in range(4)]
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def png_named_jpg(path: Path, ctx: Ctx) -> None:
    Image.new("RGB", (240, 320), (200, 200, 200)).save(path, "PNG")


def text_named_png(path: Path, ctx: Ctx) -> None:
    path.write_text("this is not an image\n" * 20, encoding="utf-8")


def html_named_png(path: Path, ctx: Ctx) -> None:
    path.write_text("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
                    encoding="utf-8")


IMAGE_CASES = [
    Case("png-bomb", with_image("0001.png", png_bomb), "refused", r"limit|pixels|large"),
    Case("tiff-bomb", with_image("0001.tif", tiff_bomb), "refused", r"limit|pixels|large"),
    Case("jpeg-bomb", with_image("0001.jpg", jpeg_bomb), "refused", r"limit|pixels|large"),
    Case("truncated-jpeg", with_image("0001.jpg", truncated("JPEG", quality=95)), "refused",
         r"0001\.jpg"),
    Case("truncated-tiff", with_image("0001.tif", truncated("TIFF")), "refused", r"0001\.tif"),
    Case("truncated-png", with_image("0001.png", truncated("PNG")), "refused", r"0001\.png"),
    Case("zero-byte-png", with_image("0001.png", lambda p, c: p.write_bytes(b"")), "refused",
         r"0001\.png.*empty|empty"),
    Case("zero-byte-tiff", with_image("0001.tif", lambda p, c: p.write_bytes(b"")), "refused",
         r"empty"),
    Case("extension-lies-png-as-jpg", with_image("0001.jpg", png_named_jpg), "ok",
         warn="format-mismatch"),
    Case("text-named-png", with_image("0001.png", text_named_png), "refused",
         r"not an image|cannot|0001\.png"),
    Case("svg-script-named-png", with_image("0001.png", html_named_png), "refused",
         r"not an image|cannot|0001\.png"),
    Case("tiff-16-bit", with_image("0001.tif", saved("TIFF", "I;16")), "ok-or-refused",
         r"16|mode|bit"),
    Case("tiff-cmyk", with_image("0001.tif", saved("TIFF", "CMYK")), "ok-or-refused",
         r"cmyk|mode", warn="colour-mode"),
    Case("jpeg-cmyk", with_image("0001.jpg", saved("JPEG", "CMYK")), "ok-or-refused",
         r"cmyk|mode", warn="colour-mode"),
    Case("animated-gif", with_image("0001.gif", animated_gif), "ok-or-refused", r"frame|gif",
         warn="multi-frame"),
]


# --- paths -----------------------------------------------------------------------------------

def symlink_image(target: Callable[[Ctx], Path]):
    def build(folder: Path, ctx: Ctx) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{folder.name}.xml").write_text(tei(), encoding="utf-8")
        (folder / "images").mkdir()
        (folder / "images" / "0001.png").symlink_to(target(ctx))
    return build


def symlink_images_dir(folder: Path, ctx: Ctx) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{folder.name}.xml").write_text(tei(pages=("images/secret.png",)),
                                              encoding="utf-8")
    (folder / "images").symlink_to(ctx.secret_png.parent)


def symlink_tei(folder: Path, ctx: Ctx) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    outside = ctx.secret_png.parent / "outside.xml"
    outside.write_text(tei(ctx.canary), encoding="utf-8")
    (folder / f"{folder.name}.xml").symlink_to(outside)
    png(folder / "images" / "0001.png")


def unreferenced_symlink(folder: Path, ctx: Ctx) -> None:
    item(folder, tei())
    (folder / "images" / "0002.png").symlink_to(ctx.secret_png)


def fifo_image(folder: Path, ctx: Ctx) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{folder.name}.xml").write_text(tei(), encoding="utf-8")
    (folder / "images").mkdir()
    os.mkfifo(folder / "images" / "0001.png")


def fifo_tei(folder: Path, ctx: Ctx) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / f"{folder.name}.xml")


def symlink_tei_inside(folder: Path, ctx: Ctx) -> None:
    """A link even to a file of the batch is refused (issue 11, point 9): the file it names
    could be swapped for another between a check and a copy."""
    item(folder, tei())
    real = folder.parent / f".{folder.name}-real.xml"
    (folder / f"{folder.name}.xml").rename(real)
    (folder / f"{folder.name}.xml").symlink_to(real)


def symlink_ocr_out(folder: Path, ctx: Ctx) -> None:
    item(folder, tei())
    (folder / "ocr").mkdir()
    (folder / "ocr" / "0001.xml").symlink_to(ctx.secret_txt)


def fifo_ocr(folder: Path, ctx: Ctx) -> None:
    item(folder, tei())
    (folder / "ocr").mkdir()
    os.mkfifo(folder / "ocr" / "0001.xml")


def symlink_item_folder(folder: Path, ctx: Ctx) -> None:
    real = ctx.scratch / f"real-{folder.parent.parent.name}"
    item(real, tei(ctx.canary))
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.symlink_to(real)


def named(names: tuple[str, ...], facs: Optional[tuple[str, ...]] = None):
    """An item whose image files are ``names``; the TEI refers to ``facs`` (default: names)."""
    def build(folder: Path, ctx: Ctx) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{folder.name}.xml").write_text(tei(pages=facs or names), encoding="utf-8")
        for i, rel in enumerate(names):
            png(folder / rel, colour=(200, 10 * i, 100))
    return build


def no_facs(names: tuple[str, ...]):
    """A TEI without @facs: pages pair with the images in file-name order."""
    def build(folder: Path, ctx: Ctx) -> None:
        named(names)(folder, ctx)
        text = (folder / f"{folder.name}.xml").read_text(encoding="utf-8")
        (folder / f"{folder.name}.xml").write_text(re.sub(r' facs="[^"]*"', "", text),
                                                  encoding="utf-8")
    return build


PATH_CASES = [
    Case("facs-dotdot-passwd", with_facs(lambda c: "../../etc/passwd"), "refused",
         r"outside|relative"),
    Case("facs-dotdot-secret", with_facs(lambda c, f: os.path.relpath(c.secret_png, f)),
         "refused", r"outside|relative"),
    Case("facs-absolute", with_facs(lambda c: str(c.secret_png)), "refused", r"relative"),
    Case("facs-etc-passwd", with_facs(lambda c: "/etc/passwd"), "refused", r"relative"),
    Case("facs-file-url", with_facs(lambda c: f"file://{c.secret_png}"), "refused",
         r"relative|url"),
    Case("facs-http-url", with_facs(lambda c: f"{c.url}/image.png"), "refused",
         r"relative|url"),
    Case("facs-dev-zero", with_facs(lambda c: "/dev/zero"), "refused", r"relative"),
    Case("facs-windows-drive", with_facs(lambda c: "C:\\Windows\\win.ini"), "refused",
         r"relative|outside|not in"),
    Case("symlink-image-out", symlink_image(lambda c: c.secret_png), "refused",
         r"outside|link"),
    Case("symlink-image-dev-zero", symlink_image(lambda c: Path("/dev/zero")), "refused",
         r"outside|link"),
    Case("symlink-images-dir-out", symlink_images_dir, "refused", r"outside|link"),
    Case("symlink-tei-out", symlink_tei, "refused", r"outside|link"),
    Case("symlink-unreferenced-out", unreferenced_symlink, "refused", r"outside|link"),
    Case("symlink-tei-inside", symlink_tei_inside, "refused", r"symbolic link.*copy the real"),
    Case("symlink-ocr-out", symlink_ocr_out, "refused", r"ocr/0001\.xml.*symbolic link"),
    Case("fifo-ocr", fifo_ocr, "refused", r"ocr/0001\.xml.*not a regular file"),
    Case("symlink-item-folder", symlink_item_folder, "refused", r"item folder is a symbolic link"),
    Case("fifo-image", fifo_image, "refused", r"0001\.png"),
    Case("fifo-tei", fifo_tei, "refused", r"no TEI|empty|not a regular"),
    Case("lookalike-cyrillic-name", named(("images/page-\u0430.png",), ("images/page-a.png",)),
         "refused", r"page-a\.png"),
    Case("lookalike-fullwidth-digit", named(("images/\uff10001.png",), ("images/0001.png",)),
         "refused", r"0001\.png"),
    Case("nfd-file-nfc-facs", named(("images/cafe\u0301.png",), ("images/caf\u00e9.png",)),
         "ok-or-refused", r"caf"),
    Case("nfc-file-nfd-facs", named(("images/caf\u00e9.png",), ("images/cafe\u0301.png",)),
         "ok-or-refused", r"caf"),
    # @facs is a list of URIs separated by white space: a space in a name is written %20
    Case("spaces-in-names", named(("images/page 1.png", "images/page 2.png"),
                                  ("images/page%201.png", "images/page%202.png")), "ok"),
    Case("spaces-raw-in-facs", named(("images/page 1.png",)), "ok-or-refused", r"page"),
    Case("spaces-in-names-no-facs", no_facs(("images/page 1.png", "images/page 2.png")), "ok"),
    Case("non-latin-names", named(("images/ᠨᠢᠭᠡ.png", "images/第二頁.png",
                                   "images/གསུམ.png", "images/четыре.png")), "ok"),
]


def lookalike_folder(folder: Path, ctx: Ctx) -> None:
    bad = folder.with_name(folder.name + "-\u0430")  # Cyrillic a: not a valid item id
    item(bad, tei())


def with_ocr(make: Callable[[Ctx], str], name: str = "0001.xml"):
    """A good item whose page 1 has the OCR file ``ocr/<name>`` written by ``make``."""
    def build(folder: Path, ctx: Ctx) -> None:
        item(folder, tei())
        (folder / "ocr").mkdir()
        (folder / "ocr" / name).write_text(make(ctx), encoding="utf-8")
    return build


def with_ocrs(files: dict[str, Callable[[Ctx], str]]):
    """A good item of one page (images/0001.png) with several OCR files ``ocr/<name>``."""
    def build(folder: Path, ctx: Ctx) -> None:
        item(folder, tei())
        (folder / "ocr").mkdir()
        for name, make in files.items():
            (folder / "ocr" / name).write_text(make(ctx), encoding="utf-8")
    return build


def alto_naming(image: Callable[[Ctx], str]) -> Callable[[Ctx], str]:
    return lambda c: ALTO.replace("<Layout>", "<Description><sourceImageInformation><fileName>"
                                  f"{image(c)}</fileName></sourceImageInformation></Description>"
                                  "<Layout>").replace("{word}", "page")


ALTO = ('<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page WIDTH="240" '
        'HEIGHT="320"><PrintSpace><TextLine><String CONTENT="{word}" HPOS="1" VPOS="1" '
        'WIDTH="9" HEIGHT="9"/></TextLine></PrintSpace></Page></Layout></alto>')

OCR_CASES = [
    Case("ocr-alto-xxe", with_ocr(lambda c: f'<?xml version="1.0"?>\n<!DOCTYPE alto [<!ENTITY '
                                            f'x SYSTEM "file://{c.secret_txt}">]>\n'
                                            + ALTO.replace("{word}", "&x;")),
         "refused", r"entit"),
    Case("ocr-alto-billion-laughs", with_ocr(lambda c: '<?xml version="1.0"?>\n<!DOCTYPE alto ['
                                                       '<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                                                       + ALTO.replace("{word}", "&b;")),
         "refused", r"entit"),
    Case("ocr-hocr-network-script", with_ocr(
        lambda c: f'<html><head><script src="{c.url}/x.js"></script></head><body>'
                  '<div class="ocr_page" title="bbox 0 0 240 320"><span class="ocr_line" '
                  'title="bbox 1 1 9 9"><span class="ocrx_word" title="bbox 1 1 9 9">page'
                  '</span></span></div></body></html>', "0001.hocr"), "ok"),
    Case("ocr-not-xml", with_ocr(lambda c: "this is not OCR at all"), "refused",
         r"0001\.xml"),
    # pairing (issue 11, point 4): a name that fits no image is reported, never guessed
    Case("ocr-names-a-file-outside", with_ocr(alto_naming(lambda c: str(c.secret_png))),
         "ok", warn="ocr-named-image-absent"),
    Case("ocr-names-a-url", with_ocr(alto_naming(lambda c: f"{c.url}/0002.png")), "ok",
         warn="ocr-named-image-absent"),
    Case("ocr-matches-no-image", with_ocr(lambda c: ALTO.replace("{word}", "x"), "0099.xml"),
         "ok", warn="ocr-unmatched"),
    Case("ocr-two-files-for-one-image", with_ocrs({
        "0001.xml": lambda c: ALTO.replace("{word}", "a"),
        "scan-1.xml": alto_naming(lambda c: "C:\\scans\\0001.PNG")}), "ok",
         warn="ocr-duplicate"),
]

def newline_folder(folder: Path, ctx: Ctx) -> None:
    bad = folder.with_name(folder.name + "\n")  # a trailing newline: not the same id
    item(bad, tei())


ID_CASES = [
    Case("item-id-lookalike", lookalike_folder, "refused", r"not a valid item id"),
    Case("item-id-trailing-newline", newline_folder, "refused", r"not a valid item id"),
]

BATCH_CASES = XML_CASES + IMAGE_CASES + PATH_CASES + OCR_CASES + ID_CASES


# --- HTTP ------------------------------------------------------------------------------------

def no_injected_header(resp) -> None:
    for name, value in resp.headers.items():
        assert "injected" not in name.lower() and "injected" not in value.lower(), (name, value)


def no_offsite_redirect(resp) -> None:
    assert resp.status_code == 404 or "evil" not in resp.headers["Location"]


def no_region(resp) -> None:
    """A malformed region is ignored (or refused), never half-read."""
    assert resp.status_code != 200 or b'data-region=""' in resp.data


def first_page(resp) -> None:
    """A malformed page number opens the first page (or is refused)."""
    assert resp.status_code != 200 or b'data-page="1"' in resp.data


def sane_advance(resp) -> None:
    """A kiosk page announces finite delays of at least 0.2 s (0 would spin the slideshow)."""
    if resp.status_code != 200:
        return
    for name in ("advance", "idle"):
        m = re.search(rf'data-{name}="([^"]*)"'.encode(), resp.data)
        assert m, name
        value = float(m.group(1))
        assert math.isfinite(value) and 0.2 <= value <= 24 * 3600, (name, m.group(1))


CRLF = "%0d%0aX-Injected:%20yes"
LONG = "ᠵ" * 10_000

HTTP_CASES = [
    HttpCase("image-traversal-encoded", "/iiif/3/..%2F..%2Fetc%2Fpasswd/info.json",
             (400, 404)),
    HttpCase("image-traversal-dots", "/iiif/3/../../etc/passwd/full/max/0/default.jpg",
             (400, 404)),
    HttpCase("image-id-traversal-in-item", "/iiif/3/{item}..%2F..%2Fcatalog.sqlite/info.json",
             (400, 404)),
    HttpCase("image-id-nul", "/iiif/3/{image}%00/info.json", (400, 404)),
    HttpCase("image-id-arabic-indic-digits", "/iiif/3/{item}.%D9%A0%D9%A0%D9%A0%D9%A1/info.json",
             (400, 404)),
    HttpCase("image-id-fullwidth-digit", "/iiif/3/{item}.%EF%BC%90001/info.json", (400, 404)),
    HttpCase("image-id-trailing-newline", "/iiif/3/{image}%0A/info.json", (400, 404)),
    HttpCase("image-oversize", "/iiif/3/{image}/full/99999,99999/0/default.jpg",
             (400, 413)),
    HttpCase("image-oversize-upscale", "/iiif/3/{image}/full/^60000,/0/default.jpg",
             (400, 413)),
    HttpCase("image-oversize-pct", "/iiif/3/{image}/full/^pct:100000/0/default.jpg",
             (400, 413)),
    HttpCase("image-giant-number", "/iiif/3/{image}/full/" + "9" * 400 + ",/0/default.jpg",
             (400, 413)),
    HttpCase("image-region-outside", "/iiif/3/{image}/90000,90000,10,10/max/0/default.jpg",
             (400,)),
    HttpCase("image-bad-format", "/iiif/3/{image}/full/max/0/default.exe", (400, 501)),
    HttpCase("image-rotation-junk", "/iiif/3/{image}/full/max/1e999/default.jpg", (400,)),
    HttpCase("image-long-url", "/iiif/3/{image}/full/max/0/default.jpg?" + "a" * 5000,
             (400, 414)),
    HttpCase("search-10k", "/search?q=" + LONG, (200, 400, 413)),
    HttpCase("api-search-10k", "/api/search?q=" + LONG, (200, 400, 413)),
    HttpCase("content-search-10k", "/iiif/{item}/search?q=" + LONG, (200, 400, 413)),
    HttpCase("search-unbalanced-quote", '/api/search?q=%22mark00%20common', (200, 400)),
    HttpCase("search-syntax-chars",
             "/api/search?q=" + "AND%20OR%20NOT%20(%20)%20*%20%3F%20~%20%5E%20:%20%5B%20%5D"
             "%20%7B%20%7D%20%5C%20%2F%20%22%20-", (200, 400)),
    HttpCase("search-wildcard-flood", "/api/search?q=" + "*" * 2000, (200, 400)),
    HttpCase("search-field-syntax", "/api/search?q=item:%2A%20OR%20body:x", (200, 400)),
    HttpCase("search-bad-page", "/api/search?q=common&page=99999999999999999999", (200, 400)),
    HttpCase("autocomplete-10k", "/iiif/{item}/autocomplete?q=" + LONG, (200, 400, 413)),
    HttpCase("accept-language-unknown", "/", (200,),
             headers={"Accept-Language": "tlh-Piqd, xx-YY;q=0.9, *;q=0.1"}),
    HttpCase("accept-language-garbage", "/search?q=common", (200,),
             headers={"Accept-Language": "';DROP TABLE items;--, \u0000" + "x" * 3000}),
    HttpCase("header-injection-search", "/search?q=a" + CRLF, (200, 400),
             check=no_injected_header),
    HttpCase("header-injection-lang-next", "/lang/en?next=/" + CRLF, (303, 400, 404),
             check=no_injected_header),
    HttpCase("open-redirect-lang-next", "/lang/en?next=//evil.example/", (303, 404),
             check=no_offsite_redirect),
    HttpCase("header-injection-embed", "/embed/{item}?page=1" + CRLF, (200, 400, 404),
             check=no_injected_header),
    HttpCase("header-injection-manifest", "/iiif/{item}" + CRLF + "/manifest", (400, 404),
             check=no_injected_header),
    HttpCase("record-traversal", "/items/..%2F..%2Fetc%2Fpasswd", (400, 404)),
    HttpCase("tei-traversal", "/items/{item}%2F..%2F..%2Fcatalog.sqlite/tei", (400, 404)),
    HttpCase("reader-bad-page", "/items/{item}/read?page=-99999999999999999999",
             (200, 400, 404)),
    HttpCase("manifest-unknown", "/iiif/no-such-item/manifest", (404,)),
    # numbers in URLs: ASCII digits, in range, or a 4xx (issue 11 point 14)
    HttpCase("annotation-int64-overflow", "/iiif/{item}/annotations/9223372036854775808",
             (400, 404)),
    HttpCase("annotation-huge-number", "/iiif/{item}/annotations/" + "9" * 30, (400, 404)),
    HttpCase("annotation-arabic-digit", "/iiif/{item}/annotations/%D9%A1", (400, 404)),
    HttpCase("api-page-int64-overflow", "/api/items/{item}/pages/9223372036854775808",
             (400, 404)),
    HttpCase("api-page-arabic-digit", "/api/items/{item}/pages/%D9%A1", (400, 404)),
    HttpCase("reader-region-inf", "/items/{item}/read?page=1&region=inf,0,10,10", (200, 400),
             check=no_region),
    HttpCase("reader-region-nan", "/items/{item}/read?page=1&region=nan,0,10,10", (200, 400),
             check=no_region),
    HttpCase("reader-region-exponent", "/items/{item}/read?page=1&region=1e5,0,10,10",
             (200, 400), check=no_region),
    HttpCase("reader-region-arabic-digits", "/items/{item}/read?page=1&region=%D9%A1,0,10,10",
             (200, 400), check=no_region),
    HttpCase("embed-region-inf", "/embed/{item}?region=inf,0,10,10", (200, 400)),
    HttpCase("reader-page-arabic-digit", "/items/{item}/read?page=%D9%A2", (200, 400, 404),
             check=first_page),
    HttpCase("image-region-arabic-digits", "/iiif/3/{image}/%D9%A1,0,10,10/max/0/default.jpg",
             (400,)),
    HttpCase("image-region-pct-fullwidth", "/iiif/3/{image}/pct:%EF%BC%91,0,10,10/max/0/"
             "default.jpg", (400,)),
    HttpCase("image-size-arabic-digits", "/iiif/3/{image}/full/%D9%A1%D9%A0,/0/default.jpg",
             (400,)),
    HttpCase("image-rotation-arabic-digit", "/iiif/3/{image}/full/max/%D9%A1/default.jpg",
             (400,)),
    HttpCase("image-region-inf", "/iiif/3/{image}/inf,0,10,10/max/0/default.jpg", (400,)),
    HttpCase("image-rotation-nan", "/iiif/3/{image}/full/max/nan/default.jpg", (400,)),
    HttpCase("kiosk-advance-nan", "/kiosk/top?advance=nan", (200, 400), check=sane_advance),
    HttpCase("kiosk-advance-inf", "/kiosk/top?advance=inf", (200, 400), check=sane_advance),
    HttpCase("kiosk-advance-negative", "/kiosk/top?advance=-5", (200, 400), check=sane_advance),
    HttpCase("kiosk-advance-huge", "/kiosk/top?advance=1e400", (200, 400), check=sane_advance),
    HttpCase("kiosk-idle-nan", "/kiosk/top?idle=nan", (200, 400), check=sane_advance),
    HttpCase("search-page-arabic-digit", "/api/search?q=common&page=%D9%A1", (400,)),
    HttpCase("search-page-negative", "/api/search?q=common&page=-1", (400,)),
    HttpCase("html-search-page-arabic-digit", "/search?q=common&page=%D9%A1", (400,)),
    HttpCase("oembed-maxwidth-arabic-digit", "/oembed?url=http://localhost/items/{item}"
             "&maxwidth=%D9%A1", (400,)),
    HttpCase("oai-bad-identifier", "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier="
             "..%2F..%2Fetc%2Fpasswd", (200, 400)),
]


# --- BagIt deliveries ------------------------------------------------------------------------

@dataclass
class BagCase:
    name: str
    build: Callable[[Path, Ctx], None]  # writes a bag at the path
    match: str  # regex the BagError must match


def _bag(path: Path, ctx: Ctx) -> Path:
    """A valid bag holding one good item; returns the payload's item folder."""
    from library.bagit import write_bag

    src = ctx.scratch / f"src-{path.name}"
    item(src / "bag-1", tei())
    files = [(p.relative_to(src).as_posix(), p) for p in sorted(src.rglob("*")) if p.is_file()]
    write_bag(path, files, {"External-Identifier": "bag-1"})
    return path / "data" / "bag-1"


def _rewrite_manifest(bag: Path, change: Callable[[str], str]) -> None:
    m = bag / "manifest-sha256.txt"
    m.write_text(change(m.read_text(encoding="utf-8")), encoding="utf-8")


def bag_tampered(path: Path, ctx: Ctx) -> None:
    folder = _bag(path, ctx)
    png(folder / "images" / "0001.png", colour=(9, 9, 9))


def bag_missing(path: Path, ctx: Ctx) -> None:
    folder = _bag(path, ctx)
    (folder / "images" / "0001.png").unlink()


def bag_extra(path: Path, ctx: Ctx) -> None:
    folder = _bag(path, ctx)
    png(folder / "images" / "0002.png")


def bag_manifest_escape(path: Path, ctx: Ctx) -> None:
    _bag(path, ctx)
    rel = os.path.relpath(ctx.secret_txt, path)
    _rewrite_manifest(path, lambda t: t + f"{'0' * 64}  {rel}\n")


def bag_manifest_absolute(path: Path, ctx: Ctx) -> None:
    _bag(path, ctx)
    _rewrite_manifest(path, lambda t: t + f"{'0' * 64}  {ctx.secret_txt}\n")


def bag_symlink_to_fifo(path: Path, ctx: Ctx) -> None:
    """A payload link to a FIFO outside the bag: reading it would hang, so it must not be read."""
    import hashlib

    folder = _bag(path, ctx)
    fifo = ctx.scratch / f"fifo-{path.name}"
    os.mkfifo(fifo)
    (folder / "images" / "0002.png").symlink_to(fifo)
    digest = hashlib.sha256(b"").hexdigest()
    _rewrite_manifest(path, lambda t: t + f"{digest}  data/bag-1/images/0002.png\n")


def bag_symlink_to_secret(path: Path, ctx: Ctx) -> None:
    """A payload link to a regular file outside, with its true checksum in the manifest."""
    import hashlib

    folder = _bag(path, ctx)
    (folder / "images" / "0002.png").symlink_to(ctx.secret_png)
    digest = hashlib.sha256(ctx.secret_png.read_bytes()).hexdigest()
    _rewrite_manifest(path, lambda t: t + f"{digest}  data/bag-1/images/0002.png\n")


def bag_linked_tag_file(name: str):
    """A tag file or manifest linked to a file outside: refused unread, never quoted."""
    def build(path: Path, ctx: Ctx) -> None:
        _bag(path, ctx)
        (path / name).unlink()
        (path / name).symlink_to(ctx.secret_txt)
    return build


def bag_no_version(path: Path, ctx: Ctx) -> None:
    _bag(path, ctx)
    (path / "bagit.txt").write_text("Tag-File-Character-Encoding: UTF-8\n", encoding="utf-8")


def bag_tagmanifest_mismatch(path: Path, ctx: Ctx) -> None:
    _bag(path, ctx)
    (path / "bag-info.txt").write_text("External-Identifier: changed\n", encoding="utf-8")


def bag_fetch(path: Path, ctx: Ctx) -> None:
    _bag(path, ctx)
    (path / "fetch.txt").write_text(f"{ctx.url}/more.png 100 data/bag-1/images/0002.png\n",
                                    encoding="utf-8")


def bag_oxum(path: Path, ctx: Ctx) -> None:
    _bag(path, ctx)
    info = (path / "bag-info.txt").read_text(encoding="utf-8")
    (path / "bag-info.txt").write_text(re.sub(r"Payload-Oxum: \S+", "Payload-Oxum: 1.1", info),
                                       encoding="utf-8")
    # keep the tag manifest right, so that only the Oxum is wrong
    import hashlib
    tags = [f"{hashlib.sha256((path / n).read_bytes()).hexdigest()}  {n}"
            for n in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")]
    (path / "tagmanifest-sha256.txt").write_text("\n".join(tags) + "\n", encoding="utf-8")


BAG_CASES = [
    BagCase("bag-tampered-payload", bag_tampered, r"checksum mismatch"),
    BagCase("bag-missing-file", bag_missing, r"missing"),
    BagCase("bag-extra-file", bag_extra, r"not in the manifest"),
    BagCase("bag-manifest-escape", bag_manifest_escape, r"leaves the bag"),
    BagCase("bag-manifest-absolute", bag_manifest_absolute, r"leaves the bag"),
    BagCase("bag-symlink-to-fifo-outside", bag_symlink_to_fifo, r"link|outside"),
    BagCase("bag-symlink-to-secret-outside", bag_symlink_to_secret, r"link|outside"),
    BagCase("bag-manifest-symlink-out", bag_linked_tag_file("manifest-sha256.txt"),
            r"manifest-sha256\.txt: is a symbolic link"),
    BagCase("bag-info-symlink-out", bag_linked_tag_file("bag-info.txt"),
            r"bag-info\.txt: is a symbolic link"),
    BagCase("bag-no-version", bag_no_version, r"BagIt-Version"),
    BagCase("bag-tagmanifest-mismatch", bag_tagmanifest_mismatch, r"does not match"),
    BagCase("bag-fetch-txt", bag_fetch, r"fetch\.txt|download"),
    BagCase("bag-payload-oxum-wrong", bag_oxum, r"Payload-Oxum"),
]


# --- collections.json (issue 11, point 6) -----------------------------------------------------

@dataclass
class CollectionsCase:
    """A batch whose ``collections.json`` holds ``content``: check and ingest refuse it with a
    message matching ``match``, before anything is written."""

    name: str
    content: Callable[[Ctx], bytes]
    match: str


def _json(text: str) -> Callable[[Ctx], bytes]:
    return lambda c: text.encode("utf-8")


COLLECTIONS_CASES = [
    CollectionsCase("collections-id-number", _json('[{"id": 7, "items": ["good-1"]}]'),
                    r"\[0\]\.id: expected a collection id"),
    CollectionsCase("collections-label-string",
                    _json('[{"id": "epics", "label": "Epics", "items": ["good-1"]}]'),
                    r'\[0\]\.label: expected a language map like \{"en": "Epics"\}, got a string'),
    CollectionsCase("collections-reserved-top", _json('[{"id": "top", "items": ["good-1"]}]'),
                    r'\[0\]\.id: "top" is reserved'),
    CollectionsCase("collections-id-traversal", _json('[{"id": "../../etc/passwd"}]'),
                    r"\[0\]\.id: expected a collection id"),
    CollectionsCase("collections-label-nan", _json('[{"id": "epics", "label": {"en": NaN}}]'),
                    r"\[0\]\.label\.en: expected a string"),
    CollectionsCase("collections-label-markup-key",
                    _json('[{"id": "epics", "label": {"<script>": "E"}}]'),
                    r"not a language tag"),
    CollectionsCase("collections-items-object", _json('[{"id": "epics", "items": {"a": 1}}]'),
                    r"\[0\]\.items: expected a list of item ids"),
    CollectionsCase("collections-not-a-list", _json('{"epics": ["good-1"]}'),
                    r"expected a list of collections"),
    CollectionsCase("collections-invalid-json", _json('[{"id": "epics",}]'),
                    r"not valid JSON: .*\(line 1, column \d+\)"),
    CollectionsCase("collections-deep-nesting", _json("[" * 200_000), r"nested|JSON"),
    CollectionsCase("collections-latin1", lambda c: b'[{"id": "e", "label": {"en": "\xe9"}}]',
                    r"not UTF-8"),
    CollectionsCase("collections-20mb", lambda c: b"[" + b" " * 20_000_000 + b"]",
                    r"bytes, above the limit"),
]
