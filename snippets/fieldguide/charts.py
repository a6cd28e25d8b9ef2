"""Charts drawn by pygal, the same call at build time and in Pyodide.

The SVG is inline: its text and axes use ``currentColor``, so it follows the
page's light or dark scheme and prints in black. pygal's tooltip script is
never linked (``js=[]``) and its inline config script and comments are
stripped, so a chart is pure SVG that loads nothing. Its ``<style>`` and its
random ID are stripped too: the same rules, for every chart, are in one style
sheet (:func:`chart_css`, served as a file), so the page's Content-Security-Policy
needs no inline styles for charts drawn at build time or in the browser.

>>> svg = line_chart(title="t", x_title="batch (sequences)", y_title="tokens/s",
...                  series={"a": [(1, 2.0), (2, 3.0)]})
>>> svg[:60]
'<svg xmlns="http://www.w3.org/2000/svg" class="pygal-chart" '
>>> [tag for tag in ("<script", "<style", "chart-") if tag in svg]
[]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

PALETTE = ("#3f51b5", "#e65100", "#2e7d32", "#c2185b", "#00838f", "#6d4c41")


def _style():
    from pygal.style import Style

    return Style(
        background="transparent",
        plot_background="transparent",
        foreground="currentColor",
        foreground_strong="currentColor",
        foreground_subtle="rgba(128,128,128,0.45)",
        guide_stroke_color="rgba(128,128,128,0.45)",
        major_guide_stroke_color="rgba(128,128,128,0.6)",
        font_family="Inter, system-ui, sans-serif",
        label_font_size=12,
        major_label_font_size=12,
        legend_font_size=13,
        title_font_size=15,
        opacity=".85",
        colors=PALETTE,
    )


#: The most series one chart may have (each needs a colour rule in :func:`chart_css`).
MAX_SERIES = 16
_CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)


def _clean(svg: str) -> str:
    svg = re.sub(r"<script.*?</script>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = _STYLE.sub("", svg)
    return svg.replace(f' id="{_CHART_ID.search(svg).group(0)}"', "", 1)


def chart_css() -> str:
    """pygal's style rules for our charts, scoped by class instead of by each chart's ID.

    Every chart here shares one style (:func:`_style`), so one sheet serves
    all; pygal writes a colour rule per series, so the sheet is drawn with
    ``MAX_SERIES`` of them. pygal's ``<style>`` is XML text, with ``>`` written
    as ``&gt;``: unescaped here, or a browser drops the rules that give the
    background rectangles their (transparent) fill, and they paint in the text
    colour.

    >>> css = chart_css()
    >>> css[:60]
    '.pygal-chart{-webkit-user-select:none;-webkit-font-smoothing'
    >>> (css.count(".pygal-chart .color-"), "chart-" in css.replace(".pygal-chart", ""))
    (32, False)
    >>> ".pygal-chart .plot > .background{fill:transparent}" in css, "&" in css
    (True, False)
    """
    import html

    import pygal

    chart = pygal.XY(**_common("t", "x", "y"))
    for n in range(MAX_SERIES):
        chart.add(str(n), [(1, 1)])
    svg = chart.render(is_unicode=True)
    chart_id = _CHART_ID.search(svg).group(0)
    css = html.unescape("\n".join(_STYLE.findall(svg)))
    return css.replace(f"#{chart_id}", ".pygal-chart")


def _common(title: str, x_title: str, y_title: str) -> dict:
    return dict(
        js=[],
        style=_style(),
        disable_xml_declaration=True,
        explicit_size=False,
        width=640,
        height=340,
        title=title,
        x_title=x_title,
        y_title=y_title,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        show_y_guides=True,
        show_x_guides=False,
        dots_size=3,
        truncate_legend=-1,
        truncate_label=-1,
        # pygal draws a bottom legend below the view box unless the bottom
        # margin leaves room for it.
        margin_bottom=34,
    )


def line_chart(
    *,
    title: str,
    x_title: str,
    y_title: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    logarithmic: bool = False,
    dots: bool = True,
    value_formatter=None,
) -> str:
    """An XY line chart; ``series`` maps a legend label to (x, y) points.

    ``logarithmic`` puts both axes on a log scale (batch sizes, intensities);
    ``dots=False`` draws lines only (time series with many points).
    """
    import pygal

    chart = pygal.XY(
        **_common(title, x_title, y_title),
        show_dots=dots,
        logarithmic=logarithmic,
        x_value_formatter=_fmt_axis,
        value_formatter=value_formatter or _fmt_axis,
    )
    if logarithmic:
        xs = [float(x) for points in series.values() for x, _ in points]
        ys = [float(y) for points in series.values() for _, y in points]
        chart.x_labels = decade_ticks(min(xs), max(xs))
        chart.y_labels = decade_ticks(min(ys), max(ys))
    for label, points in series.items():
        chart.add(label, [(float(x), float(y)) for x, y in points])
    return _clean(chart.render(is_unicode=True))


def decade_ticks(low: float, high: float) -> list[float]:
    """Powers of ten covering [low, high].

    >>> decade_ticks(0.5, 1200)
    [0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0]
    """
    import math

    if low <= 0 or high < low:
        raise ValueError(f"log axis needs 0 < low <= high, got {low!r}, {high!r}")
    return [10.0**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def category_chart(
    *,
    title: str,
    x_title: str,
    y_title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    logarithmic: bool = False,
    value_formatter=None,
    mark: int | None = None,
) -> str:
    """A line chart over evenly spaced categories (1K, 2K, 4K... reads as a log axis).

    ``None`` leaves a gap (a point that does not exist, say a batch that does not fit).
    ``mark``: the index of the reader's chosen category; the first series' point
    there is drawn again, large, as the series "your choice".

    >>> svg = category_chart(title="t", x_title="b", y_title="s", labels=["1", "2"],
    ...                      series={"a": [1.0, 2.0]}, mark=1)
    >>> "your choice" in svg
    True

    >>> svg = category_chart(title="t", x_title="context", y_title="sequences",
    ...                      labels=["1K", "2K"], series={"a": [8.0, None]})
    >>> "<script" in svg and True
    False
    """
    import pygal

    chart = pygal.Line(
        **_common(title, x_title, y_title),
        logarithmic=logarithmic,
        value_formatter=value_formatter or _fmt_axis,
        allow_interruptions=True,
    )
    chart.x_labels = list(labels)
    present = [float(v) for values in series.values() for v in values if v is not None]
    if logarithmic and present:
        chart.y_labels = log_ticks(min(present), max(present))
    for label, values in series.items():
        chart.add(label, [None if v is None else float(v) for v in values])
    first = next(iter(series.values()), [])
    if mark is not None and 0 <= mark < len(first) and first[mark] is not None:
        chosen = [None] * len(first)
        chosen[mark] = float(first[mark])
        chart.add(f"your choice ({labels[mark]})", chosen, dots_size=7, stroke=False)
    return _clean(chart.render(is_unicode=True))


def log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks from the largest one <= ``low`` to the smallest one >= ``high``.

    >>> log_ticks(3, 480)
    [2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
    """
    import math

    if low <= 0 or high < low:
        raise ValueError(f"log axis needs 0 < low <= high, got {low!r}, {high!r}")
    exponent = math.floor(math.log10(low))
    ticks: list[float] = []
    while not ticks or ticks[-1] < high:
        ticks.extend(m * 10.0**exponent for m in (1, 2, 5))
        exponent += 1
    start = max(i for i, t in enumerate(ticks) if t <= low)
    end = min(i for i, t in enumerate(ticks) if t >= high)
    return [float(f"{t:.6g}") for t in ticks[start:end + 1]]


def bar_chart(
    *, title: str, y_title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]],
    value_formatter=None,
) -> str:
    """A grouped bar chart: one bar per label for each series.

    >>> svg = bar_chart(title="t", y_title="GiB", labels=["bf16", "fp8"], series={"weights": [2.0, 1.0]})
    >>> "<script" in svg
    False
    """
    import pygal

    chart = pygal.Bar(**_common(title, "", y_title), value_formatter=value_formatter or _fmt_axis)
    chart.x_labels = list(labels)
    for label, values in series.items():
        chart.add(label, [float(v) for v in values])
    return _clean(chart.render(is_unicode=True))


def _fmt_axis(value: float) -> str:
    """Axis and tooltip numbers: short, with thousands separators; 1,024 multiples as K.

    >>> _fmt_axis(12345.678), _fmt_axis(0.0123), _fmt_axis(3.0), _fmt_axis(32768.0)
    ('12,346', '0.0123', '3', '32K')
    """
    if value >= 1024 and value % 1024 == 0:
        return f"{value / 1024:,.0f}K"
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"
