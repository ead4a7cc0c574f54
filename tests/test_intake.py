"""The fast path for plain dicts builds exactly the strike full validation builds, or steps aside."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from policyrules import Engine, PolicyRulesError, ProposedStrike
from policyrules.model.strike import from_plain as quick_strike
from policyrules.strategies import strikes

from .strike_samples import ODD

ENGINE = Engine.load(backend="compiled")
CATALOG = ENGINE.pack.catalog


def _same(a: ProposedStrike, b: ProposedStrike) -> None:
    assert a == b
    assert a.model_dump() == b.model_dump() and repr(a) == repr(b)
    assert a.model_fields_set == b.model_fields_set
    assert a.__pydantic_private__ == b.__pydantic_private__  # country, catalog, facts


@given(strikes(ENGINE))
def test_valid_plain_dicts_take_the_fast_path_and_match_full_validation(data: dict[str, Any]) -> None:
    """Every valid strike drawn from the pack is built by the fast path, equal in every respect."""
    fast = quick_strike(data, CATALOG)
    assert fast is not None, data
    _same(fast, ProposedStrike.parse(data, CATALOG))


@given(strikes(ENGINE), st.sampled_from(sorted(ODD)), st.data())
def test_an_odd_field_is_refused_by_both_or_built_alike(row: dict[str, Any], field: str, data: st.DataObject) -> None:
    """With one field odd, the fast path either steps aside (None) or builds what full
    validation builds; it never accepts what full validation refuses."""
    row = {**row, field: data.draw(st.sampled_from(ODD[field]))}
    fast = quick_strike(row, CATALOG)
    try:
        full = ProposedStrike.parse(row, CATALOG)
    except PolicyRulesError:
        assert fast is None, row
        return
    if fast is not None:
        _same(fast, full)


def test_unknown_and_derived_keys_step_aside() -> None:
    base = {"weapon": "HIMARS", "target_region": "kharkiv", "target_type": "troops", "range_km": 10.0}
    assert quick_strike(base, CATALOG) is not None
    assert quick_strike({**base, "colour": "red"}, CATALOG) is None
    assert quick_strike({**base, "target_country": "UA"}, CATALOG) is None
    assert ENGINE.evaluate({**base, "target_country": "UA"}).strike.target_country == "UA"


def test_the_fast_path_cache_does_not_make_equal_catalogs_unequal() -> None:
    """A strike validated against another copy of the catalog equals one from the fast path."""
    from policyrules.packs.loader import bundled_catalog

    data = {"weapon_class": "drone", "supplier": "US", "target_region": "kharkiv", "target_type": "troops",
            "range_km": 1.0}
    fast = quick_strike(data, CATALOG)
    assert fast is not None
    assert bundled_catalog() is not CATALOG and bundled_catalog() == CATALOG
    assert ProposedStrike.parse(data, bundled_catalog()) == fast
