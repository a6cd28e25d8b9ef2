"""Shared fixtures: the built site (mkdocs build --strict), a loopback server, Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The PDF tool serves the site and drives Chromium the same way: one loopback
# server and one set of browser flags for both.
from tools.pdf import CHROMIUM, CHROMIUM_ARGS, free_port, serve

ROOT = Path(__file__).resolve().parent.parent

# Simulated answers (servecalc.memo) are kept on disk for the whole run: the site
# build, the PDF's print build and these tests compute each
# configuration once between them. Named by a digest of servecalc's files, so an
# edit never brings back an old answer; test_slo_capacity computes its own afresh.
os.environ.setdefault("SERVECALC_MEMO_DIR", str(ROOT / "build" / "cache" / "memo"))

#: The browser tests serve the site under this sub-path, as a project site on
#: GitHub Pages is (https://<user>.github.io/<repository>/): nothing may assume
#: that the site is at the root of its origin.
SUB_PATH = "llm-serving-field-guide/"


#: The origin the site is built for once per run. Only canonical links and the sitemap
#: name the origin (instant navigation reads the sitemap), so each pytest-xdist worker
#: serves its own copy with its own loopback origin written in (:func:`served_copy`).
BUILD_ORIGIN = "http://site-origin.invalid/"


def build_site(site_dir: Path) -> None:
    """``mkdocs build --strict`` into ``site_dir``, for :data:`BUILD_ORIGIN` + SUB_PATH."""
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=dict(os.environ, SITE_URL=BUILD_ORIGIN + SUB_PATH, NO_MKDOCS_2_WARNING="1"),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"


def shared_build(root: Path) -> Path:
    """The site, built once for the whole run: the first worker to need it builds it
    (under a lock on ``root``), the others wait and reuse it. Returns its directory."""
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    done = root / "built"
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)       # released when the file closes
        if not done.exists():
            target = root / "site"
            shutil.rmtree(target, ignore_errors=True)
            build_site(target)
            done.touch()
    return root / "site"


def served_copy(built: Path, host_dir: Path, port: int) -> Path:
    """A copy of the built site under ``host_dir / SUB_PATH`` whose pages name the
    origin ``http://127.0.0.1:<port>/`` instead of :data:`BUILD_ORIGIN`."""
    site_dir = host_dir / SUB_PATH
    shutil.copytree(built, site_dir)
    placeholder, origin = BUILD_ORIGIN.encode(), f"http://127.0.0.1:{port}/".encode()
    for path in site_dir.rglob("*"):
        if path.suffix in (".html", ".xml") and placeholder in (data := path.read_bytes()):
            path.write_bytes(data.replace(placeholder, origin))
    return site_dir


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built once per run (mkdocs build --strict, no network) and served on
    loopback by each worker that needs it, at its own port."""
    if os.environ.get("GUIDE_SITE_URL"):
        # Run the browser tests against a site that is already served (for
        # example by `make serve`): GUIDE_SITE_URL=http://127.0.0.1:8000/
        yield {"dir": None, "url": os.environ["GUIDE_SITE_URL"]}
        return
    # the workers' temporary folders share a parent; a run without workers has its own
    base = tmp_path_factory.getbasetemp()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    built = shared_build((base.parent if worker else base) / "shared-site")
    port = free_port()
    host_dir = tmp_path_factory.mktemp("host")
    site_dir = served_copy(built, host_dir, port)
    with serve(host_dir, port):
        yield {"dir": site_dir, "url": f"http://127.0.0.1:{port}/{SUB_PATH}"}


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def context(browser):
    """A fresh browser context (cold cache) that records every request, workers' too."""
    ctx = browser.new_context()
    ctx.requests = []
    ctx.on("request", lambda request: ctx.requests.append(request.url))
    yield ctx
    ctx.close()


#: Browser-test modules in the PDF's group, after the PDF's own tests; every other test
#: that needs the site or a browser is in the group "site" (see below).
BESIDE_PDF = frozenset({"test_hostile_cells", "test_hostile_runs"})


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist reads the groups (its worker's hook)
def pytest_collection_modifyitems(items):
    """Every test that uses the built site is marked ``site`` (``make test-fast`` skips them).

    Under pytest-xdist (``make test`` runs ``-n 2 --dist loadgroup``) the tests that need
    the built site or a browser form two groups, each run whole by one worker; the site
    is built once for both (:func:`shared_build`). pytest-xdist hands out the largest
    groups first: one worker builds the site and runs the group "site"; the other runs
    the PDF's tests (tests/test_pdf.py, which build and print their own site, beside the
    site build) and then the modules in :data:`BESIDE_PDF`; the CPU-only tests
    fill in after. The two groups were sized on a fresh clone (2026-12-08): about 460 s
    and 310 s before the CPU-only tests. A third worker made every test 40-60 % slower
    on two cores (Chromium is most of the CPU) and finished no sooner. The browser
    tests' waits scale with the machine's load (tests/browser/helpers.py), so the two
    browsers beside each other make them slower, not red.
    """
    for item in items:
        if "site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.site)
        if item.get_closest_marker("xdist_group"):
            continue                                 # a group of its own (the PDF's)
        if item.get_closest_marker("site") or item.get_closest_marker("browser"):
            beside = _module_name(item) in BESIDE_PDF
            item.add_marker(pytest.mark.xdist_group("pdf" if beside else "site"))
    # the PDF's own tests first in their group (a stable sort keeps every other order)
    items.sort(key=lambda item: _module_name(item) != "test_pdf")


def _module_name(item: pytest.Item) -> str:
    """``test_pdf`` for ``tests/test_pdf.py::test_x`` (and for doctests of a file, its name)."""
    return Path(item.nodeid.split("::", 1)[0]).stem


def pytest_addoption(parser):
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/<page>.txt from what the pages print now (review the diff)",
    )


#: Test modules that check the simulator's and the step model's mechanics against hand
#: computations written for the roofline preset (no request overhead, prefill-first,
#: 256 sequences, 0.3 ms per step): they run under ``ideal``. Everything else, the
#: pages and their goldens included, runs under the library's default engine.
IDEAL_ENGINE_MODULES = {"test_simulator", "test_simulator_queueing", "test_slo_capacity", "test_step"}


@pytest.fixture(autouse=True, scope="module")
def _ideal_engine_for_mechanics_tests(request):
    if request.module.__name__.rsplit(".", 1)[-1] not in IDEAL_ENGINE_MODULES:
        yield
        return
    import servecalc.engines

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(servecalc.engines, "DEFAULT_ENGINE", "ideal")
        yield
