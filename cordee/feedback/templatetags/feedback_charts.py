"""The NPS trend as a server-rendered SVG line chart: no JavaScript, no inline style (CSP), accessible.

The chart is an image for assistive technologies (`role="img"`, a title and a description referenced by
`aria-labelledby`); the page shows the same numbers in a table under it. Colours come from CSS classes
(`.nps-chart__…` in app.css), sizes from SVG presentation attributes.
"""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

WIDTH = 640
HEIGHT = 280
LEFT = 48  # room for the tick labels
RIGHT = 16
TOP = 16
BOTTOM = 44  # room for the round labels
TICKS = (100, 50, 0, -50, -100)
MAX_LABELS = 6
# Fewer points draw no trend, only a big chart around a dot: the figures above it say enough.
MIN_POINTS = 3


def _y(value) -> float:
    """−100 at the bottom of the plot, 100 at the top."""
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + (100 - float(value)) * plot / 200, 1)


def _x(index: int, count: int) -> float:
    plot = WIDTH - LEFT - RIGHT
    if count <= 1:
        return round(LEFT + plot / 2, 1)
    return round(LEFT + index * plot / (count - 1), 1)


def _number(value: Decimal) -> str:
    """A signed NPS in the page's language: "+12.5", "−6,3" in French."""
    return ("+" if value > 0 else "") + number_format(value, 1)


@register.simple_tag
def nps_chart(points, *, chart_id="nps-chart", title="", description=""):
    """SVG of the NPS of each point (a `TrendPoint`); points without answers are left out of the line.

    Under `MIN_POINTS` answered points, a sentence instead of the chart.
    """
    answered = [point for point in points if point.nps is not None]
    title = title or _("NPS over time")
    if len(answered) < MIN_POINTS:
        if not answered:
            sentence = _("No answer yet: the trend appears once %(minimum)s periods have answers.")
        else:
            sentence = ngettext(
                "Only %(count)s period has answers so far: the trend appears once %(minimum)s have.",
                "Only %(count)s periods have answers so far: the trend appears once %(minimum)s have.",
                len(answered),
            )
        return format_html(
            '<p class="chart-fallback">{}</p>', sentence % {"count": len(answered), "minimum": MIN_POINTS}
        )
    if not description:
        first, last = answered[0], answered[-1]
        description = _("%(count)s points, from %(first)s (%(first_nps)s) to %(last)s (%(last_nps)s).") % {
            "count": len(answered),
            "first": first.label,
            "first_nps": _number(first.nps),
            "last": last.label,
            "last_nps": _number(last.nps),
        }
    count = len(answered)
    ticks = format_html_join(
        "",
        '<g class="nps-chart__tick"><line x1="{}" x2="{}" y1="{}" y2="{}" class="{}"/>'
        '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text></g>',
        (
            (
                LEFT,
                WIDTH - RIGHT,
                _y(tick),
                _y(tick),
                "nps-chart__zero" if tick == 0 else "nps-chart__grid",
                LEFT - 8,
                _y(tick),
                tick,
            )
            for tick in TICKS
        ),
    )
    step = max(1, -(-count // MAX_LABELS))  # ceil: at most MAX_LABELS labels on the x axis
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" class="nps-chart__label">{}</text>',
        (
            (_x(index, count), HEIGHT - BOTTOM + 20, point.label)
            for index, point in enumerate(answered)
            if index % step == 0 or index == count - 1
        ),
    )
    coordinates = [(_x(index, count), _y(point.nps)) for index, point in enumerate(answered)]
    line = (
        format_html(
            '<polyline class="nps-chart__line" fill="none" stroke-width="2.5" points="{}"/>',
            " ".join(f"{x},{y}" for x, y in coordinates),
        )
        if count > 1
        else ""
    )
    dots = format_html_join(
        "",
        '<circle class="nps-chart__point" cx="{}" cy="{}" r="5"><title>{}</title></circle>',
        (
            (
                x,
                y,
                _("%(label)s: NPS %(nps)s, average %(average)s/10, %(answers)s answers")
                % {
                    "label": point.label,
                    "nps": _number(point.nps),
                    "average": number_format(point.average, 1),
                    "answers": point.answers,
                },
            )
            for (x, y), point in zip(coordinates, answered, strict=True)
        ),
    )
    chart_id = conditional_escape(chart_id)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="nps-chart" viewBox="0 0 {width} {height}" '
        'width="{width}" height="{height}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'preserveAspectRatio="xMidYMid meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
        '<g class="nps-chart__axis" font-size="12">{ticks}{labels}</g>{line}{dots}</svg>',
        width=WIDTH,
        height=HEIGHT,
        id=chart_id,
        title=title,
        description=description,
        ticks=ticks,
        labels=labels,
        line=line,
        dots=dots,
    )
