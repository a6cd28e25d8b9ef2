"""The offline PDF (`make pdf`, tools/pdf.py): built once per session, read with pypdf.

The chapter list comes from mkdocs.pdf.yml's nav (mkdocs.yml's pages in the book's order), so a new chapter is checked as
soon as it is in the nav; CHAPTER_NUMBERS must then name one number the test
expects to find in that chapter's pages (it fails and says so until it does).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import scaled_ms
from tests.conftest import ROOT
from tools import pdf as pdftool
from servecalc.deployment import Deployment

# A group of its own (tests/conftest.py): the worker that does not run the site's tests
# prints the PDF first, while the other builds the site.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("pdf")]


@dataclass(frozen=True)
class NoNumber:
    """A chapter with no computed number in it (say why)."""

    reason: str


def _limit_requests() -> str:
    from servecalc.validate import REQUESTS

    return f"{REQUESTS.high:,}"  # the limits table's row for request counts


def _practice_first_question() -> str:
    # practice.md's printed set opens with the weights question for seed 1.
    from servecalc.params import param_count
    from servecalc.practice import question, sig

    return f"{sig(param_count(question('weights', 1).inputs['model']) / 1e9)} B parameters"


def _drill_weights() -> str:
    # drill 1's exact figure, as the numbers hook says it in a sentence (three figures)
    from fieldguide.build.numbers import spoken
    from fieldguide.prose.drills import boe_exact

    return spoken(boe_exact("weights-70b"))


def _cheat_sheet_kv() -> str:
    # the cheat sheet's KV table: Llama-3.1-70B's KV per token, as a person says it
    from servecalc.kv import kv_bytes_per_token

    return f"{kv_bytes_per_token('llama-3.1-70b') // 1024} KiB"


# One number per chapter, computed here the way the chapter computes it: a
# placeholder call as pages write it (evaluated by hooks/numbers.py) or a
# function returning the text a cell prints.
def _notebook_weights_fp8() -> str:
    # size-a-chat-service.py prints "fp8 weights: <this>".
    from servecalc.params import weight_bytes
    from servecalc.units import fmt_bytes

    return fmt_bytes(weight_bytes("llama-3.1-70b", "fp8"), "GB")


def _notebook_fp8_x4_capacity() -> str:
    # self-host-or-api.py: requests/s of the fp8 x4 replica under the SLO (simulated).
    from servecalc.slo import make_slo
    from servecalc.slo_capacity import max_rate_under_slo
    from servecalc.units import fmt_number

    slo = make_slo("assistant", ttft_s=2.0, tpot_s=0.05)
    cap = max_rate_under_slo(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4,
                                        weight_dtype="fp8"), slo=slo, prompt=2500, output=400)
    return fmt_number(cap.max_rate_requests_per_s)


def _calculator_weights() -> str:
    # calculators.md, "KV cache and fit" at its defaults: the weights row.
    from servecalc.params import weight_bytes
    from servecalc.units import fmt_bytes

    return fmt_bytes(weight_bytes("llama-3.1-70b"), "GiB")


def _limit_requests() -> str:
    from servecalc.validate import REQUESTS

    return f"{REQUESTS.high:,}"  # the limits table's row for request counts


# One number per chapter, computed here the way the chapter computes it: a
# placeholder call as pages write it (evaluated by hooks/numbers.py) or a
# function returning the text a cell prints.
CHAPTER_NUMBERS: dict[str, object] = {
    "index.md": 'calc.kv_kib_per_token("llama-3.1-70b")',  # printed by the home page's cell
    "topology.md": 'calc.weights_gb("llama-3.1-70b")',
    "latency.md": 'calc.ttft("llama-3.1-8b", "h100-sxm", prompt=1000, output=200)',
    "batching.md": 'calc.ridge_point("h100-sxm")',
    "kv-cache.md": 'calc.kv_gib("llama-2-7b", context=4096, kv_dtype="fp16")',
    "quantization.md": 'calc.weights_gb("llama-3.1-70b", "int4")',
    "cost.md": 'calc.cost_per_m("llama-3.1-8b", "h100-sxm", "output")',
    "day-of-checklist.md": 'calc.dayof_capacity("llama-3.1-70b", "h100-sxm", 1024, 256, '
                           '"mlperf-llama2-70b-interactive", "requests_per_s", gpus=4)',
    "drills/index.md": 'calc.boe_gap("weights-70b-int4")',
    "drills/questions.md": _drill_weights,
    "practice.md": _practice_first_question,
    "start-here.md": NoNumber("study paths: sections, drills and minutes"),
    "cheat-sheet.md": _cheat_sheet_kv,
    "first-five-minutes.md": 'calc.five("weights")',
    "design-prompts.md": 'calc.design("pools", "prefill_s")',
    "case-studies/size-a-chat-service.md": _notebook_weights_fp8,
    "case-studies/self-host-or-api.md": _notebook_fp8_x4_capacity,
    "calculators.md": _calculator_weights,
    "simulator.md": 'calc.sim_kv_blocks("llama-3.1-8b", "h100-sxm")',
    "reference/models.md": 'calc.kv_kib_per_token("qwen2.5-7b")',
    "reference/gpus.md": 'calc.gpu_memory_gib("h100-sxm")',
    "reference/limits.md": _limit_requests,
    "reference/glossary.md": NoNumber("definitions only"),
    "reference/bibliography.md": NoNumber("citations only"),
    "accuracy.md": 'calc.accuracy_max_error("exact")',
    "performance.md": NoNumber("measured timings from make bench, not computed numbers"),
}

FOOTER = re.compile(r"^page (\d+) / (\d+)$")


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class NavEntry:
    number: str          # print-site's heading number, e.g. "9.2"
    title: str           # nav title ("" for a page without one)
    file: str | None     # None for a nav section


@dataclass(frozen=True)
class Chapter:
    entry: NavEntry
    title: str           # its <h1> in the PDF
    page: int            # 0-based page its bookmark points at
    toc: str             # its line in the Contents


def nav_entries() -> list[NavEntry]:
    """The book's nav (mkdocs.pdf.yml's, which orders mkdocs.yml's pages for print),
    flattened in order, numbered as mkdocs-print-site numbers it."""
    nav = pdf_nav()
    entries: list[NavEntry] = []

    def walk(items, prefix: str) -> None:
        for index, item in enumerate(items, start=1):
            number = f"{prefix}{index}"
            if isinstance(item, str):
                entries.append(NavEntry(number, "", item))
                continue
            ((title, value),) = item.items()
            if isinstance(value, list):
                entries.append(NavEntry(number, title, None))
                walk(value, number + ".")
            else:
                entries.append(NavEntry(number, title, value))

    walk(nav, "")
    return entries


def pdf_nav() -> list:
    from mkdocs.utils.yaml import yaml_load

    with open(ROOT / "mkdocs.pdf.yml", "rb") as fd:
        own = yaml_load(fd).get("nav")
    if own:
        return own
    with open(ROOT / "mkdocs.yml", "rb") as fd:
        return yaml_load(fd)["nav"]


def squash(text: str) -> str:
    """Text without any whitespace (line wrapping in the PDF cannot matter)."""
    return re.sub(r"\s+", "", text)


def normalise_number(text: str) -> str:
    """Same spaces and no digit-group separators, so '524,288 B' matches '524 288 B'."""
    text = re.sub(r"[\u00a0\u202f\u2009\u2007]", " ", text)
    text = re.sub(r"(?<=\d)[, ](?=\d{3}(?!\d))", "", text)
    return re.sub(r"\s+", " ", text)


def expected_number(spec) -> str:
    """What the chapter prints for ``spec`` (a placeholder call or a function)."""
    if callable(spec):
        return spec()
    from fieldguide.build.numbers import evaluate

    return evaluate(spec.removeprefix("{{").removesuffix("}}").strip())


def placeholder_hint(file: str) -> str:
    path = ROOT / "docs" / file
    found = re.search(r"\{\{\s*(calc\.[^}]+?)\s*\}\}", path.read_text()) if path.exists() else None
    return f" (it uses, e.g., {found.group(1)})" if found else ""


def font_chars(font) -> set[str]:
    """The characters a (subset) font draws, from its ToUnicode map."""
    to_unicode = font.get("/ToUnicode")
    if to_unicode is None:
        return set()
    data = to_unicode.get_object().get_data().decode("latin-1")
    chars: set[str] = set()
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for _, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            chars.update(bytes.fromhex(dst).decode("utf-16-be"))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int.from_bytes(bytes.fromhex(dst), "big")
            chars.update(chr(start + i) for i in range(int(hi, 16) - int(lo, 16) + 1))
    return chars


def self_hosted_ranges() -> list[tuple[int, int]]:
    """Unicode ranges the site's font files cover (web/fonts.css -> @fontsource CSS)."""
    files = re.findall(r'url\("\.\./fonts/([^"]+\.woff2)"\)', (ROOT / "web" / "fonts.css").read_text())
    assert files, "web/fonts.css names no font files"
    ranges: list[tuple[int, int]] = []
    for name in set(files):
        for css in (ROOT / "node_modules" / "@fontsource").glob("*/*.css"):
            match = re.search(
                r"@font-face\s*\{[^}]*" + re.escape(name) + r"[^}]*unicode-range:\s*([^;]+);", css.read_text()
            )
            if match:
                for part in match.group(1).split(","):
                    lo, _, hi = part.strip().removeprefix("U+").partition("-")
                    ranges.append((int(lo, 16), int(hi or lo, 16)))
                break
        else:
            pytest.fail(f"no @fontsource CSS declares {name}")
    return ranges


