"""fieldguide.build's HTML passes: formulas to SVG and the CSP."""

from __future__ import annotations

import pytest

from fieldguide.build import csp, formulas
from fieldguide.build.wheels import BuildError
from tests.snippet_sections import ROOT


@pytest.fixture()
def typesetter(tmp_path):
    return formulas.Typesetter(ROOT, tmp_path / "formulas")


def test_formulas_become_svg_with_hidden_mathml(typesetter):
    page = ('<p>At <span class="arithmatex">\\(G \\times p &lt; 3\\)</span> dollars.</p>'
            '<div class="arithmatex">\\[\n\\frac{a}{b}\n\\]</div>')
    out = formulas.typeset(page, typesetter)
    assert "\\(" not in out and "\\[" not in out
    assert out.count("<svg") == 2 and out.count('display="true"') == 1
    # Screen readers get MathML: G, the times sign, p, less-than, 3.
    assert "<mi>G</mi><mo>×</mo><mi>p</mi><mo>&lt;</mo><mn>3</mn>" in out
    assert "<mfrac><mi>a</mi><mi>b</mi></mfrac>" in out


def test_each_formula_is_rendered_once(typesetter, tmp_path, monkeypatch):
    page = '<span class="arithmatex">\\(x^2\\)</span>'
    first = formulas.typeset(page, typesetter)

    def no_node(*args, **kwargs):
        raise AssertionError("Node ran again for a cached formula")

    monkeypatch.setattr(formulas.subprocess, "run", no_node)
    again = formulas.Typesetter(ROOT, tmp_path / "formulas")   # a new build reads the cache
    assert formulas.typeset(page, again) == first


def test_a_tex_error_stops_the_build_and_names_the_formula(typesetter):
    with pytest.raises(BuildError, match=r"Undefined control sequence \\nosuchmacro"):
        formulas.typeset('<span class="arithmatex">\\(\\nosuchmacro x\\)</span>', typesetter)


def test_one_policy_for_the_whole_site_covers_every_pages_inline_code(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<head><meta charset="utf-8"><script>one()</script></head>')
    (tmp_path / "a" / "index.html").write_text(
        '<head><meta charset="utf-8"></head><td style="text-align: right;">1</td>'
        '<script id="__config" type="application/json">{}</script>'
    )
    text = csp.apply_to_site(tmp_path)
    for page in (tmp_path / "index.html", tmp_path / "a" / "index.html"):
        assert f'<meta http-equiv="Content-Security-Policy" content="{text}">' in page.read_text()
    # Hashes as `printf %s 'one()' | openssl dgst -sha256 -binary | base64` gives them.
    assert "script-src 'self' 'wasm-unsafe-eval' 'sha256-HR7iaask9daLMRRskMI++QeJtjWDOjyPA6lGzYGzKW4='" in text
    assert "'sha256-N90MKmRow2DpYEVeqcc3uc8pOUsS4Rg4sNmkau1k0xQ='" in text    # text-align: right;
    assert "unsafe-inline" not in text and text.count("sha256-") == 2


def test_while_serving_scripts_may_be_inline_for_live_reload():
    assert "script-src 'self' 'wasm-unsafe-eval' 'unsafe-inline';" in csp.policy(["'sha256-A'"], serving=True)
