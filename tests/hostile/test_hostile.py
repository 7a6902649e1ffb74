"""Run the hostile-input corpus (cases.py): each case gets its expected outcome, nothing of a
refused item lands, no file outside the library or the batch is read, nothing hangs."""
from __future__ import annotations

import http.server
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cases import (BAG_CASES, BATCH_CASES, COLLECTIONS_CASES, HTTP_CASES, BagCase,  # noqa: E402
                   Case, CollectionsCase, Ctx, HttpCase, png, tei)

from catalog.db import Catalog  # noqa: E402
from ingest.pipeline import check_batch, ingest_batch  # noqa: E402
from library.settings import Settings  # noqa: E402
from library.store import Store  # noqa: E402

GOOD = "good-1"


class OpenAudit:
    """Records every file this process opens while ``active`` (sys.addaudithook: hooks cannot
    be removed, so one hook is installed once and switched on per case). Files opened by C code
    (libxml2, libtiff) escape it; the canary file and the loopback server cover those."""

    def __init__(self) -> None:
        self.active = False
        self.paths: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args) -> None:
        if not self.active or event not in ("open", "sudur.open") or \
                not isinstance(args[0], (str, bytes, Path)):
            return
        path = os.fsdecode(args[0])
        flags = args[2] if event == "open" and len(args) > 2 and isinstance(args[2], int) else 0
        if flags & os.O_DIRECTORY:
            return  # a folder opened to walk from (library.safe_open), no file's content
        if event == "open" and not os.path.isabs(path) and flags & os.O_NOFOLLOW:
            return  # one step of library.safe_open's walk (dir_fd): "sudur.open" names it
        # the walk follows no link below its root, so only the folders need resolving
        self.paths.append(os.path.join(os.path.realpath(os.path.dirname(path)),
                                       os.path.basename(path)) if event == "sudur.open"
                          else os.path.realpath(path))

    @contextmanager
    def watching(self):
        self.paths = []
        self.active = True
        try:
            yield self.paths
        finally:
            self.active = False


AUDIT = OpenAudit()
# what a case may open besides its batch and library: Python and its packages, the project,
# and the kernel's pseudo-files
ALLOWED = tuple(os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix,
                                              str(Path(__file__).resolve().parents[2])}) + (
    "/proc/", "/sys/", "/dev/null", "/dev/urandom", "/usr/lib/", "/usr/share/zoneinfo/")


