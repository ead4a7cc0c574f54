"""An engine as data that travels: the pack's files, its digest, the backend and the reading.

Cluster workers (:mod:`policyrules.dask`, :mod:`policyrules.spark`) receive an :class:`EngineSpec`
and call :meth:`EngineSpec.engine`, which loads the pack once per worker process (kept by its
digest, backend and reading) from the files the spec carries, so workers need no copy of the rule
directory, and checks that what they loaded has the digest the driver saw."""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import Engine
from .model.errors import PolicyRulesError
from .packs.files import find_files
from .packs.loader import bundled_rules_dir

_engines: dict[tuple[str, str, tuple[tuple[str, str], ...]], Engine] = {}
_loads: list[str] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class EngineSpec:
    """What a worker needs to rebuild an engine: the pack's files (relative path, bytes), its digest,
    the backend and the reading (contested points chosen away from their defaults)."""

    digest: str
    files: tuple[tuple[str, bytes], ...]
    backend: str = "compiled"
    reading: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, spec: Any = None, backend: str = "compiled") -> EngineSpec:
        """A spec from a spec, an :class:`~policyrules.Engine`, a rule directory or None (the bundled pack)."""
        if isinstance(spec, EngineSpec):
            return spec
        engine = spec if isinstance(spec, Engine) else Engine.load(spec, backend=backend)
        root = Path(engine.pack.root) if engine.pack.root else bundled_rules_dir()
        found = find_files(root if root.is_dir() else bundled_rules_dir())
        base = found.catalog.parent
        files = tuple((p.relative_to(base).as_posix(), p.read_bytes()) for p in [found.catalog, *found.files])
        return cls(engine.pack.digest, files, engine.backend, tuple(sorted(engine.reading.items())))

    def engine(self) -> Engine:
        """The engine, loaded once per process from the spec's files."""
        key = (self.digest, self.backend, self.reading)
        with _lock:
            found = _engines.get(key)
            if found is not None:
                return found
            with tempfile.TemporaryDirectory(prefix="policyrules-pack-") as tmp:
                for name, data in self.files:
                    path = Path(tmp, name)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                try:
                    found = Engine.load(tmp, backend=self.backend, readings=dict(self.reading))
                except PolicyRulesError as e:
                    raise PolicyRulesError(f"the shipped pack {self.digest[:12]} does not load on this worker: "
                                           f"{e}") from e
            if found.pack.digest != self.digest:
                raise PolicyRulesError(f"the shipped pack has digest {found.pack.digest[:12]} on this worker, "
                                f"not {self.digest[:12]}")
            _engines[key] = found
            _loads.append(self.digest)
            return found


def loads() -> list[str]:
    """The digests of the packs this process loaded from specs, one entry per load."""
    return list(_loads)
