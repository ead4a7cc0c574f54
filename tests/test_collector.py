"""The collector is paused over bursts of allocation (evaluate_many, columns, check) and always
back on after them, also after an error; a pause inside a pause leaves it to the outer one."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from policyrules import Engine
from policyrules.analysis import check as check_module
from policyrules.model.collector import paused_gc


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_then_back_on_also_after_an_error() -> None:
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), paused_gc():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_it_off_until_the_outer_one_ends() -> None:
    with paused_gc():
        with paused_gc():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_check_runs_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    inner = check_module._check

    def spy(*a: Any) -> Any:
        seen.append(gc.isenabled())
        return inner(*a)

    monkeypatch.setattr(check_module, "_check", spy)
    report = Engine.load().check(all_readings=False)
    assert report.ok and seen == [False] and gc.isenabled()
