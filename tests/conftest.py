"""Shared fixtures: the built site (mkdocs build --strict), a loopback server, Chromium."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def build_and_serve(host_dir: Path, sub_path: str = ""):
    """Build the site strictly for a free loopback port, serve it, yield its URL.

    The site is built into ``host_dir / sub_path`` and the server serves
    ``host_dir``, so it lives at ``http://127.0.0.1:<port>/<sub_path>``.
    Instant navigation needs site_url to match the served origin exactly, so the
    port is chosen first and passed to the build through SITE_URL.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/{sub_path}"
    site_dir = host_dir / sub_path if sub_path else host_dir
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=dict(os.environ, SITE_URL=base_url, NO_MKDOCS_2_WARNING="1"),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    with serve(host_dir, port):
        yield base_url


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built once (mkdocs build --strict, no network) and served on loopback."""
    if os.environ.get("GUIDE_SITE_URL"):
        # Run the browser tests against a site that is already served (for
        # example by `make serve`): GUIDE_SITE_URL=http://127.0.0.1:8000/
        yield {"dir": None, "url": os.environ["GUIDE_SITE_URL"]}
        return
    host_dir = tmp_path_factory.mktemp("host")
    with build_and_serve(host_dir, SUB_PATH) as base_url:
        yield {"dir": host_dir / SUB_PATH, "url": base_url}


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


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist reads the groups (its worker's hook)
def pytest_collection_modifyitems(items):
    """Every test that uses the built site is marked ``site`` (``make test-fast`` skips them).

    Under pytest-xdist (``make test`` runs ``-n 2 --dist loadgroup``) the tests that
    need the built site or a browser form one group, run by one worker, so the site is
    built and the browser started once. The PDF's tests (tests/test_pdf.py, which build
    and print their own site) are a group of their own: pytest-xdist hands out the
    largest groups first, so the other worker starts the PDF at once, its print build
    beside the site build, then runs the rest (one worker for all of it took 22:51 of
    a 22:51 run at load 8, the other worker idle after 5:47). The browser tests' waits
    scale with the machine's load (tests/browser/helpers.py), so the PDF's browser
    beside them makes them slower, not red.
    """
    for item in items:
        if "site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.site)
        if item.get_closest_marker("xdist_group"):
            continue                                 # a group of its own (the PDF's)
        if item.get_closest_marker("site") or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("site"))


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
