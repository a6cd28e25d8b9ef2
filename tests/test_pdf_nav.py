"""The PDF's nav (mkdocs.pdf.yml) orders the site's pages for print: same pages, reference last."""

from __future__ import annotations

from mkdocs.utils.yaml import yaml_load

from tests.conftest import ROOT


def _pages(nav: list) -> list[str]:
    found: list[str] = []
    for item in nav:
        value = item if isinstance(item, str) else next(iter(item.values()))
        found.extend(_pages(value) if isinstance(value, list) else [value])
    return found


def _nav(name: str) -> list:
    with open(ROOT / name, "rb") as fd:
        return yaml_load(fd)["nav"]


def test_the_book_prints_every_page_of_the_site_once():
    site, book = _pages(_nav("mkdocs.yml")), _pages(_nav("mkdocs.pdf.yml"))
    assert sorted(book) == sorted(site), (
        f"mkdocs.pdf.yml's nav lacks {sorted(set(site) - set(book))} or adds {sorted(set(book) - set(site))}")
    assert len(book) == len(set(book))


def test_the_book_ends_on_its_reference_chapters():
    book = _pages(_nav("mkdocs.pdf.yml"))
    assert book[-1] == "reference/bibliography.md"
    tail = book[-5:]
    assert all(page.startswith("reference/") for page in tail), tail
    # How accurate and how it performs come before the reference, not after it.
    assert book.index("performance.md") < book.index("reference/models.md")
