"""The catalogue's readers of multi-volume works (issue 15), the same in both backends but for
the parameter mark: mixed into ``catalog.catalogue.Catalogue``, they send SQL of the common
dialect through ``self.conn.execute`` with ``self.param`` for each parameter.

They rely on the backend's ``conn``, ``param`` and ``_skip``, and ask ``_has_works`` whether
the works tables are there at all: a SQLite catalogue written before them and opened read-only
(the viewer's) has none, and then no works; a PostgreSQL catalogue is migrated by its writers.
"""
from __future__ import annotations

from library.errors import NotFoundError
from library.models import Work

from .records import work_record


class WorkReaders:
    """The works part of the catalogue interface; a backend writes them (``put_work``)."""

    def put_work(self, work: Work) -> list[str]:
        """Insert or replace a work and its volumes; return the items that became or stopped
        being its volumes (their search documents carry the work, so they are reindexed)."""
        raise NotImplementedError

    def _has_works(self) -> bool:
        return True

    def get_work(self, work_id: str) -> Work:
        r = self.conn.execute(f"SELECT record FROM works WHERE id={self.param}",
                              (work_id,)).fetchone() if self._has_works() else None
        if not r:
            raise NotFoundError(f"no work {work_id!r} in the library")
        return work_record(work_id, r[0])

    def works(self) -> list[Work]:
        """Every work whose record reads, in id order; a bad row is left out."""
        if not self._has_works():
            return []
        return self._records("works", work_record)

    def work_ids_of(self, item_id: str) -> list[str]:
        """The works ``item_id`` is a volume of, in id order."""
        if not self._has_works():
            return []
        return [r[0] for r in self.conn.execute(
            f"SELECT DISTINCT work_id FROM work_volumes WHERE item_id={self.param} "
            "ORDER BY work_id", (item_id,))]

    def work_stamps(self, item_id: str) -> list[tuple[str, float]]:
        """(work id, when it was written) of each work ``item_id`` is a volume of: what a
        cached manifest of the volume depends on besides the item's own version."""
        if not self._has_works():
            return []
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT DISTINCT w.id, w.updated FROM works w JOIN work_volumes v ON v.work_id = w.id"
            f" WHERE v.item_id={self.param} ORDER BY w.id", (item_id,))]
