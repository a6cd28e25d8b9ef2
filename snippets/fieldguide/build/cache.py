"""Skip a slow build step when its inputs did not change.

``mkdocs serve`` rebuilds the site on every saved file; building the wheel
(``pip wheel``, about 2 s) and the editor bundle (esbuild) again each time is
wasted when their inputs are the same. Each step's output is stored under a
folder named by a hash of its inputs (paths and bytes) and reused from there.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path


def inputs_digest(root: Path, files: Iterable[Path], *extra: str) -> str:
    """A hex digest of the files' paths (relative to ``root``) and contents, and ``extra``.

    The order of ``files`` does not matter; a renamed file, a changed byte or a
    changed ``extra`` string (a command line, a version) gives a new digest.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     _ = (root / "a.py").write_text("x = 1")
    ...     _ = (root / "b.py").write_text("y = 2")
    ...     one = inputs_digest(root, [root / "a.py", root / "b.py"])
    ...     same = inputs_digest(root, [root / "b.py", root / "a.py"])
    ...     _ = (root / "a.py").write_text("x = 2")
    ...     changed = inputs_digest(root, [root / "a.py", root / "b.py"])
    >>> (len(one), one == same, one == changed)
    (16, True, False)
    """
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.relative_to(root).as_posix()):
        data = file.read_bytes()
        digest.update(f"{file.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    for text in extra:
        digest.update(f"\0{text}".encode())
    return digest.hexdigest()[:16]


def source_files(folder: Path, patterns: tuple[str, ...] = ("*",)) -> list[Path]:
    """Every file under ``folder`` matching ``patterns``, without caches and build litter."""
    return sorted(
        path
        for pattern in patterns
        for path in folder.rglob(pattern)
        if path.is_file()
        and not any(part in {"__pycache__", ".pytest_cache"} or part.endswith(".egg-info")
                    for part in path.relative_to(folder).parts)
        and path.suffix not in {".pyc", ".pyo"}
    )


def cached(cache_dir: Path, digest: str, make: Callable[[Path], Path]) -> Path:
    """The file ``make(folder)`` writes into an empty ``folder``, made once per digest.

    ``cache_dir/<digest>/`` holds the result; older digests are removed, so the
    cache keeps one entry per step. ``make`` returns the path it wrote.

    >>> import tempfile
    >>> calls = []
    >>> def make(folder):
    ...     calls.append(folder.name)
    ...     (folder / "out.txt").write_text("built")
    ...     return folder / "out.txt"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = cached(Path(tmp), "abc", make)
    ...     again = cached(Path(tmp), "abc", make)
    ...     other = cached(Path(tmp), "def", make)
    ...     left = sorted(p.name for p in Path(tmp).iterdir())
    >>> (calls, first == again, first.name, left)
    (['abc', 'def'], True, 'out.txt', ['def'])
    """
    folder = cache_dir / digest
    done = folder / ".done"
    if done.exists():
        return folder / done.read_text(encoding="utf-8")
    if cache_dir.exists():
        for old in cache_dir.iterdir():
            if old.is_dir():
                shutil.rmtree(old)
    folder.mkdir(parents=True)
    output = make(folder)
    done.write_text(output.relative_to(folder).as_posix(), encoding="utf-8")
    return output
