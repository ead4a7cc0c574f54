"""The files of a rule directory: ``catalog.yaml`` and every other ``*.yaml`` / ``*.yml`` below it.

The walk is iterative (any depth of directories costs no Python recursion) and states its rules:

- directories nest at most :data:`MAX_DEPTH` levels below the rules directory, and a directory
  holds at most :data:`MAX_FILES` rule files;
- symbolic links are followed only when they point inside the rules directory: a link pointing
  outside it, a broken link and a link loop are errors, and so is a directory reached twice
  (through a link);
- a rule file must be a regular file: a FIFO, a device or a socket named ``*.yaml`` is an
  error (it is never opened); other files are ignored.

Problems with single entries are collected (:attr:`RuleDir.problems`), so the loader can report
them with every other problem of the pack; a directory that cannot be a pack at all (missing,
empty path, no catalog, too many files) raises a :class:`~policyrules.model.errors.RuleFileError`.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..model.errors import RuleFileError, echo

CATALOG_FILE = "catalog.yaml"
SUFFIXES = (".yaml", ".yml")
MAX_FILES = 2000
#: How many levels of directories may nest below the rules directory.
MAX_DEPTH = 16


@dataclass(frozen=True)
class RuleDir:
    """What a walk of a rule directory found: the catalog, the rule files (in order), the name of
    each as messages show it (``<dir name>/<relative path>``), and the entries refused."""

    label: str
    catalog: Path
    files: tuple[Path, ...]
    names: dict[Path, str]
    problems: tuple[RuleFileError, ...]


def find_files(path: str | Path) -> RuleDir:
    if isinstance(path, str) and not path.strip():
        raise RuleFileError(echo(path), "an empty path is not a rules directory (give none for the bundled pack)")
    root = Path(path)
    label = root.name or str(root)
    if not root.is_dir():
        raise RuleFileError(str(root), "not a directory of rule files")
    try:
        real_root = root.resolve(strict=True)
    except (OSError, RuntimeError) as e:
        raise RuleFileError(label, f"cannot resolve the rules directory: {_why(e)}") from None
    catalog = root / CATALOG_FILE
    walk = _Walk(root, real_root, label, lambda name: name.endswith(SUFFIXES), skip=catalog)
    if not os.path.lexists(catalog):
        raise RuleFileError(f"{label}/{CATALOG_FILE}", "missing: a rule directory needs a catalog")
    if walk.look(catalog, rule_file=True) != "file":
        raise walk.problems[0] if walk.problems else \
            RuleFileError(f"{label}/{CATALOG_FILE}", "not a file: a rule directory needs a catalog file")
    files = walk.run()
    if not files and not walk.problems:
        raise RuleFileError(label, "no rule files (*.yaml) besides the catalog")
    names = {p: walk.name(p) for p in [catalog, *files]}
    return RuleDir(label, catalog, tuple(files), names, tuple(walk.problems))


def walk(root: Path, accept: Callable[[str], bool], what: str = "the directory"
         ) -> tuple[list[Path], list[RuleFileError]]:
    """The files below the directory ``root`` whose names ``accept`` takes, in path order, by the rules
    of a rule directory (depth, links, regular files only), and the entries refused (problems named
    ``<root name>/<relative path>``)."""
    try:
        real_root = root.resolve(strict=True)
    except (OSError, RuntimeError) as e:
        return [], [RuleFileError(root.name or str(root), f"cannot resolve the directory: {_why(e)}")]
    w = _Walk(root, real_root, root.name or str(root), accept, what=what)
    return w.run(), w.problems


class _Walk:
    def __init__(self, root: Path, real_root: Path, label: str, accept: Callable[[str], bool],
                 skip: Path | None = None, what: str = "the rules directory") -> None:
        self.root, self.real_root, self.label = root, real_root, label
        self.accept, self.skip, self.what = accept, skip, what
        self.files: list[Path] = []
        self.problems: list[RuleFileError] = []

    def name(self, p: Path) -> str:
        rel = p.relative_to(self.root).as_posix()
        return self.label if rel == "." else f"{self.label}/{rel}"

    def refuse(self, p: Path, message: str) -> None:
        self.problems.append(RuleFileError(self.name(p), message))

    def run(self) -> list[Path]:
        """Walk the tree (iteratively); the files taken, in path order."""
        seen_dirs = {self.real_root: self.root}
        stack: list[tuple[Path, int]] = [(self.root, 0)]
        while stack:
            directory, depth = stack.pop()
            try:
                with os.scandir(directory) as it:
                    names = sorted(e.name for e in it)
            except OSError as e:
                self.refuse(directory, f"cannot read the directory: {_why(e)}")
                continue
            for entry in names:
                p = directory / entry
                if p == self.skip:
                    continue
                kind = self.look(p, rule_file=self.accept(entry))
                if kind == "file":
                    self.files.append(p)
                    if len(self.files) > MAX_FILES:
                        raise RuleFileError(self.label, f"more than {MAX_FILES} rule files; the limit is {MAX_FILES}")
                elif kind == "dir":
                    real = p.resolve()
                    if real in seen_dirs:
                        self.refuse(p, f"a link to a directory read already ({self.name(seen_dirs[real])}); "
                                    "a link must not repeat a directory of the pack")
                    elif depth + 1 > MAX_DEPTH:
                        self.refuse(p, f"directories nest more than {MAX_DEPTH} levels below {self.what}")
                    else:
                        seen_dirs[real] = p
                        stack.append((p, depth + 1))
        return sorted(self.files, key=lambda p: p.relative_to(self.root).parts)

    def look(self, p: Path, *, rule_file: bool) -> str | None:
        """``dir`` to walk into, ``file`` for a rule file, None to pass by (refused, when it is a
        rule file or a link that may be one, or a directory, that cannot be used)."""
        try:
            link = p.is_symlink()
            mode = p.stat().st_mode  # follows links
        except OSError as e:  # a broken link, a link loop, or an entry gone meanwhile
            if rule_file or not p.suffix:  # a link with no suffix may have been to a directory
                what = "a symbolic link loop" if e.errno == errno.ELOOP else \
                    "a broken symbolic link" if link else "cannot be read"
                self.refuse(p, f"{what} ({_why(e)})")
            return None
        if not (stat.S_ISDIR(mode) or rule_file):
            return None
        if link:
            target = Path(os.path.realpath(p))
            if not target.is_relative_to(self.real_root):
                self.refuse(p, f"a symbolic link to {echo(str(target), 120)}, outside {self.what}; "
                            "links are followed only inside it")
                return None
        if stat.S_ISDIR(mode):
            return "dir"
        if not stat.S_ISREG(mode):
            kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if \
                stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file"
            self.refuse(p, f"{kind}: a rule file must be a regular file")
            return None
        return "file"


def _why(e: BaseException) -> str:
    return str(getattr(e, "strerror", None) or e)
