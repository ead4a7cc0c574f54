"""The policy atlas: a static, offline web site that shows a pack instead of making people read it.

``policyrules atlas OUT_DIR`` (or :func:`build_atlas`) writes HTML, CSS, plain JavaScript and
data files: a timeline of every policy's versions, a tile map of the regions coloured by decision
with a date slider, matrices per version and across suppliers, the exact diff between two dates,
an evaluator that answers in the page by looking up the exported exact decision tables, and a
page per rule and per contested point; built under one reading of the contested points, with the
alternatives under every other option shown beside each answer. Needs Jinja2
(``pip install 'policyrules[atlas]'``).
"""

from .contested import ContestedPoint, Mark, Option, Variant
from .site import INSTALL_ATLAS, AtlasError, AtlasReport, build_atlas

__all__ = ["INSTALL_ATLAS", "AtlasError", "AtlasReport", "ContestedPoint", "Mark", "Option", "Variant", "build_atlas"]