# --------------------------------------------------------------------------- the PDF


@pytest.fixture(scope="session")
def guide(tmp_path_factory):
    """Run tools/pdf.py once (as `make pdf` does) and read the result."""
    from bs4 import BeautifulSoup
    from pypdf import PdfReader

    out = tmp_path_factory.mktemp("pdf")
    pdf_path = out / "guide.pdf"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "pdf.py"), "--output", str(pdf_path),
         "--site-dir", str(out / "pdf-site")],
        cwd=ROOT, capture_output=True, text=True, timeout=scaled_ms(600_000) / 1000,
    )
    assert proc.returncode == 0, f"tools/pdf.py failed:\n{proc.stdout}\n{proc.stderr}"
    reader = PdfReader(pdf_path)
    texts = [page.extract_text() for page in reader.pages]
    soup = BeautifulSoup((out / "pdf-site" / pdftool.PRINT_PAGE).read_text(encoding="utf-8"), "html.parser")
    # Page text without the running header (a chapter title, drawn first) and
    # footer, so that a line wrapped across two pages reads as one.
    titles = {squash(h1.get_text().replace("\u00b6", "")) for h1 in soup.find_all("h1")}
    bodies = []
    for text in texts:
        lines = [line for line in text.splitlines() if not FOOTER.match(line.strip())]
        if lines and squash(lines[0]) in titles:
            lines = lines[1:]
        bodies.append("\n".join(lines))
    return {
        "path": pdf_path,
        "log": proc.stdout,
        "reader": reader,
        "texts": texts,
        "bodies": bodies,
        "record": json.loads(pdftool.record_path(pdf_path).read_text()),
        "html": soup,
    }


