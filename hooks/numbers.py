"""MkDocs hook: {{ calc.NAME(...) }} placeholders in prose (fieldguide.build.numbers)."""

from fieldguide.build.hooks import on_page_markdown  # noqa: F401
