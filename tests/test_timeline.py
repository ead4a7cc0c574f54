"""``policyrules timeline``: versions, windows, and what each version changes."""

from __future__ import annotations

import io
import json

from policyrules.analysis.timeline import timeline
from policyrules.cli import main
from policyrules.packs.loader import load_pack


def test_the_us_timeline_has_four_versions_with_their_changes() -> None:
    us = timeline(load_pack(), "us")
    assert [(e.version, e.effective_from.isoformat(), e.effective_until and e.effective_until.isoformat())
            for e in us] == [("baseline", "2022-02-24", "2024-05-29"), ("2024-05-30", "2024-05-30", "2024-06-19"),
                             ("2024-06-20", "2024-06-20", "2024-11-16"), ("2024-11-17", "2024-11-17", None)]
    assert us[1].added == ("us-kharkiv-counterfire", "us-counterfire-target-limit")
    assert us[1].replaced == ("us-long-range-ban",)
    assert us[2].removed == ("us-kharkiv-counterfire",) and "us-border-counterfire" in us[2].added
    assert us[3].added == ("us-kursk-atacms",)
    assert us[0].parameters == {"long_range_km": 80.0}


def test_the_timeline_command_prints_text_and_json() -> None:
    out = io.StringIO()
    assert main(["timeline"], out=out) == 0
    text = out.getvalue()
    assert "  2024-05-30   2024-05-30 .. 2024-06-19" in text and "+ us-kharkiv-counterfire" in text
    assert text.index("\nus\n") < text.index("\ncommon\n")  # supplier policies first
    out = io.StringIO()
    assert main(["timeline", "us", "--format", "json"], out=out) == 0
    assert [e["version"] for e in json.loads(out.getvalue())] == ["baseline", "2024-05-30", "2024-06-20",
                                                                  "2024-11-17"]


def test_an_unknown_policy_is_a_one_line_error() -> None:
    err = io.StringIO()
    assert main(["timeline", "xx"], out=io.StringIO(), err=err) == 2
    assert err.getvalue() == "policyrules timeline: error: unknown policy 'xx'; known: common, be, de, default, dk, " \
        "fr, gb, nl, ua, us\n"