@pytest.fixture(scope="session")
def chapters(guide):
    """Nav entries with the title the PDF shows and the page each one starts on."""
    reader = guide["reader"]
    outline = [
        (squash(item.title), reader.get_destination_page_number(item))
        for item in reader.outline
        if not isinstance(item, list)
    ]
    found = []
    position = 0
    for entry in nav_entries():
        section = guide["html"].find(
            "section", class_="print-page", attrs={"heading-number": entry.number}
        )
        assert section is not None, f"{entry.file or entry.title} is missing from the print page"
        heading = section.find("h1")
        assert heading is not None, f"{entry.file or entry.title} has no title in the print page"
        link = guide["html"].select_one(f'.md-sidebar--secondary a[href="#{section["id"]}"]')
        assert link is not None, f"{entry.file or entry.title} is not in the print page's contents"
        title = squash(heading.get_text().replace("\u00b6", ""))
        for index in range(position, len(outline)):
            if outline[index][0] == title:
                found.append(Chapter(entry, heading.get_text().strip(), outline[index][1],
                                     " ".join(link.get_text().split())))
                position = index + 1
                break
        else:
            pytest.fail(f"no PDF bookmark for {entry.file or 'section'} {heading.get_text()!r} "
                        f"(in nav order); bookmarks: {[title for title, _ in outline]}")
    return found


