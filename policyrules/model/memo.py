"""A memo keyed by the identity of objects: for values computed from immutable objects that are
costly to hash or compare (a version composed from a selected file and its parent, a rule set's
problems, its bound conditions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class ByIdentity(Generic[V]):
    """``get(objects, make)``: ``make()``'s value for these very objects, made once. The objects are
    kept with their value, so their ids are not reused by other objects while the entry stands."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[tuple[int, ...], tuple[tuple[object, ...], V]] = {}

    def get(self, objects: tuple[object, ...], make: Callable[[], V], keep: Callable[[V], bool] | None = None) -> V:
        """The value made for ``objects`` (the same objects, by identity), or ``make()``'s, remembered
        unless ``keep`` (asked after ``make``) says not to."""
        key = tuple(map(id, objects))
        found = self._entries.get(key)
        if found is not None:  # the entry keeps its objects alive: no other object has one of their ids
            return found[1]
        value = make()
        if keep is None or keep(value):
            self._entries[key] = (objects, value)
        return value
