"""``policyrules.model.intervals`` on its own: cutting a range at thresholds, membership, picking
a value, and joining intervals into spans with their wording."""

from __future__ import annotations

import math

import pytest

from policyrules.model.domain import MAX_RANGE_KM
from policyrules.model.intervals import Interval, Span, intervals, spans


def test_a_threshold_cuts_the_range_into_below_it_and_above() -> None:
    assert intervals([80]) == (Interval(0.0, 80.0, True, False), Interval(80.0, 80.0),
                               Interval(80.0, MAX_RANGE_KM, False, True))


def test_no_threshold_leaves_one_interval_and_out_of_range_ones_are_ignored() -> None:
    assert intervals([]) == (Interval(0.0, MAX_RANGE_KM),)
    assert intervals([-5, MAX_RANGE_KM + 1]) == (Interval(0.0, MAX_RANGE_KM),)


def test_thresholds_on_the_ends_and_repeated_give_no_empty_pieces() -> None:
    assert intervals([0, 40, 40.0, 100], lo=0, hi=100) == (
        Interval(0.0, 0.0), Interval(0.0, 40.0, False, False), Interval(40.0, 40.0),
        Interval(40.0, 100.0, False, False), Interval(100.0, 100.0))


@pytest.mark.parametrize("x", [0, 1e-9, 39.999, 40, 40.000001, 99.5, 100])
def test_the_pieces_cover_the_range_exactly_once(x: float) -> None:
    assert sum(x in iv for iv in intervals([40, 80.5], lo=0, hi=100)) == 1


def test_membership_respects_open_ends_and_refuses_non_numbers() -> None:
    iv = Interval(10.0, 20.0, False, True)
    assert [x in iv for x in (10, math.nextafter(10, 11), 15, 20, 20.0001)] == [False, True, True, True, False]
    assert "15" not in iv and True not in Interval(0.0, 2.0) and None not in iv


def test_pick_returns_a_member_under_the_cap() -> None:
    assert Interval(0.0, 80.0, True, False).pick() == 1.0
    assert Interval(80.0, 80.0).pick() == 80.0
    assert Interval(80.0, 300.0, False, True).pick(cap=80.0) is None
    got = Interval(0.0, 1e-6, False, False).pick()
    assert got is not None and 0 < got < 1e-6


def test_an_interval_prints_in_interval_notation() -> None:
    assert [str(iv) for iv in intervals([80])] == ["[0, 80)", "80", "(80, 20100]"]


def test_spans_join_touching_intervals_and_keep_gaps() -> None:
    below, at, above = intervals([80])
    assert spans([above, below, at]) == [Span(lo=0.0, hi=MAX_RANGE_KM)]
    assert spans([below, above]) == [Span(lo=0.0, hi=80.0, lo_closed=True, hi_closed=False),
                                     Span(lo=80.0, hi=MAX_RANGE_KM, lo_closed=False, hi_closed=True)]
    assert spans([]) == []


@pytest.mark.parametrize(("span", "text"), [
    (Span(lo=80.0, hi=80.0), "= 80"),
    (Span(lo=0.0, hi=80.0, hi_closed=False), "< 80"),
    (Span(lo=0.0, hi=80.0), "<= 80"),
    (Span(lo=80.0, hi=MAX_RANGE_KM, lo_closed=False), "> 80"),
    (Span(lo=80.0, hi=MAX_RANGE_KM), ">= 80"),
    (Span(lo=40.0, hi=80.0, lo_closed=False), "> 40 and <= 80"),
])
def test_a_span_is_worded_as_a_comparison(span: Span, text: str) -> None:
    assert str(span) == text


def test_span_membership_is_the_intervals() -> None:
    span = Span(lo=40.0, hi=80.0, lo_closed=False)
    assert [x in span for x in (40, 40.5, 80, 81)] == [False, True, True, False]