@contextmanager
def time_bound(seconds: float, what: str):
    """Fail (rather than hang the suite) when a case runs past its bound."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"{what} did not finish within {seconds} s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []
    canary = ""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.hits.append(self.path)
        body = (f'<!ENTITY leak "{self.canary}">' if self.path.endswith(".dtd")
                else self.canary).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def ctx():
    scratch = Path(tempfile.mkdtemp(prefix="sudur-hostile-",
                                    dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    outside = scratch / "outside"
    outside.mkdir()
    canary = f"SUDUR-CANARY-{uuid.uuid4().hex}"
    secret_txt = outside / "secret.txt"
    secret_txt.write_text(canary + "\n", encoding="utf-8")
    secret_png = outside / "secret.png"
    png(secret_png, colour=(1, 2, 3))
    _Recorder.canary = canary
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Ctx(secret_txt=secret_txt, secret_png=secret_png,
              url=f"http://127.0.0.1:{server.server_address[1]}", canary=canary,
              scratch=scratch)
    server.shutdown()
    server.server_close()
    shutil.rmtree(scratch, ignore_errors=True)


def leaked(lib: Path, ctx: Ctx) -> list[str]:
    """Library files holding the canary text or the bytes of the secret image."""
    secret = ctx.secret_png.read_bytes()
    needle = ctx.canary.encode()
    out = []
    for p in lib.rglob("*"):
        if p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            if needle in data or data == secret:
                out.append(str(p))
    return out


def _marks(c: Case) -> list:
    marks = [pytest.mark.slow] if c.slow else []
    if c.xfail:
        marks.append(pytest.mark.xfail(strict=True, reason=c.xfail))
    return marks


@pytest.mark.parametrize("case", [pytest.param(c, marks=_marks(c)) for c in BATCH_CASES],
                         ids=lambda c: c.name)
def test_batch_case(case: Case, ctx: Ctx):
    root = Path(tempfile.mkdtemp(prefix=f"{case.name}-", dir=ctx.scratch))
    try:
        _run_batch_case(case, ctx, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_batch_case(case: Case, ctx: Ctx, root: Path) -> None:
    batch = root / "batch"
    good = batch / GOOD
    good.mkdir(parents=True)
    (good / f"{GOOD}.xml").write_text(tei("mark good"), encoding="utf-8")
    png(good / "images" / "0001.png")
    bad_name = f"x-{case.name}"
    case.build(batch / bad_name, ctx)
    lib = root / "lib"
    settings = Settings.load(lib)
    hits_before = len(_Recorder.hits)
    t0 = time.perf_counter()
    with time_bound(case.bound, case.name), AUDIT.watching() as opened:
        plans = check_batch(batch, settings, validate_tei=False)
        assert not lib.exists(), "check wrote into the library"
        summary = ingest_batch(batch, settings, workers=1)
    elapsed = time.perf_counter() - t0
    inside = (os.path.realpath(root) + os.sep,) + ALLOWED
    strays = sorted({p for p in opened if not p.startswith(inside)})
    assert strays == [], f"files outside the batch and the library were opened: {strays}"
    assert any(p.endswith(f"{GOOD}/{GOOD}.xml") for p in opened), "the audit saw nothing"
    assert elapsed < case.bound
    assert _Recorder.hits[hits_before:] == [], "a network request left the process"
    assert GOOD in summary.ingested, summary.failed.get(GOOD)
    others = [p for p in plans if p.item_id != GOOD]
    assert len(others) == 1
    plan = others[0]
    bad_id = plan.item_id
    assert bad_id.startswith(bad_name)
    errors = summary.failed.get(bad_id, [])
    text = " ".join(str(d) for d in errors)
    with Catalog(Store(lib).catalog_path, readonly=True) as cat:
        in_catalog = set(cat.item_ids())
    print(f"{case.name}: {'refused' if bad_id in summary.failed else 'ingested'} in "
          f"{elapsed:.2f} s: {text[:200]}")
    if case.expect == "refused" or (case.expect == "ok-or-refused" and bad_id in summary.failed):
        assert bad_id in summary.failed, f"expected a refusal, got {summary.warnings}"
        assert plan.errors, "check did not report what ingest refused"
        assert re.search(case.match, text, re.I | re.S), text
        assert bad_name in text, f"the message does not name the item's file: {text}"
        assert ctx.canary not in text
        assert in_catalog == {GOOD}
        assert not any(p.name.startswith(bad_name) for p in (lib / "items").iterdir())
    else:
        assert case.expect in ("ok", "ok-or-refused")
        assert bad_id in summary.ingested, text
        assert in_catalog == {GOOD, bad_id}
        if case.warn:
            codes = {d.code for d in summary.warnings.get(bad_id, [])}
            assert case.warn in codes, codes
    assert list((lib / "staging").iterdir()) == []
    assert leaked(lib, ctx) == []


# --- BagIt deliveries -----------------------------------------------------------------------

@pytest.mark.parametrize("case", BAG_CASES, ids=lambda c: c.name)
def test_bag_case(case: BagCase, ctx: Ctx):
    from library.errors import BagError

    root = Path(tempfile.mkdtemp(prefix=f"{case.name}-", dir=ctx.scratch))
    try:
        bag = root / "bag"
        case.build(bag, ctx)
        lib = root / "lib"
        with time_bound(10, case.name):
            with pytest.raises(BagError) as exc:
                ingest_batch(bag, Settings.load(lib))
        assert re.search(case.match, str(exc.value), re.I), str(exc.value)
        assert ctx.canary not in str(exc.value)
        assert not lib.exists(), "a refused bag wrote into the library"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_good_bag_is_ingested_and_a_bad_one_refused_by_the_cli(ctx):
    from crashlib import sudur

    root = Path(tempfile.mkdtemp(prefix="bag-cli-", dir=ctx.scratch))
    try:
        from cases import _bag, bag_tampered
        _bag(root / "good", ctx)
        bag_tampered(root / "bad", ctx)
        lib = root / "lib"
        ok = sudur(lib, "ingest", str(root / "good"))
        assert ok.returncode == 0, ok.stderr
        bad = sudur(lib, "ingest", str(root / "bad"))
        assert bad.returncode == 2
        assert "checksum mismatch" in bad.stderr and "Traceback" not in bad.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- collections.json ------------------------------------------------------------------------

@pytest.mark.parametrize("case", COLLECTIONS_CASES, ids=lambda c: c.name)
def test_collections_case(case: CollectionsCase, ctx: Ctx):
    from library.errors import InputError

    root = Path(tempfile.mkdtemp(prefix=f"{case.name}-", dir=ctx.scratch))
    try:
        batch = root / "batch"
        (batch / GOOD).mkdir(parents=True)
        (batch / GOOD / f"{GOOD}.xml").write_text(tei("mark good"), encoding="utf-8")
        png(batch / GOOD / "images" / "0001.png")
        (batch / "collections.json").write_bytes(case.content(ctx))
        lib = root / "lib"
        settings = Settings.load(lib)
        with time_bound(10, case.name), AUDIT.watching() as opened:
            with pytest.raises(InputError) as checked:
                check_batch(batch, settings, validate_tei=False)
            with pytest.raises(InputError) as ingested:
                ingest_batch(batch, settings, workers=1)
        inside = (os.path.realpath(root) + os.sep,) + ALLOWED
        assert sorted({p for p in opened if not p.startswith(inside)}) == []
        for exc in (checked.value, ingested.value):
            assert str(exc).startswith("collections.json"), str(exc)
            assert re.search(case.match, str(exc)), str(exc)
            assert ctx.canary not in str(exc)
            assert len(str(exc)) < 2000  # a refusal names the problem, never echoes the file
        assert not (lib / "catalog.sqlite").exists(), "refused, yet the library was written"
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- HTTP --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def http_client(ctx, tmp_path_factory):
    from crashlib import build_batch
    from viewer import create_app

    root = Path(tempfile.mkdtemp(prefix="http-", dir=ctx.scratch))
    batch = build_batch(root / "batch", n_items=1, pages=2, size=(900, 700), prefix="good")
    settings = Settings.load(root / "lib")
    assert ingest_batch(batch, settings).ingested == ["good-00"]
    app = create_app({"SUDUR_SETTINGS": settings, "TESTING": True})
    yield app.test_client(), settings
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("case", HTTP_CASES, ids=lambda c: c.name)
def test_http_case(case: HttpCase, http_client, ctx):
    client, settings = http_client
    path = case.path.replace("{item}", "good-00").replace("{image}", "good-00.0001")
    t0 = time.perf_counter()
    with time_bound(case.bound, case.name):
        resp = client.get(path, headers=case.headers)
        body = resp.get_data()
    assert time.perf_counter() - t0 < case.bound
    assert resp.status_code < 500
    assert resp.status_code in case.expect, (resp.status_code, body[:300])
    assert ctx.canary.encode() not in body
    assert b"root:x:0:0" not in body
    if case.check:
        case.check(resp)


def test_the_open_audit_sees_a_read_outside(ctx):
    with AUDIT.watching() as opened:
        ctx.secret_txt.read_text(encoding="utf-8")
    assert os.path.realpath(ctx.secret_txt) in opened


def test_the_corpus_is_big_enough():
    assert len(BATCH_CASES) + len(HTTP_CASES) >= 40
    names = [c.name for c in BATCH_CASES] + [c.name for c in HTTP_CASES]
    assert len(names) == len(set(names))
