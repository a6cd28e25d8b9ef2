"""Placeholder for the rubric under every drill answer (``{{ calc.rubric(N) }}``).

The rubrics themselves are data in :mod:`fieldguide.rubrics`; this returns one
as a collapsible Markdown block, placed at the left margin right after the
drill's answer.

>>> rubric(1).strip().startswith('??? abstract "Rubric')
True
"""

from __future__ import annotations

from fieldguide.rubrics import rubric_markdown


def rubric(number: int) -> str:
    """The rubric of drill ``number``: points, red flags, probes, senior against staff.

    >>> "**Follow-up probes**" in rubric(35)
    True
    """
    return rubric_markdown(number)
