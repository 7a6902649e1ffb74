"""Opening a file of a batch or bag: once, never through a link, and only if it is a regular file.

Every file that comes from outside (TEI, images, OCR, ``collections.json``, bag manifests and tag
files) is opened here, and then parsed, hashed and copied from that one descriptor, so a file
swapped for another between a check and a copy cannot slip through. The path is walked one
component at a time from the root with ``O_NOFOLLOW`` (``os.open(dir_fd=...)``): a link, as the
file itself or as any folder on its way, is refused with the file's name, before anything is
read. So is a FIFO, a device or a folder (``fstat`` after the open; ``O_NONBLOCK`` so that opening
a FIFO never waits for a writer). The root's own name is not followed either (so a bag's
``data/`` is never a link); only the folders above it are, and callers resolve the path they
were given once, up front.

Relies on POSIX ``openat`` semantics (``os.open`` with ``dir_fd``, ``O_NOFOLLOW``,
``O_DIRECTORY``); ``sys.audit("sudur.open", path)`` names each file opened, since the audit
event of ``os.open`` sees only the last component.
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import sys
from pathlib import Path, PurePosixPath
from typing import Optional

from .errors import InputError

CHUNK = 1 << 20
LINK_RULE = ("Sudur never reads through links: copy the real file into the batch instead "
             "(e.g. with `cp -rL`)")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | \
    getattr(os, "O_NOCTTY", 0)
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


class BatchFile(io.BufferedReader):
    """A batch file open for reading, with the ``stat`` of the descriptor it was read from."""

    stat: os.stat_result
    name_shown: str


def _parts(rel: str, name: str) -> list[str]:
    text = str(rel)
    if not text or "\x00" in text or text.startswith(("/", "\\")) or "://" in text or \
            (len(text) > 1 and text[1] == ":"):
        raise InputError(f"{text!r} is not a path inside the batch", file=name)
    parts = [p for p in PurePosixPath(text).parts if p != "."]
    if not parts or ".." in parts:
        raise InputError(f"{text!r} is not a path inside the batch", file=name)
    return parts


def _refusal(exc: OSError, name: str, where: str) -> InputError:
    if exc.errno in (errno.ELOOP, errno.EMLINK):
        what = "is a symbolic link" if where == name else f"lies in {where}, a symbolic link"
        return InputError(f"{what}; {LINK_RULE}", file=name,
                          hint="replace each link in the batch by a copy of its file")
    if exc.errno == errno.ENOTDIR:
        return InputError(f"{where} is not a folder", file=name)
    if exc.errno == errno.ENOENT:
        return InputError("file not found", file=name)
    return InputError(f"cannot read the file: {exc.strerror}", file=name)


def _is_link(part: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(part, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def open_batch_file(root: Path, rel: str, name: Optional[str] = None) -> BatchFile:
    """Open ``root/rel`` for reading, refusing links on the way and anything not a regular file.

    ``name`` (the file as the archivist knows it, relative to the batch) is used in errors.
    The caller closes the file (it is a context manager).
    """
    shown = name or str(rel)
    parts = _parts(rel, shown)
    sys.audit("sudur.open", os.path.join(os.fspath(root), *parts))
    root = Path(root)
    try:  # the root's folders are the caller's; the root itself must not be a link
        parent_fd = os.open(root.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(f"cannot open the folder {root.parent}: {exc.strerror}",
                         file=shown) from None
    try:
        dir_fd = os.open(root.name, _DIR_FLAGS, dir_fd=parent_fd) if root.name else \
            os.dup(parent_fd)
    except OSError as exc:
        if exc.errno == errno.ENOTDIR and _is_link(root.name, parent_fd):
            exc = OSError(errno.ELOOP, "a link")
        raise _refusal(exc, shown, root.name) from None
    finally:
        os.close(parent_fd)
    walked: list[str] = []
    try:
        for part in parts[:-1]:
            walked.append(part)
            try:
                fd = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno == errno.ENOTDIR and _is_link(part, dir_fd):
                    exc = OSError(errno.ELOOP, "a link")  # O_DIRECTORY's answer to a link
                raise _refusal(exc, shown, "/".join(walked)) from None
            os.close(dir_fd)
            dir_fd = fd
        try:
            fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=dir_fd)
        except OSError as exc:
            raise _refusal(exc, shown, shown) from None
    finally:
        os.close(dir_fd)
    try:
        st = os.fstat(fd)
        for test, kind in _KINDS:
            if test(st.st_mode):
                raise InputError(f"not a regular file ({kind}); Sudur reads regular files only",
                                 file=shown)
        if not stat.S_ISREG(st.st_mode):
            raise InputError("not a regular file; Sudur reads regular files only", file=shown)
        os.set_blocking(fd, True)
        raw = io.FileIO(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise
    f = BatchFile(raw, CHUNK)
    f.stat, f.name_shown = st, shown
    return f


def read_batch_file(root: Path, rel: str, name: Optional[str] = None,
                    max_bytes: Optional[int] = None) -> bytes:
    """The bytes of a batch file (see ``open_batch_file``), refused above ``max_bytes``."""
    with open_batch_file(root, rel, name) as f:
        size = f.stat.st_size
        if max_bytes is not None and size > max_bytes:
            raise InputError(f"the file is {size:,} bytes, above the limit of {max_bytes:,} bytes",
                             file=f.name_shown,
                             hint="split the file or raise the limit in the settings")
        data = f.read(max_bytes + 1 if max_bytes is not None else -1)
    if max_bytes is not None and len(data) > max_bytes:  # it grew while being read
        raise InputError(f"the file is above the limit of {max_bytes:,} bytes", file=name or rel)
    return data


def digest_batch_file(root: Path, rel: str, name: Optional[str] = None,
                      algorithm: str = "sha256") -> str:
    """The hex digest of a batch file, read from one descriptor."""
    h = hashlib.new(algorithm)
    with open_batch_file(root, rel, name) as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def copy_batch_file(root: Path, rel: str, dst: Path, name: Optional[str] = None
                    ) -> tuple[int, str]:
    """Copy a batch file to ``dst`` (a new file), hashing (sha256) exactly the bytes written."""
    with open_batch_file(root, rel, name) as f:
        return copy_open_file(f, dst)


def copy_open_file(f: io.BufferedIOBase, dst: Path) -> tuple[int, str]:
    """Copy the rest of an open file to ``dst``; (bytes, sha256 of those bytes)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    size = 0
    with open(dst, "wb") as out:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def write_bytes(data: bytes, dst: Path) -> tuple[int, str]:
    """Store bytes already read (and parsed) from a batch file; (bytes, sha256)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "wb") as out:
        out.write(data)
    return len(data), hashlib.sha256(data).hexdigest()