@pytest.fixture(scope="session")
def contents(guide, chapters):
    """Indexes of the Contents pages (between the cover and the first chapter)."""
    first = min(chapter.page for chapter in chapters)
    pages = [i for i in range(first) if "Contents" in guide["texts"][i].splitlines()[:3]]
    assert pages, "no Contents page"
    return list(range(pages[0], first))


# --------------------------------------------------------------------------- tests


def test_pdf_is_written_with_a_build_record(guide):
    assert guide["path"].read_bytes()[:5] == b"%PDF-"
    record = guide["record"]
    assert record["pages"] == len(guide["reader"].pages) > 10
    assert guide["reader"].metadata.title == "LLM Serving Field Guide"
    assert "[pdf] wrote" in guide["log"]


def test_cover_shows_title_version_and_build_date(guide):
    cover = guide["texts"][0]
    record = guide["record"]
    assert "LLM Serving Field Guide" in cover
    assert record["version"] == pdftool.git_version()
    assert record["version"] in cover
    built = dt.date.fromisoformat(record["date"])
    assert abs((dt.date.today() - built).days) <= 1
    assert record["date"] in cover
    assert not FOOTER.search(cover.strip().splitlines()[-1]), "the cover has no page number"


def test_cover_says_the_subtitle_once_and_chapter_1_is_not_the_books_title(chapters, guide):
    cover = " ".join(guide["texts"][0].split())
    assert cover.count("Latency, batching and cost per token") == 1, cover
    first = chapters[0]
    assert first.entry.file == "index.md"
    assert first.title.replace("\u00b6", "").strip() == pdftool.FIRST_CHAPTER == "About this guide"
    assert "LLMServingFieldGuide" not in squash(guide["texts"][first.page])


def test_the_page_count_is_a_book(guide):
    # 192 pages before the print fixes; a broken layout doubles it or drops chapters.
    assert 100 <= len(guide["texts"]) <= 400, len(guide["texts"])


def test_no_screen_only_wording_in_print(guide):
    text = " ".join("\n".join(guide["texts"]).split()).lower()
    for phrase in ["press run", "in your browser", "live cells"]:
        assert phrase not in text, f"{phrase!r} is printed: ...{text[max(0, text.find(phrase) - 80):text.find(phrase) + 80]}..."


def test_the_book_ends_on_its_reference_chapters(chapters, guide):
    last = max(chapters, key=lambda chapter: chapter.page)
    assert last.entry.file == "reference/bibliography.md", last
    reference = [chapter.page for chapter in chapters if (chapter.entry.file or "").startswith("reference/")]
    others = [chapter.page for chapter in chapters if chapter.entry.file and not chapter.entry.file.startswith("reference/")]
    assert min(reference) > max(others), "a chapter prints after the reference chapters"
    # The last page is the bibliography's, not a note about output limits.
    assert "Output" not in guide["bodies"][-1][:200] or "arXiv" in guide["bodies"][-1]


def test_no_orphaned_pages(chapters, guide):
    """No page holds only the tail of what the page before it began: a cell's
    output alone, a chapter's last footnote alone, or a paragraph's last lines.
    A short page is fine when it starts something whole (a heading, a code block
    with its output: a chapter may end that way); a part's title page too."""
    titles = {chapter.page for chapter in chapters if chapter.entry.file is None}
    for number, body in enumerate(guide["bodies"][1:], start=1):
        words = body.split()
        if number in titles or len(words) >= 40:
            continue
        first = body.strip().splitlines()[0].strip()
        assert not first.startswith("OUTPUT"), f"page {number + 1} is a lone cell output: {body!r}"
        assert not re.match(r"\d+\.\s", first), f"page {number + 1} is a lone footnote: {body!r}"
        whole_cell = "OUTPUT" in body and not body.strip().startswith("OUTPUT")
        heading = re.match(r"\d+(\.\d+)+\s", first)
        assert whole_cell or heading, f"page {number + 1} holds only a remnant: {body!r}"


