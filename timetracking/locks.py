"""Locks that apps above time tracking put on finished entries (billing: an entry on an invoice).

Time tracking cannot import those apps, so each registers a function at start-up (in its
AppConfig.ready) that raises a domain error (e.g. a 409 Conflict) when one of the given entries may
not change. Every change and deletion of an entry (entry_update, entry_delete: which the API, the
pages, the week grid, the admin and the bulk and import paths all go through) asks them first.
"""

from collections.abc import Callable, Collection

EntryLock = Callable[[Collection[int]], None]

_LOCKS: list[EntryLock] = []


def register_entry_lock(lock: EntryLock) -> None:
    if lock not in _LOCKS:
        _LOCKS.append(lock)


def check_entries_unlocked(entry_ids: Collection[int]) -> None:
    for lock in _LOCKS:
        lock(entry_ids)
