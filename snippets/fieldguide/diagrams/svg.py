"""A small SVG writer for the guide's diagrams: shapes, text, and the accessible figure.

A diagram is drawn in a view box a little narrower than a phone's column
(:data:`WIDTH` units), so its 13-unit text is still about 12 px tall on a
390 px phone; on a desktop the style sheet caps it at 560 px wide. Text is
drawn in ``currentColor`` (the page's text colour: dark on light, light on
dark, black in print); a label inside a bar is white on one of the dark
:data:`FILLS` (each at least 4.5:1 against white). Nothing here loads
anything: no fonts, no scripts, no styles (the page's style sheet sizes it).

>>> d = Drawing(120, 40, slug="t", title="A box", desc="One box labelled x.")
>>> d.rect(0, 0, 50, 20, fill="weights")
>>> d.text(4, 14, "x < y", colour="white")
>>> svg = figure(d, caption="A caption.")
>>> svg.startswith('<figure class="diagram" id="fig-t">'), "x &lt; y" in svg, "\\n\\n" in svg
(True, True, False)
"""

from __future__ import annotations

import html

#: The view box width of every diagram (see the module docstring).
WIDTH = 400
#: Text size, in view-box units.
FONT = 13
SMALL = 11.5

#: Fills with white text on them: each has at least 4.5:1 contrast against white
#: (WCAG AA for normal text), in light, dark and print alike.
FILLS = {
    "weights": "#3949ab",   # indigo 600, 7.0:1
    "kv": "#2e7d32",        # green 800, 5.1:1
    "reserve": "#6d4c41",   # brown 600, 7.4:1
    "prefill": "#bf360c",   # deep orange 900, 5.6:1
    "decode": "#3949ab",
    "wait": "#757575",      # grey 600, 4.6:1
    "accent": "#ad1457",    # pink 800, 7.1:1
    "teal": "#00695c",      # teal 800, 6.1:1
}


#: On the dark scheme each fill takes a lighter shade of its hue (at least 3:1 against
#: the page, for the shapes) and the labels on it turn black (at least 4.5:1 on it).
DARK_FILLS = {
    "#3949ab": "#8c9eff", "#2e7d32": "#81c784", "#6d4c41": "#bcaaa4", "#bf360c": "#ff9e64",
    "#757575": "#bdbdbd", "#ad1457": "#f48fb1", "#00695c": "#4db6ac",
}


def diagram_css() -> str:
    """The dark scheme's rules for diagrams (served with the charts' style sheet).

    >>> css = diagram_css()
    >>> all(f'[fill="{light}"]' in css for light in FILLS.values()), "text[fill=" in css
    (True, True)
    """
    dark = '[data-md-color-scheme="slate"] svg.diagram'
    rules = [f'{dark} [fill="{light}"]{{fill:{shade}}}' for light, shade in DARK_FILLS.items()]
    rules.append(f'{dark} text[fill="#ffffff"]{{fill:#000000}}')
    return "\n".join(rules)


