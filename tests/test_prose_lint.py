"""Prose lint: no hand-typed number with a unit in the guide's prose.

Every computed number in a sentence or table must come from a
``{{ calc.NAME(...) }}`` placeholder (evaluated at build time), or sit in a
code cell's output. This test scans the Markdown of every page, and the
Markdown cells of the case-study notebooks, for a number followed by a unit
(or a dollar sign followed by a number) and fails on each one it finds outside:

* fenced code blocks (``` and ~~~, indented or not: pycell fences included),
* inline code,
* ``{{ ... }}`` placeholders,
* footnote definitions (``[^id]: ...`` and their indented continuation lines)
  and footnote references (``[^id]``): citations quote their sources,
* HTML comments, link targets and HTML tags,
* the short, reviewed ALLOWLIST below, each entry with its reason.

Units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, ms, us/µs, s, tok/s, tokens/s,
TFLOP/s, TFLOPS, PFLOP/s, PFLOPS, GB/s, TB/s, %, and $ before a number. Bytes
("B") count only when a space separates them from the number ("14 B"): written
solid ("7B", "Llama-2-70B") the B means billions of parameters, a model's name
or size class, which is not a computed value.

Numbers in words count too. The linter also flags:

* a spelled-out number with a unit word ("a hundred and forty gigabytes",
  "five milliseconds", "room for three sequences", "two and a half seconds"),
  and a numeral with a byte or sub-second unit word ("50 milliseconds");
* an approximate multiplier ("roughly doubles", "more than triples", "nearly
  halves", "about 3 times");
* a multiplier with a number ("four times the", "2.6 times", "ten-fold").

Bare "one", "a" and "an" are not numbers here ("one token", "a second"), and
"per million tokens" is a pricing unit, not a result.

A second test checks that every source cited in a footnote anywhere in the
guide is listed in the bibliography.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BIBLIOGRAPHY = DOCS / "reference" / "bibliography.md"

#: (regular expression searched in the stripped line around a hit, reason).
#: Keep it short: each entry is a number the linter cannot tell apart from a result.
ALLOWLIST: list[tuple[str, str]] = [
    (r"\b1 GiB = 2\s*30\s+bytes",
     "definition of the binary unit (2^30 bytes), not a computed value"),
    (r"\b1 GB = 10\s*9\s+bytes",
     "definition of the decimal unit (10^9 bytes), not a computed value"),
    (r"a bf16 weight is two bytes|Two bytes per parameter in bf16",
     "bf16 is a 16-bit format: two bytes per value by definition"),
    (r"reported two to four times the throughput",
     "the vLLM paper's own result, quoted and cited in the same sentence"),
    (r"reports up to 2\.6 times the serving",
     "the Sarathi-Serve paper's own result, quoted and cited in the same sentence"),
    (r"(?:Anyscale measured up to |^\s*)23 times the|Orca reported 36\.9 times the",
     "published benchmark results (Orca, Anyscale), quoted and cited in the same sentence"),
    (r"[Tt]he first five minutes",
     "the name of a page (the first minutes of an interview), not a computed value"),
    (r"aloud in four minutes|timed at five minutes",
     "a study plan's time box, chosen by the reader, not a computed value"),
    (r"up to twice(?: the maximum number of sequences|\s+, at most 512)",
     "vLLM's rule for its largest captured CUDA graph, quoted and cited"),
]

_SPACE = r"[ \t\u00a0\u202f]"
_NUMBER = r"(?<![\w.,/])\d(?:[\d,]*\d)?(?:\.\d+)?"
_UNITS = (
    r"tok/s|tokens/s|TFLOP/s|TFLOPS|PFLOP/s|PFLOPS|GFLOP/s|GB/s|TB/s|"
    r"KiB|MiB|GiB|TiB|KB|MB|GB|TB|ms|µs|us|s"
)
UNIT_AFTER_NUMBER = re.compile(
    rf"{_NUMBER}(?:{_SPACE}?(?:{_UNITS})(?![\w/])|{_SPACE}?%|{_SPACE}+B(?![\w/]))"
)
DOLLAR_NUMBER = re.compile(rf"\${_SPACE}?\d")

_WORD_NUMBER = (
    r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|dozen)"
)
#: "three", "a hundred and forty", "two and a half", "one hundred", "twenty-five".
SPELLED_NUMBER = (
    rf"(?:\b(?:a|an|one)[ -](?=(?:hundred|thousand|dozen)\b)|\b)"
    rf"{_WORD_NUMBER}(?:(?:[ -]|[ -]and[ -])(?:a[ -]half|{_WORD_NUMBER}))*\b"
)
_MEASURE_WORDS = (
    r"(?:bytes?|kilobytes?|megabytes?|gigabytes?|terabytes?|kibibytes?|mebibytes?|gibibytes?|"
    r"milliseconds?|microseconds?|nanoseconds?)"
)
_UNIT_WORDS = (
    rf"(?:{_MEASURE_WORDS}|seconds?|minutes?|hours?|percent|per[ -]?cent|dollars?|cents?|"
    r"sequences|tokens (?:a|per) second)"
)
SPELLED_WITH_UNIT = re.compile(
    rf"(?i:{SPELLED_NUMBER}(?:[ -]to[ -]{SPELLED_NUMBER})?)[ -](?:\w+[ -])?(?i:{_UNIT_WORDS})\b"
    rf"|{_NUMBER}[ -](?i:{_MEASURE_WORDS})\b"
)
_MULTIPLIER = (
    r"(?:doubles?|doubling|doubled|triples?|tripling|tripled|quadruples?|quadrupled|halves|"
    r"halving|halved|twice|thrice|an order of magnitude|(?:\w+[ -])?(?:times|fold)\b)"
)
APPROX_MULTIPLIER = re.compile(
    rf"(?i)\b(?:roughly|about|nearly|almost|more than|less than|approximately|around|"
    rf"close to|over|under|at least|at most|up to)[ -]{_MULTIPLIER}"
)
NUMBER_TIMES = re.compile(
    rf"(?:(?i:{SPELLED_NUMBER})|{_NUMBER})(?:[ -]to[ -](?:(?i:{SPELLED_NUMBER})|{_NUMBER}))?"
    rf"(?:[ -](?i:times)\b|-?(?i:fold)\b)"
)
PATTERNS = (UNIT_AFTER_NUMBER, DOLLAR_NUMBER, SPELLED_WITH_UNIT, APPROX_MULTIPLIER, NUMBER_TIMES)

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})")
_FOOTNOTE_DEF = re.compile(r"^\s{0,3}\[\^[^\]]+\]:")
_STRIP_PATTERNS = [
    re.compile(r"\{\{.*?\}\}", re.S),           # placeholders
    re.compile(r"<!--.*?-->", re.S),            # HTML comments
    re.compile(r"(`+)(?:(?!\1).)+?\1", re.S),   # inline code
    re.compile(r"\[\^[^\]]+\]"),                # footnote references
    re.compile(r"\]\([^)]*\)"),                 # link targets
    re.compile(r"<[^>\n]+>"),                   # HTML tags
]


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    match: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.match!r} in: {self.text.strip()}"


def prose_lines(markdown: str) -> list[tuple[int, str]]:
    """The prose of a Markdown text, line by line, with what is not prose blanked.

    Line numbers are kept (1-based), so a violation points at the source line.
    """
    lines = markdown.split("\n")
    keep = [True] * len(lines)
    fence: tuple[str, int] | None = None
    in_footnote = False
    for i, line in enumerate(lines):
        if fence:
            keep[i] = False
            m = _FENCE.match(line)
            if m and m.group("fence")[0] == fence[0] and len(m.group("fence")) >= fence[1] \
                    and not line[m.end():].strip():
                fence = None
            continue
        m = _FENCE.match(line)
        if m:
            fence = (m.group("fence")[0], len(m.group("fence")))
            keep[i] = False
            continue
        if _FOOTNOTE_DEF.match(line):
            in_footnote = True
            keep[i] = False
            continue
        if in_footnote:
            if line.strip() == "" or line.startswith(("    ", "\t")):
                keep[i] = False
                continue
            in_footnote = False
    # Strip inline constructs over the kept text, preserving line breaks so that
    # multi-line placeholders and code spans keep the line numbers right.
    text = "\n".join(line if k else "" for line, k in zip(lines, keep))
    for pattern in _STRIP_PATTERNS:
        text = pattern.sub(lambda m: " " + "\n" * m.group(0).count("\n"), text)
    return list(enumerate(text.split("\n"), start=1))


def allowed(text: str, start: int, end: int) -> bool:
    for pattern, _reason in ALLOWLIST:
        for m in re.finditer(pattern, text):
            if m.start() <= start and end <= m.end():
                return True
    return False


def lint_markdown(markdown: str, path: str = "<text>") -> list[Violation]:
    """Every hand-typed number with a unit in ``markdown``'s prose."""
    found = []
    for number, text in prose_lines(markdown):
        for pattern in PATTERNS:
            for m in pattern.finditer(text):
                if not allowed(text, m.start(), m.end()):
                    found.append(Violation(path, number, m.group(0), text))
    return sorted(found, key=lambda v: (v.line, v.match))


