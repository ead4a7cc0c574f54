"""Pack text is untrusted: how it leaves Python for the page.

Titles, quotes, notes, ids and URLs come from rule files anyone can write. Templates escape
them (Jinja2 autoescape); data for the scripts goes out as JSON assigned to a global in a
``data/*.js`` file (:func:`js_data`), with every character that could end the script or the
string escaped; links are made only from http(s) URLs (:func:`safe_url`); file names made from
ids keep only safe characters (:func:`slug`).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

#: The global every data file assigns into: ``window.POLICYRULES_ATLAS[name] = ...``.
GLOBAL = "POLICYRULES_ATLAS"

# Characters that may end a script element or a JavaScript string, or start an HTML comment.
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SLUG = re.compile(r"[^a-z0-9_.-]")


def json_text(value: Any) -> str:
    """JSON that is safe inside a script: ``<``, ``>``, ``&``, U+2028 and U+2029 escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return "".join(_ESCAPES.get(c, c) for c in text)


def js_data(name: str, value: Any) -> str:
    """A script that stores ``value`` (JSON-ready) as ``window.POLICYRULES_ATLAS[name]``."""
    if not _NAME.match(name):
        raise ValueError(f"not a plain name for a data entry: {name!r}")
    return (f"window.{GLOBAL} = window.{GLOBAL} || {{}};\n"
            f"window.{GLOBAL}[{json.dumps(name)}] = {json_text(value)};\n")


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host and no spaces or controls, else None."""
    if not url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def slug(text: str) -> str:
    """A file name stem for an id: its safe characters, and a short hash when any were changed
    (so distinct ids never share a page)."""
    lowered = text.lower()
    cleaned = _SLUG.sub("_", lowered).strip(".") or "_"
    if cleaned != text:
        cleaned += "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return cleaned[:120]
