"""policyrules.model.memo.ByIdentity: a value per objects by identity, never by equality."""

from __future__ import annotations

from policyrules.model.memo import ByIdentity


def test_the_same_objects_get_the_value_made_once() -> None:
    memo: ByIdentity[int] = ByIdentity()
    a, b = [1], [2]
    calls: list[int] = []
    assert memo.get((a, b), lambda: calls.append(1) or 7) == 7
    assert memo.get((a, b), lambda: calls.append(1) or 8) == 7
    assert calls == [1]


def test_equal_objects_are_other_objects() -> None:
    memo: ByIdentity[str] = ByIdentity()
    a = [1]
    assert memo.get((a,), lambda: "first") == "first"
    assert memo.get(([1],), lambda: "second") == "second"  # equal content, another object
    assert memo.get((a, a), lambda: "pair") == "pair"  # more objects: another key


def test_keep_false_is_not_remembered() -> None:
    memo: ByIdentity[int] = ByIdentity()
    a = object()
    assert memo.get((a,), lambda: 1, keep=lambda v: False) == 1
    assert memo.get((a,), lambda: 2, keep=lambda v: v > 1) == 2
    assert memo.get((a,), lambda: 3) == 2


def test_an_entry_keeps_its_objects_so_their_ids_are_not_reused() -> None:
    memo: ByIdentity[str] = ByIdentity()
    memo.get(([1, 2],), lambda: "kept")
    others = [[3, 4] for _ in range(1000)]  # were the first list freed, one of these could take its id
    assert all(memo.get((o,), lambda: "new") == "new" for o in others)