def _fmt(value: float) -> str:
    """A coordinate, short: ``12.0`` -> ``12``, ``3.14159`` -> ``3.14``.

    >>> _fmt(12.0), _fmt(3.14159), _fmt(-0.004)
    ('12', '3.14', '0')
    """
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Drawing:
    """Shapes in a ``width`` x ``height`` view box, with a title and a description (its alt text)."""

    def __init__(self, width: float, height: float, *, slug: str, title: str, desc: str) -> None:
        if not slug.replace("-", "").isalnum():
            raise ValueError(f"slug must be letters, digits and hyphens, got {slug!r}")
        self.width, self.height, self.slug = width, height, slug
        self.title, self.desc = title, desc
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str | None = None,
             outline: bool = False, opacity: float | None = None) -> None:
        """A rectangle: ``fill`` names one of :data:`FILLS` (or none: outline only)."""
        attrs = f'x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(max(w, 0))}" height="{_fmt(h)}"'
        paint = f'fill="{FILLS[fill]}"' if fill else 'fill="none"'
        if opacity is not None:
            paint += f' fill-opacity="{opacity}"'
        if outline or not fill:
            paint += ' stroke="currentColor" stroke-width="1"'
        self.parts.append(f"<rect {attrs} {paint}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, *, dashed: bool = False,
             width: float = 1.2, colour: str | None = None) -> None:
        stroke = FILLS[colour] if colour else "currentColor"
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        self.parts.append(f'<line x1="{_fmt(x1)}" y1="{_fmt(y1)}" x2="{_fmt(x2)}" y2="{_fmt(y2)}" '
                          f'stroke="{stroke}" stroke-width="{width}"{dash}/>')

    def arrow(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """A line from (x1, y1) with a head at (x2, y2) (horizontal or vertical)."""
        self.line(x1, y1, x2, y2)
        dx, dy = (x2 > x1) - (x2 < x1), (y2 > y1) - (y2 < y1)
        a, b = (x2 - 6 * dx - 4 * dy, y2 - 6 * dy - 4 * dx), (x2 - 6 * dx + 4 * dy, y2 - 6 * dy + 4 * dx)
        self.parts.append(f'<polygon points="{_fmt(x2)},{_fmt(y2)} {_fmt(a[0])},{_fmt(a[1])} '
                          f'{_fmt(b[0])},{_fmt(b[1])}" fill="currentColor"/>')

    def circle(self, x: float, y: float, r: float, *, fill: str, outline: bool = True) -> None:
        edge = ' stroke="currentColor" stroke-width="1"' if outline else ' fill-opacity="0.75"'
        self.parts.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(r)}" fill="{FILLS[fill]}"{edge}/>')

    def polyline(self, points: list[tuple[float, float]], *, colour: str | None = None,
                 width: float = 2, dashed: bool = False) -> None:
        stroke = FILLS[colour] if colour else "currentColor"
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        coords = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
        self.parts.append(f'<polyline points="{coords}" fill="none" stroke="{stroke}" '
                          f'stroke-width="{width}"{dash}/>')

    def text(self, x: float, y: float, words: str, *, anchor: str = "start", size: float = FONT,
             bold: bool = False, colour: str | None = None) -> None:
        """Text with its baseline at ``y``; ``colour="white"`` only on a dark fill."""
        fill = "#ffffff" if colour == "white" else "currentColor"
        weight = ' font-weight="600"' if bold else ""
        self.parts.append(f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" '
                          f'text-anchor="{anchor}" fill="{fill}"{weight}>{html.escape(words)}</text>')

    def svg(self) -> str:
        s = self.slug
        return (f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" '
                f'viewBox="0 0 {_fmt(self.width)} {_fmt(self.height)}" role="img" '
                f'aria-labelledby="{s}-title" aria-describedby="{s}-desc" '
                f'font-family="Inter, system-ui, sans-serif">'
                f'<title id="{s}-title">{html.escape(self.title)}</title>'
                f'<desc id="{s}-desc">{html.escape(self.desc)}</desc>'
                + "".join(self.parts) + "</svg>")


def ms(seconds: float) -> str:
    """A duration in milliseconds to about three significant figures.

    >>> ms(7.8894), ms(0.0300), ms(0.00704)
    ('7,889 ms', '30.0 ms', '7.04 ms')
    """
    from servecalc.units import fmt_duration

    value = seconds * 1000
    return fmt_duration(seconds, "ms", 0 if value >= 100 else 1 if value >= 10 else 2)


def figure(drawing: Drawing, *, caption: str) -> str:
    """The drawing as an HTML ``<figure>`` with a caption, on lines without a blank one
    (so Markdown passes it through as one raw HTML block)."""
    return (f'<figure class="diagram" id="fig-{drawing.slug}">\n{drawing.svg()}\n'
            f"<figcaption>{html.escape(caption)}</figcaption>\n</figure>")
