"""The {{ calc.NAME(...) }} placeholder hook: replaces, and refuses what it cannot compute."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from fieldguide.build.hooks import on_page_markdown

PAGE = SimpleNamespace(file=SimpleNamespace(src_path="chapter.md"))


def render(markdown: str) -> str:
    return on_page_markdown(markdown, PAGE, {}, None)


def test_placeholder_is_replaced_by_the_library_value():
    # Llama-2-7B, fp16: 2 x 32 layers x 32 KV heads x 128 x 2 B = 524,288 B
    # (NVIDIA, "Mastering LLM Techniques: Inference Optimization").
    out = render('Per token: {{ calc.kv_bytes_per_token("llama-2-7b", kv_dtype="fp16") }}.')
    assert out == 'Per token: <span class="calc">524,288 B</span>.'


@pytest.mark.parametrize(
    "placeholder, message",
    [
        ("{{ calc.no_such_function() }}", "unknown placeholder function calc.no_such_function"),
        ('{{ calc.kv_gib("llama-9", context=1) }}', "model 'llama-9' is not in the catalog"),
        ('{{ calc.kv_gib("llama-2-7b", context=-1) }}', "context must be an integer >= 0"),
        ("{{ calc.kv_gib(__import__('os')) }}", "arguments must be literals"),
        ("{{ os.system('true') }}", "placeholders must call calc.<function>"),
        ("{{ calc.kv_gib( }}", "not a Python call"),
    ],
)
def test_bad_placeholder_stops_the_build_and_names_the_page(placeholder, message):
    with pytest.raises(PluginError) as err:
        render(f"text {placeholder} text")
    assert "chapter.md" in str(err.value)
    assert message in str(err.value)


def test_sentences_say_decimals_to_three_figures_and_tables_stay_exact():
    # An H100 reports 85,017,493,504 bytes to CUDA = 79.18 GiB; a sentence says 79.2.
    out = render('{{ calc.gpu_memory_gib("h100-sxm") }}')
    assert out == '<span class="calc">79.2 GiB</span>'
    # A block (a generated table) goes in unchanged, exact values included.
    table = render("{{ calc.gpu_table() }}")
    assert "79.18 GiB" in table


def test_every_placeholder_function_is_used_by_a_page():
    # A calc.NAME that no page writes is dead code with a doctest: use it or remove it.
    import re

    from fieldguide.prose import FUNCTIONS
    from tests.conftest import ROOT

    pages = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*")
                    if p.suffix in {".md", ".py"})
    unused = sorted(n for n in FUNCTIONS if not re.search(rf"calc\.{n}\s*\(", pages))
    assert not unused, f"placeholder functions no page uses: {unused}"