def test_outline_has_every_chapter_in_nav_order(chapters, guide):
    pages = [chapter.page for chapter in chapters]
    assert pages == sorted(pages), "bookmarks are not in nav order"
    nested = [item for item in guide["reader"].outline if isinstance(item, list)]
    assert nested, "no section bookmarks under the chapters"


def test_every_page_has_page_x_of_y(guide):
    total = len(guide["texts"])
    for number, text in enumerate(guide["texts"][1:], start=2):
        lines = [line.strip() for line in text.splitlines()]
        assert f"page {number} / {total}" in lines, f"page {number} has no 'page x / y' footer"


def test_no_page_is_blank(guide):
    for number, text in enumerate(guide["texts"], start=1):
        body = [line for line in text.splitlines() if line.strip() and not FOOTER.match(line.strip())]
        # A running header alone (the chapter's title) is a blank page.
        assert len(body) >= 2, f"page {number} is blank: {text!r}"


def test_contents_list_numbered_chapters_with_their_page_numbers(chapters, contents, guide):
    text = "\n".join(guide["texts"][i] for i in contents)
    numbers = {int(line.strip()) for line in text.splitlines() if line.strip().isdigit()}
    for chapter in chapters:
        assert chapter.toc.startswith(f"{chapter.entry.number} "), f"not numbered: {chapter.toc!r}"
        assert squash(chapter.toc) in squash(text), f"{chapter.toc!r} is not in the Contents"
        assert chapter.page + 1 in numbers, f"{chapter.toc}: no page number {chapter.page + 1}"


def test_internal_links_resolve_to_the_right_pages(chapters, contents, guide):
    reader = guide["reader"]
    names = reader.named_destinations
    targets: set[int] = set()
    dangling = []
    links = 0
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = annot.get("/Dest")
            if annot.get("/Subtype") != "/Link" or dest is None:
                continue
            links += 1
            if str(dest) not in names:
                dangling.append(str(dest))
            elif index in contents:
                targets.add(reader.get_destination_page_number(names[str(dest)]))
    assert not dangling, f"internal links to nowhere: {dangling[:10]}"
    assert links > len(chapters)
    missing = [c.toc for c in chapters if c.page not in targets]
    assert not missing, f"Contents entries that do not link to their chapter's page: {missing}"


def test_each_chapter_shows_a_number_servecalc_computes(chapters, guide):
    unmapped = [c.entry.file for c in chapters if c.entry.file and CHAPTER_NUMBERS.get(c.entry.file) is None]
    assert not unmapped, "chapters with no number to check; add to CHAPTER_NUMBERS:\n" + "\n".join(
        f"  {file!r}: 'calc.<function>(...)'{placeholder_hint(file)}" for file in unmapped
    )
    starts = [c.page for c in chapters] + [len(guide["texts"])]
    for index, chapter in enumerate(chapters):
        spec = CHAPTER_NUMBERS.get(chapter.entry.file)
        if chapter.entry.file is None or isinstance(spec, NoNumber):
            continue
        end = max(starts[index + 1], chapter.page + 1)
        text = normalise_number("\n".join(guide["bodies"][chapter.page:end]))
        value = normalise_number(expected_number(spec))
        assert value in text, (
            f"{chapter.entry.file} ({chapter.title}, pages {chapter.page + 1}-{end}): {value!r} not found"
        )


def test_every_build_time_output_and_drill_answer_is_printed(guide):
    soup = guide["html"]
    pages = [squash(body) for body in guide["bodies"]]
    text = "".join(pages)

    def printed(line: str) -> bool:
        if line in text:
            return True
        # A line wrapped across a page break: its start ends one page, the rest
        # is on the next (where pypdf may read it after the other text).
        return any(
            pages[i].endswith(line[:k]) and line[k:] in pages[i + 1]
            for i in range(len(pages) - 1)
            for k in range(1, len(line))
            if pages[i].endswith(line[k - 1])
        )

    outputs = soup.select("pre.cell-output") + soup.select(".jp-OutputArea-output pre")
    assert outputs, "the print page has no cell outputs"
    for output in outputs:
        for line in output.get_text().splitlines():
            assert printed(squash(line)), f"cell output line missing from the PDF: {line!r}"
    answers = soup.select("#print-site-page details")
    for details in answers:
        summary = details.find("summary")
        body = details.get_text().replace(summary.get_text() if summary else "", "", 1)
        first = next((line for line in body.splitlines() if line.strip()), "")
        assert squash(first)[:60] in text, f"drill answer missing from the PDF: {first!r}"


