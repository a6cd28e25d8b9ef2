"""The candidate's path (issue 21): start here, the cheat sheet, the first five
minutes and the rubric under every drill, checked from the sources (no build).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from markdown.extensions.toc import slugify

from fieldguide.build.numbers import PLACEHOLDER, evaluate
from fieldguide.prose import cheat_sheet, design_prompts, first_five
from fieldguide.rubrics import RUBRICS, rubric_markdown

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)\s]+)\)")
NEW_PAGES = ["start-here.md", "cheat-sheet.md", "first-five-minutes.md", "design-prompts.md"]


def _anchors(page: Path) -> set[str]:
    """The heading IDs MkDocs gives a page (Python-Markdown's toc slugify)."""
    text = page.read_text(encoding="utf-8")
    return {slugify(h.strip(), "-") for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def _links(page: str) -> list[str]:
    return [m for m in LINK.findall((DOCS / page).read_text(encoding="utf-8"))
            if not m.startswith(("http://", "https://"))]


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _nav_files(nav) -> list[str]:
    files = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        files += _nav_files(value) if isinstance(value, list) else [value]
    return files


# ----------------------------------------------------------------- start here


@pytest.mark.parametrize("page", NEW_PAGES)
def test_every_link_resolves_to_a_page_and_anchor(page):
    links = _links(page)
    assert links, f"{page} links nowhere"
    for link in links:
        path, _, anchor = link.partition("#")
        target = (DOCS / page).parent / path if path else DOCS / page
        assert target.exists(), f"{page}: {link} points to a missing page"
        if anchor:
            assert anchor in _anchors(target), f"{page}: {link} points to a missing heading"


def test_start_here_has_three_timed_paths_each_ending_with_a_mock_interview():
    text = (DOCS / "start-here.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert [s.splitlines()[0] for s in sections] == ["30 minutes before a phone screen",
                                                      "Two days", "One week"]
    for section in sections:
        rows = [r for r in section.splitlines() if re.match(r"\| *\d+ *\|", r)]
        assert rows, "a path has no ordered steps"
        minutes = [int(r.rstrip(" |").rsplit("|", 1)[1]) for r in rows]
        assert all(m > 0 for m in minutes)
        assert "drills/questions.md#" in section, "a path links no specific drill"
        assert "mock interview" in rows[-1].lower(), "a path does not end with a mock interview"
    phone = [r for r in sections[0].splitlines() if re.match(r"\| *\d+ *\|", r)]
    assert sum(int(r.rstrip(" |").rsplit("|", 1)[1]) for r in phone) == 30


def test_new_pages_are_in_the_nav_early_and_the_home_page_routes_to_start_here():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
    files = _nav_files(config["nav"])
    for page in NEW_PAGES:
        assert page in files, page
    assert files.index("start-here.md") == 1, "Start here comes right after Home"
    first_screen = "\n".join((DOCS / "index.md").read_text(encoding="utf-8").splitlines()[:15])
    assert "(start-here.md)" in first_screen


# ----------------------------------------------------------------- cheat sheet


def test_cheat_sheet_numbers_come_from_placeholders():
    text = (DOCS / "cheat-sheet.md").read_text(encoding="utf-8")
    # No hand-typed table: every table is a placeholder's output.
    assert not [line for line in text.splitlines() if line.startswith("|")]
    names = {m.split("(")[0].strip() for m in PLACEHOLDER.findall(text)}
    assert {"calc.cheat_accelerators", "calc.cheat_kv", "calc.cheat_weights",
            "calc.cheat_rules"} <= names
    for expression in PLACEHOLDER.findall(text):
        assert "|" in evaluate(expression)


def test_cheat_sheet_values_match_independent_derivations():
    # NVIDIA H100 SXM datasheet: 80 GB, 3.35 TB/s, 1,979 TFLOPS bf16 with sparsity.
    h100 = [r for r in cheat_sheet.cheat_accelerators().splitlines() if "H100" in r][0]
    assert "| 80 GB | 3.4 | 990 |" in h100
    # Llama-3.1-70B config: 80 layers, 8 KV heads, head_dim 128 -> 2*80*8*128*2 B = 320 KiB.
    row = [r for r in cheat_sheet.cheat_kv().splitlines() if "Llama-3.1-70B" in r][0]
    assert "| 320 KiB |" in row and "GQA, 8 KV heads" in row
    # DeepSeek-V3 config: 61 layers, kv_lora_rank 512 + rope 64 -> 61*576*2 B = 68.6 KiB.
    row = [r for r in cheat_sheet.cheat_kv().splitlines() if "DeepSeek-V3" in r][0]
    assert "| MLA |" in row and "| 69 KiB |" in row
    # One byte per parameter in fp8; NVFP4: 4 bits plus an 8-bit scale per 16 values.
    weights = cheat_sheet.cheat_weights()
    assert "| FP8 / INT8 | 8 | 1.0 GB |" in weights and "| NVFP4 | 4.5 | 0.56 GB |" in weights


def test_cheat_sheet_gives_every_rule_of_thumb_an_error():
    rows = [r for r in cheat_sheet.cheat_rules().splitlines() if r.startswith("| ")][2:]
    assert len(rows) == len(cheat_sheet.CHEAT_RULES) + 1
    for row in rows:
        assert re.search(r"\| -?\d+ % \|$", row), row


def test_say_rounds_as_a_person_says_it_and_rejects_nonsense():
    assert cheat_sheet.say(141.12e9 / 1e9, 2) == "140"
    assert cheat_sheet.say(0.0771, 2) == "0.077"
    with pytest.raises(ValueError, match="finite"):
        cheat_sheet.say(float("nan"))


# ----------------------------------------------------------------- first five minutes


def test_first_five_minutes_script_is_timed_and_the_transcript_computed():
    text = (DOCS / "first-five-minutes.md").read_text(encoding="utf-8")
    steps = re.findall(r"^\| (\d:\d\d)–(\d:\d\d) \|", text, re.M)
    assert steps[0][0] == "0:00" and steps[-1][1] == "5:00"
    assert all(a[1] == b[0] for a, b in zip(steps, steps[1:])), "the minutes leave a gap"
    used = set(re.findall(r'calc\.five\("(\w+)"\)', text))
    assert used <= set(first_five.QUANTITIES)
    assert {"weights", "rate_4", "replicas_4", "gpus_2_fp8"} <= used
    with pytest.raises(ValueError, match="quantity must be one of"):
        first_five.five("replicas")


def test_first_five_minutes_baseline_matches_the_arithmetic():
    # 70.6B parameters x 2 bytes ~ 141 GB, said as 140 GB; fp8 halves it (embeddings aside).
    assert first_five.five("weights") == "140 GB"
    assert first_five.five("weights_fp8") == "73 GB"


# ----------------------------------------------------------------- rubrics


def _drill_sections() -> dict[int, str]:
    text = (DOCS / "drills" / "questions.md").read_text(encoding="utf-8")
    parts = re.split(r"^### (\d+)\. ", text, flags=re.M)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_drill_has_a_rubric_with_all_four_parts():
    sections = _drill_sections()
    # numbered 1, 2, ... : 54-61 are issue 20's (EP, speculation, prefix caching, pools)
    assert set(range(1, 62)) <= set(sections)
    assert sorted(RUBRICS) == sorted(sections)
    for number, body in sections.items():
        assert f"{{{{ calc.rubric({number}) }}}}" in body, f"drill {number} shows no rubric"
        r = RUBRICS[number]
        assert len(r.points) >= 2 and r.red_flags and 2 <= len(r.probes) <= 3, number
        assert r.senior and r.staff, number
        block = rubric_markdown(number)
        for part in ("A strong answer", "Red flags", "Follow-up probes", "Senior against staff"):
            assert f"**{part}" in block, f"drill {number}: no {part}"


def test_rubric_rejects_an_unknown_drill():
    for bad in (0, max(RUBRICS) + 1, "7", True):
        with pytest.raises(ValueError, match="number must be a drill number"):
            rubric_markdown(bad)


# ----------------------------------------------------------------- design prompts


def test_four_design_prompts_each_with_a_computed_answer_and_a_full_rubric():
    text = (DOCS / "design-prompts.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert len(sections) == 4
    for section, prompt in zip(sections, ["pools", "moe-rack", "reasoning", "lora"]):
        assert '??? success "Model answer"' in section and '??? abstract "Rubric"' in section
        for part in ("A strong answer", "Red flags", "Follow-up probes", "Senior against staff"):
            assert f"**{part}" in section
        used = re.findall(r'calc\.design\("([\w-]+)", "(\w+)"\)', section)
        assert len(used) >= 5 and {p for p, _ in used} == {prompt}
        for expression in PLACEHOLDER.findall(section):
            assert evaluate(expression)


def test_design_prompt_arithmetic_is_consistent():
    # Little's law: sequences decoding = rate x output tokens x step; replicas hold a batch each.
    p = design_prompts.PROMPTS["pools"]
    in_flight = p["rate"] * p["output"] * design_prompts._decode_step()
    assert design_prompts._decode_replicas() == -(-in_flight // design_prompts._decode_batch())
    # The prefill pool meets the TTFT target and one instance fewer does not.
    n = design_prompts._prefill_instances()
    assert design_prompts._prefill_p99(n) <= p["ttft_s"] < design_prompts._prefill_p99(n - 1)
    with pytest.raises(ValueError, match="prompt must be one of"):
        design_prompts.design("chat", "weights")


# ----------------------------------------------------------------- chapters open and close


CHAPTERS = ["topology.md", "latency.md", "batching.md", "kv-cache.md", "quantization.md",
            "cost.md", "day-of-checklist.md"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_opens_with_what_you_can_say_and_closes_with_three_sentences(chapter):
    text = (DOCS / chapter).read_text(encoding="utf-8")
    first_section = text.index("\n## ")
    assert '!!! abstract "After this chapter you can"' in text[:first_section]
    closing = re.split(r"^## ", text, flags=re.M)
    titles = [c.splitlines()[0] for c in closing[1:]]
    assert titles[-2:] == ["Three sentences for the interview", "Sources"]
    sentences = re.findall(r"^\d\. \"", closing[-2], re.M)
    assert len(sentences) == 3


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_prose_sends_no_reader_into_source_code(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    prose = "\n".join(line for line in text.splitlines()
                      if not line.lstrip().startswith(("--8<--", "[^", "- ", "|")))
    assert not re.search(r"docstring|`servecalc\.\w+\.\w+`|tests/test_\w+\.py", prose), page