def notebook_markdown(source: str) -> str:
    """The Markdown cells of a jupytext percent-format script, other lines blanked."""
    out = []
    in_markdown = False
    for line in source.split("\n"):
        if line.startswith("# %%"):
            in_markdown = "[markdown]" in line or "[md]" in line
            out.append("")
            continue
        if in_markdown and (line.startswith("# ") or line == "#"):
            out.append(line[2:])
        else:
            out.append("")
    return "\n".join(out)


def doc_files() -> list[Path]:
    pages = sorted(DOCS.rglob("*.md"))
    notebooks = sorted((DOCS / "case-studies").glob("*.py"))
    return pages + notebooks


def lint_file(path: Path) -> list[Violation]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        text = notebook_markdown(text)
    return lint_markdown(text, str(path.relative_to(ROOT)))


# --------------------------------------------------------------------------- the linter itself

SAMPLE = """\
# A page

A 70B model in bf16 takes 140 GB, and Llama-2-7B is small.
TPOT was 12.5 ms at batch 8; 1,200 tok/s overall; it cost $3.78 per hour.
Utilization of 60% (or 60 %) and 989.4 TFLOP/s with 3.35 TB/s; 14 B per token.
Responses in 2 s for 8 sequences of 32K tokens on 4 GPUs.
A computed {{ calc.kv_gib("llama-2-7b", context=4096) }} and `fmt_bytes(2, "GB")` are fine.
1 GiB = 2<sup>30</sup> bytes.
Cited[^src] numbers are fine.

```pycell
print("140 GB")
```

!!! note
    Indented prose with 80 GB counts too.

    ```python
    x = "3 ms"
    ```

[^src]: Someone, "A paper that measured 22 ms", 2023.
    continued: 16.8 ms.
"""


