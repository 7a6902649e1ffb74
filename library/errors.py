"""The one error hierarchy of Sudur.

Every error carries a message, optionally the file and line it concerns and a hint saying what
to do next. The CLI prints ``file:line: message`` plus the hint; the web app maps ``http_status``
to a response (JSON under ``/iiif`` and ``/api``).
"""
from __future__ import annotations

from typing import Optional


class SudurError(Exception):
    """Base class: something the user can act on."""

    http_status: int = 500
    hint: str = ""

    def __init__(self, message: str, *, file: Optional[str] = None, line: Optional[int] = None,
                 hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        if hint is not None:
            self.hint = hint

    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def __str__(self) -> str:
        loc = self.location()
        return f"{loc}: {self.message}" if loc else self.message

    def to_dict(self) -> dict:
        d = {"error": type(self).__name__, "message": self.message}
        if self.file:
            d["file"] = self.file
        if self.line:
            d["line"] = self.line
        return d


# --- input (batches) -------------------------------------------------------------------------

class InputError(SudurError):
    """A batch file is unusable; the item it belongs to is not ingested."""

    http_status = 400
    hint = "fix the file named above and run the command again"


class XMLSyntaxError(InputError):
    """The XML is not well-formed."""


class UnsafeXMLError(InputError):
    """The XML uses a DTD, an external or expanding entity, or XInclude."""

    hint = "remove the DOCTYPE/entities from the file; Sudur never resolves them"


class NotTEIError(InputError):
    """The XML is well-formed but not a TEI document."""


class ImageError(InputError):
    """An image is missing, truncated, undecodable or beyond the size limits."""


class PathEscapeError(InputError):
    """A reference points outside the item folder (``..``, absolute path, URL, symlink out)."""

    hint = "facs/graphic references must be relative paths inside the item folder"


class BagError(InputError):
    """A BagIt bag failed verification."""


# --- settings --------------------------------------------------------------------------------

class SettingsError(SudurError):
    """A setting is unknown or of the wrong type, or ``sudur.json`` is not a JSON object."""

    hint = "fix the setting named above; the README's Configuration section lists them all"


# --- library ---------------------------------------------------------------------------------

class LibraryError(SudurError):
    """The library on disk is in a state Sudur cannot work with."""

    hint = "check the --library path"


class LibraryLockedError(LibraryError):
    http_status = 503
    hint = "another `sudur ingest` is running on this library; wait for it to finish"


class IndexVersionError(LibraryError):
    http_status = 503
    retry_after = 30  # seconds, sent as Retry-After: a reindex is the usual cure
    hint = "run `sudur reindex`"


class StoreUnavailableError(LibraryError):
    """The object store (S3) cannot be reached or is overloaded: try again later. Raised by every
    store backend alike, so callers never see a client library's own errors."""

    http_status = 503
    retry_after = 10  # seconds, sent as Retry-After
    hint = "the object store is unreachable; the request or ingest can be retried when it is back"


class CatalogError(LibraryError):
    """The catalogue refused or failed an operation (a full disk, a broken file, a constraint).
    Raised by every catalogue backend alike (SQLite, PostgreSQL), so code outside ``catalog/``
    never sees a driver's own errors."""

    hint = "check the catalogue named above (`sudur verify` reports what it finds)"


class CatalogUnavailableError(CatalogError):
    """The catalogue's server cannot be reached (PostgreSQL down, restarting or refusing
    connections): try again later; nothing was half-written."""

    http_status = 503
    retry_after = 10  # seconds, sent as Retry-After
    hint = ("the catalogue's PostgreSQL server is unreachable: start it (or check catalog_url),"
            " then run the same command again")


class CatalogVersionError(CatalogError):
    """The catalogue's schema and this Sudur do not match: a newer schema this code cannot
    read (or must not write), or an older one it does not migrate from a reader. In a rolling
    upgrade it is passing: the node answers 503 until it runs the same version."""

    http_status = 503
    retry_after = 30  # seconds, sent as Retry-After
    hint = "run the same Sudur version on every node: upgrade this one, or run `sudur migrate`"


# --- requests --------------------------------------------------------------------------------

class NotFoundError(SudurError):
    http_status = 404


class WithdrawnError(NotFoundError):
    """The item was published and has been withdrawn (a rights claim, a duplicate, an error):
    its persistent URLs answer 410 Gone, saying when and why, instead of 404."""

    http_status = 410
    hint = "the item was withdrawn from the library; cite it as it was, with the date it went"

    def __init__(self, message: str, *, item_id: str, title: str, withdrawn: float,
                 reason: str, titles: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.item_id = item_id
        self.title = title
        self.titles = dict(titles or {})  # by language, for a page in the reader's language
        self.withdrawn = withdrawn  # seconds since the epoch (UTC)
        self.reason = reason

    def to_dict(self) -> dict:
        from datetime import datetime, timezone

        d = super().to_dict()
        d.update(item=self.item_id, title=self.title, reason=self.reason,
                 withdrawn=datetime.fromtimestamp(self.withdrawn, timezone.utc)
                 .strftime("%Y-%m-%dT%H:%M:%SZ"))
        return d


class BadRequestError(SudurError):
    http_status = 400


class ForbiddenError(SudurError):
    """A download the item's licence or the library's download policy does not offer."""

    http_status = 403


class TooLargeError(SudurError):
    """A request beyond the configured size limits (decided before decoding anything)."""

    http_status = 400


class NotImplementedFeatureError(SudurError):
    http_status = 501
