"""The wheel the browser loads, and the ``pyodide-lock.json`` that registers it.

The wheel is built from the project's ``pyproject.toml`` with
``pip wheel --no-deps --no-build-isolation`` (the backend comes from the
virtual environment, so no network), once per change of its sources
(:mod:`fieldguide.build.cache`). ``SOURCE_DATE_EPOCH`` fixes the zip
timestamps, so its hash only moves when the code does.

Registering a pure-Python wheel in Pyodide's lock is a dictionary with a few
keys (what the ``pyodide-lock`` tool would write; that tool needs Python 3.12).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from fieldguide.build.cache import cached, inputs_digest, source_files

#: What the wheel is built from, relative to the project root.
WHEEL_INPUTS = ("pyproject.toml", "README.md")
WHEEL_PACKAGES = ("snippets/servecalc", "snippets/fieldguide")
SOURCE_DATE_EPOCH = "1700000000"


class BuildError(RuntimeError):
    """A build tool (pip, esbuild, node) failed; the message holds its output."""


def run_tool(cmd: list[str], what: str, cwd: Path, env: dict | None = None) -> None:
    """Run ``cmd`` in ``cwd``; raise :class:`BuildError` with its output if it fails."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise BuildError(f"{what} failed ({' '.join(cmd)}):\n{proc.stdout}\n{proc.stderr}")


def wheel_digest(root: Path) -> str:
    """A hash of everything that goes into the wheel (and the Python that builds it)."""
    files = [root / name for name in WHEEL_INPUTS]
    for folder in WHEEL_PACKAGES:
        files += source_files(root / folder)
    return inputs_digest(root, files, sys.version)


def build_wheel(root: Path, out_dir: Path) -> Path:
    """Build the project's wheel into ``out_dir`` with no network; return its path.

    It is built from a clean copy of its inputs, so no stale ``build/lib`` (a
    module deleted since) slips into it and the tree is left as it was.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
    with tempfile.TemporaryDirectory() as tmp:
        src, dist = Path(tmp) / "src", Path(tmp) / "dist"
        for name in WHEEL_INPUTS:
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, src / name)
        for folder in WHEEL_PACKAGES:
            for file in source_files(root / folder):
                target = src / file.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)
        run_tool(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--quiet", "--disable-pip-version-check", "--wheel-dir", str(dist), str(src)],
            "building the servecalc wheel",
            cwd=src,
            env=env,
        )
        (wheel,) = dist.glob("*.whl")
        target = out_dir / wheel.name
        shutil.move(str(wheel), target)
    return target


def cached_wheel(root: Path, cache_dir: Path) -> Path:
    """:func:`build_wheel`, run only when :func:`wheel_digest` changed."""
    return cached(cache_dir, wheel_digest(root), lambda folder: build_wheel(root, folder))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def wheel_lock_entry(wheel: Path, file_name: str) -> dict:
    """A pyodide-lock.json entry for a pure-Python wheel (what pyodide-lock would write).

    ``depends`` lists the wheel's unconditional requirements and those without
    an ``extra`` marker (Pyodide's Python is new enough for the version ones).
    """
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        requires = [
            line.split(":", 1)[1].strip()
            for line in zf.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    depends = sorted(
        _canonical(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0])
        for req in requires
        if "extra ==" not in req
    )
    name, version = wheel.name.split("-")[:2]
    return {
        "name": _canonical(name),
        "version": version,
        "file_name": file_name,
        "install_dir": "site",
        "sha256": sha256(wheel),
        "package_type": "package",
        "imports": sorted(t.removesuffix(".py") for t in tops),
        "depends": depends,
        "unvendored_tests": False,
    }


def make_lock(base_lock: Path, entries: list[dict]) -> tuple[str, str]:
    """A lock listing only our wheels, and its hashed file name.

    The npm Pyodide folder holds no package wheels, so listing the CDN-only
    packages would only invite failed fetches.
    """
    lock = json.loads(base_lock.read_text())
    lock["packages"] = {entry["name"]: entry for entry in entries}
    text = json.dumps(lock, indent=1, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"pyodide-lock-{digest}.json", text