def test_linter_finds_hand_typed_numbers_with_units():
    found = [(v.line, v.match) for v in lint_markdown(SAMPLE)]
    assert found == [
        (3, "140 GB"),
        (4, "$3"),
        (4, "1,200 tok/s"),
        (4, "12.5 ms"),
        (5, "14 B"),
        (5, "3.35 TB/s"),
        (5, "60 %"),
        (5, "60%"),
        (5, "989.4 TFLOP/s"),
        (6, "2 s"),
        (16, "80 GB"),
    ]


def test_linter_ignores_names_counts_code_placeholders_and_citations():
    clean = (
        "Llama-3.1-70B and Mixtral-8x7B on an H100 with 8 GPUs, 32K tokens, 4 sequences.\n"
        "{{ calc.cost(\n  '70 GB') }} and `12 ms` and [link](https://x.org/8-GB).\n"
        "[^a]: 3 ms.\n"
    )
    assert lint_markdown(clean) == []


WORDS_SAMPLE = """\
The weights take about a hundred and forty gigabytes, so two GPUs at least.
A step of five milliseconds, or 50 milliseconds, or two and a half seconds.
A model that fits with room for three sequences; a hundred tokens a second.
Double the prompt, roughly double the TTFT; the rate more than triples.
The paper reports four times the throughput, and 2.6 times the goodput.
One token per sequence, a second GPU, $-free: per million tokens, two GPUs.
"""


