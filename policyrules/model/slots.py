"""Pydantic's internals, in one place: building a model from parts already checked, and reading
its private state without Pydantic's ``__getattr__``.

Hot paths (a strike from a plain dict, a verdict per evaluation) build models that validation
has already vouched for; ``model_construct`` would do the same with generic work costing
microseconds. Everything here relies on how Pydantic 2 lays out a model (the slots
``__dict__``, ``__pydantic_fields_set__``, ``__pydantic_extra__`` and ``__pydantic_private__``
of ``BaseModel``); ``tests/test_slots.py`` checks it against the installed Pydantic (the
project pins ``pydantic>=2.5,<3``). No other module touches these names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_new = object.__new__

#: ``private_of(model)``: the model's private attributes as a plain dict (None when it has none).
private_of: Callable[[BaseModel], dict[str, Any] | None] = BaseModel.__dict__["__pydantic_private__"].__get__


def construct(cls: type[M], fields: dict[str, Any], fields_set: set[str] | frozenset[str],
              private: dict[str, Any] | None = None) -> M:
    """A ``cls`` whose ``__dict__`` is ``fields`` (every field, in field order), without validation.

    What ``model_construct`` does, minus its generic work: the caller guarantees ``fields`` is
    what validation would have produced."""
    obj = _new(cls)
    _set_dict(obj, fields)
    _set_fields_set(obj, fields_set)
    _set_extra(obj, None)
    _set_private(obj, private)
    return obj