def test_practice_set_prints_and_its_answer_key_is_before_the_reference(chapters, guide):
    from servecalc.practice import KINDS, question

    bodies = guide["bodies"]
    key = [i for i, body in enumerate(bodies) if "Practice set: answer key" in body]
    assert key, "the practice answer key is not in the PDF"
    chapter_pages = [chapter.page for chapter in chapters if chapter.entry.file
                     and not chapter.entry.file.startswith("reference/")]
    reference = [chapter.page for chapter in chapters if (chapter.entry.file or "").startswith("reference/")]
    assert max(chapter_pages) < key[0] < min(reference), (
        "the answer key is not between the last chapter and the reference chapters")
    text = squash("\n".join(bodies[:key[0]]))
    for kind in KINDS:  # each kind's first variant is in the set, before the key
        assert squash(question(kind, 1).text)[:80] in text, f"practice question {kind} not printed"
    answers = normalise_number("\n".join(bodies[key[0]:]))
    assert normalise_number(f"P1.1 {question('weights', 1).title}: {question('weights', 1).answer_text()}") in answers
    assert "Show the answer" not in "\n".join(guide["texts"]), "the practice controls were printed"


def test_no_interactive_chrome(guide):
    text = "\n".join(guide["texts"])
    for chrome in ["Python: starts when you use a cell", "Python: loading", "Python: ready", "Copy to clipboard",
                   "Copied!"]:
        assert chrome not in text, f"interactive chrome in the PDF: {chrome!r}"
    assert "pyodide" not in " ".join(guide["record"]["requests"]).lower(), "Pyodide was loaded"


def test_charts_stay_vector(guide):
    soup = guide["html"]
    content = soup.select_one("#print-site-page")
    images = len(content.find_all("img"))

    def count(resources) -> int:
        found = 0
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Image":
                found += 1
            elif xobject.get("/Subtype") == "/Form":
                found += count(xobject.get("/Resources") or {})
        return found

    rasters = sum(count(page.get("/Resources") or {}) for page in guide["reader"].pages)
    # Only <img> elements may become raster images: SVG charts, MathJax and
    # everything else (no shadows: Skia rasterises them) print as vectors.
    assert rasters <= images, f"{rasters} raster images in the PDF for {images} <img> elements"


def test_fonts_are_embedded_and_self_hosted(guide):
    ranges = self_hosted_ranges()

    def covered(char: str) -> bool:
        return any(lo <= ord(char) <= hi for lo, hi in ranges)

    names, fallback = set(), {}
    for page in guide["reader"].pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            font = font.get_object()
            name = str(font["/BaseFont"]).lstrip("/")
            (descendant,) = [f.get_object() for f in font.get("/DescendantFonts", [font])]
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), (
                f"{name} is not embedded"
            )
            assert re.match(r"^[A-Z]{6}\+", name), f"{name} is not a subset"
            family = name.split("+", 1)[1]
            names.add(family)
            if not family.startswith(("Inter", "JetBrainsMono")):
                fallback.setdefault(family, set()).update(font_chars(font))
    assert {"Inter-Regular", "Inter-Bold", "JetBrainsMono-Regular"} <= names, names
    # Another font may only draw what the self-hosted subsets do not contain.
    wrong = {family: sorted(c for c in chars if covered(c)) for family, chars in fallback.items()}
    assert not any(wrong.values()), f"text the site's fonts could draw was set in: {wrong}"


def test_generating_it_made_no_request_outside_loopback(guide):
    record = guide["record"]
    assert record["refused"] == []
    hosts = {urlsplit(url).hostname for url in record["requests"] if urlsplit(url).scheme.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
    assert any(url.endswith(".woff2") for url in record["requests"]), "no self-hosted font was fetched"
    assert any("paged.polyfill.js" in url for url in record["requests"])
