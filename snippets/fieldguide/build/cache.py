"""Skip a slow build step when its inputs did not change.

``mkdocs serve`` rebuilds the site on every saved file; building the wheel
(``pip wheel``, about 2 s) and the editor bundle (esbuild) again each time is
wasted when their inputs are the same. Each step's output is stored under a
folder named by a hash of its inputs (paths and bytes) and reused from there.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
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
    cache keeps one entry per step. ``make`` returns the path it wrote. It writes
    into a folder of its own, renamed to ``<digest>`` when complete, so two builds
    at once (the tests build the site and the PDF's print site side by side) never
    see a half-made entry: the first rename wins and the other uses it.

    >>> import tempfile
    >>> calls = []
    >>> def make(folder):
    ...     calls.append(folder)
    ...     (folder / "out.txt").write_text("built")
    ...     return folder / "out.txt"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = cached(Path(tmp), "abc", make)
    ...     again = cached(Path(tmp), "abc", make)
    ...     other = cached(Path(tmp), "def", make)
    ...     left = sorted(p.name for p in Path(tmp).iterdir())
    ...     text = other.read_text()
    >>> (len(calls), first == again, first.parent.name, first.name, left, text)
    (2, True, 'abc', 'out.txt', ['def'], 'built')
    """
    folder = cache_dir / digest
    done = folder / ".done"
    if done.exists():
        return folder / done.read_text(encoding="utf-8")
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{digest}.", dir=cache_dir))
    try:
        output = make(work)
        (work / ".done").write_text(output.relative_to(work).as_posix(), encoding="utf-8")
        for old in cache_dir.iterdir():   # other digests, and an entry a crash left unfinished
            if old.is_dir() and (old == folder and not done.exists()
                                 or old.name != digest and not old.name.startswith(f".{digest}.")):
                shutil.rmtree(old, ignore_errors=True)
        try:
            work.rename(folder)
        except OSError:
            if not done.exists():         # not another build's finished entry
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)   # gone already when renamed
    return folder / done.read_text(encoding="utf-8")


def write_text_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never
    a part (another build may read it at the same time): a file beside it, then a rename.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_text_whole(Path(tmp) / "a" / "x.json", "{}")
    ...     (Path(tmp) / "a" / "x.json").read_text(), sorted(p.name for p in (Path(tmp) / "a").iterdir())
    ('{}', ['x.json'])
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
