"""axe-core (pinned in package.json) on every page the navigation links to, light and dark.

It runs the WCAG 2.0 and 2.1 A and AA rules. A rule that cannot pass in
Material for MkDocs' own markup is switched off below with the reason; every
other finding is a bug of the guide to fix, not to list here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.rendering import nav_pages
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

#: axe-core from npm (`npm ci`); AXE_CORE_JS names another copy of the same file.
AXE = Path(os.environ.get("AXE_CORE_JS", ROOT / "node_modules" / "axe-core" / "axe.min.js"))
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Rules switched off, each with why it cannot pass in markup we do not write.
DISABLED: dict[str, str] = {}

RUN_AXE = """async ([tags, disabled]) => {
  const rules = Object.fromEntries(disabled.map((id) => [id, { enabled: false }]));
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, rules,
                                            resultTypes: ["violations"] });
  return result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}; ${v.nodes.length} element(s), e.g. `
    + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


@pytest.fixture(scope="module")
def violations(site, browser) -> dict[str, list[str]]:
    """'<scheme> <page URL>' -> axe's violations there."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` (package.json pins axe-core)"
    found = {}
    for scheme in ("light", "dark"):
        # The pages' Content-Security-Policy would refuse the injected axe script.
        context = browser.new_context(color_scheme=scheme, bypass_csp=True,
                                      viewport={"width": 1440, "height": 900})
        context.route("**/assets/pyodide/**", lambda route: route.abort())
        page = context.new_page()
        for url in nav_pages(page, site["url"]):
            page.goto(url, wait_until="load")
            page.add_script_tag(path=str(AXE))
            found[f"{scheme} {url}"] = page.evaluate(RUN_AXE, [TAGS, list(DISABLED)])
        context.close()
    return found


def test_axe_runs_on_every_page(violations):
    assert len(violations) >= 40


def test_no_page_has_a_wcag_a_or_aa_violation(violations):
    assert {page: found for page, found in violations.items() if found} == {}