def test_linter_finds_numbers_in_words_and_approximate_multipliers():
    found = [(v.line, v.match) for v in lint_markdown(WORDS_SAMPLE)]
    assert found == [
        (1, "a hundred and forty gigabytes"),
        (2, "50 milliseconds"),
        (2, "five milliseconds"),
        (2, "two and a half seconds"),
        (3, "a hundred tokens a second"),
        (3, "three sequences"),
        (4, "more than triples"),
        (4, "roughly double"),
        (5, "2.6 times"),
        (5, "four times"),
    ]


def test_notebook_markdown_cells_are_linted():
    source = (
        '# %% [markdown]\n# Costs 3 ms here.\n\n# %%\nprint("5 ms")\n'
        '# %% [markdown]\n# And $2 there.\n'
    )
    found = lint_markdown(notebook_markdown(source))
    assert [(v.line, v.match) for v in found] == [(2, "3 ms"), (7, "$2")]


def test_allowlist_entries_have_reasons():
    for pattern, reason in ALLOWLIST:
        re.compile(pattern)
        assert len(reason) > 20, pattern


# --------------------------------------------------------------------------- the docs

@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(DOCS)))
def test_page_has_no_hand_typed_numbers_with_units(path):
    violations = lint_file(path)
    assert not violations, (
        "numbers with units must come from {{ calc.* }} placeholders or cell output:\n"
        + "\n".join(str(v) for v in violations)
    )


_FOOTNOTE = re.compile(r"^\[\^[^\]]+\]:\s*(?P<text>.+)$", re.M)
_ARXIV = re.compile(r"arXiv:\s?(\d{4}\.\d{4,5})", re.I)
_QUOTED = re.compile(r"[\"“](.+?)[\"”]")
_URL = re.compile(r"https?://[^\s)]+")


def citation_key(footnote: str) -> str | None:
    """What identifies a cited source: its arXiv ID, else its quoted title.

    >>> citation_key('A. B., "Some Title", arXiv:2309.06180 (2023).')
    '2309.06180'
    >>> citation_key('NVIDIA Technical Blog, "Mastering LLM Techniques" (2023).')
    'Mastering LLM Techniques'
    >>> citation_key('NVIDIA/nccl-tests, issue #123, https://github.com/NVIDIA/nccl-tests/issues/123 (2022).')
    'https://github.com/NVIDIA/nccl-tests/issues/123'
    """
    m = _ARXIV.search(footnote)
    if m:
        return m.group(1)
    m = _QUOTED.search(footnote)
    if m:
        return m.group(1).rstrip(".,")
    m = _URL.search(footnote)
    return m.group(0).rstrip(".,:;") if m else None


def test_every_cited_source_is_in_the_bibliography():
    bibliography = BIBLIOGRAPHY.read_text(encoding="utf-8")
    normalized = " ".join(bibliography.replace("“", '"').replace("”", '"').split()).lower()
    missing = []
    for path in sorted(DOCS.rglob("*.md")):
        if path == BIBLIOGRAPHY:
            continue
        for m in _FOOTNOTE.finditer(path.read_text(encoding="utf-8")):
            key = citation_key(m.group("text"))
            if key and " ".join(key.split()).lower() not in normalized:
                missing.append(f"{path.relative_to(DOCS)}: {m.group('text')}")
    assert not missing, "cited but not in reference/bibliography.md:\n" + "\n".join(missing)
