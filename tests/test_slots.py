"""model/slots.py relies on how Pydantic lays out a model: checked here against the installed Pydantic
(the project pins pydantic>=2.5,<3), so an upgrade that changes the layout fails here, not in a hot path."""

from __future__ import annotations

import pydantic
import pytest
from pydantic import BaseModel, PrivateAttr

from policyrules.model.slots import construct, private_of


class Point(BaseModel):
    x: int
    y: int = 0
    _note: str = PrivateAttr(default="")


def test_the_installed_pydantic_is_in_the_pinned_range() -> None:
    major, minor = (int(p) for p in pydantic.VERSION.split(".")[:2])
    assert (major, minor) >= (2, 5) and major < 3


def test_construct_builds_what_validation_builds() -> None:
    built = construct(Point, {"x": 1, "y": 2}, {"x"}, {"_note": "n"})
    valid = Point(x=1, y=2)
    valid._note = "n"
    assert built == valid
    assert built.model_dump() == valid.model_dump() == {"x": 1, "y": 2}
    assert built.model_fields_set == {"x"}
    assert built._note == "n"
    assert repr(built) == repr(valid)


def test_private_of_reads_the_private_attributes_as_a_plain_dict() -> None:
    p = Point(x=1)
    p._note = "kept"
    assert private_of(p) == {"_note": "kept"}
    assert private_of(p) is p.__pydantic_private__


def test_a_model_without_private_attributes_has_none() -> None:
    class Plain(BaseModel):
        a: int

    assert private_of(Plain(a=1)) is None


def test_construct_does_not_validate() -> None:
    """The caller vouches for the fields: nothing is checked (which is why only validated parts go in)."""
    built = construct(Point, {"x": "not a number", "y": 0}, {"x"})
    assert built.x == "not a number"
    with pytest.raises(pydantic.ValidationError):
        Point.model_validate(dict(built))
