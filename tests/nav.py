"""mkdocs.yml's navigation as the tests read it: which page is a chapter, a case study, a drill."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Nav pages that are not chapters: the home page, pages of forms (no cells) and
#: the candidate's path.
NOT_CHAPTERS = {"index.md", "calculators.md",
                # the candidate's path: routes and summaries, their numbers from placeholders
                "start-here.md", "cheat-sheet.md", "first-five-minutes.md"}
#: Nav sections whose pages are not chapters (case studies and reference tables).
NOT_CHAPTER_SECTIONS = {"Case studies", "Reference"}


def nav_pages() -> list[tuple[str, str]]:
    """``(section title, source path under docs/)`` for every page in the nav, in
    order; the section is "" for a top-level page."""
    from mkdocs.utils.yaml import yaml_load

    with open(ROOT / "mkdocs.yml", "rb") as fd:
        nav = yaml_load(fd)["nav"]
    pages: list[tuple[str, str]] = []

    def walk(items, section: str) -> None:
        for item in items:
            if isinstance(item, str):
                pages.append((section, item))
                continue
            ((title, value),) = item.items()
            if isinstance(value, list):
                walk(value, title)
            else:
                pages.append((section, value))

    walk(nav, "")
    return pages


def chapters() -> list[str]:
    """Markdown chapters: each shows build-time output and live cells. A section's
    first page stands for the section (the drills' index, not its question list)."""
    seen: set[str] = set()
    out = []
    for section, source in nav_pages():
        if (section in NOT_CHAPTER_SECTIONS or source in NOT_CHAPTERS
                or not source.endswith(".md") or (section and section in seen)):
            continue
        seen.add(section)
        out.append(source)
    return out


def case_studies() -> list[str]:
    """Case studies: Markdown pages of live cells, like the chapters (once jupytext notebooks)."""
    return [source for section, source in nav_pages() if section == "Case studies"]


def drill_pages() -> list[str]:
    """Pages whose <details> blocks are drill answers."""
    return [source for _, source in nav_pages() if source.startswith("drills/")]
