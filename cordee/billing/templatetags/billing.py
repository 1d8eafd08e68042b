"""Amounts and quantities in the page's language: "1 234,56 €" and "2,5" in French."""

from decimal import Decimal

from django import template
from django.utils.formats import date_format, number_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.translation import gettext as _

from cordee.core.money import round_cents, to_decimal

register = template.Library()


@register.filter
def euros(value) -> str:
    """An amount with its thousands grouped and the euro sign after a non-breaking space."""
    if value in (None, ""):
        return ""
    return f"{number_format(round_cents(value), 2, force_grouping=True)}\xa0€"


@register.filter
def plural_count(value) -> int:
    """The count that picks the plural form for a number of days that may have decimals: "0,5 jour",
    "1 jour", "1,5 jours" (the rule of the invoices' units)."""
    return 2 if to_decimal(value or 0) > 1 else 1


@register.filter
def quantity(value) -> str:
    """Days or hours without trailing zeros: 2.5000 → "2,5", 3.0000 → "3"."""
    if value in (None, ""):
        return ""
    number = to_decimal(value)
    places = max(0, -number.normalize().as_tuple().exponent) if number != 0 else 0
    return number_format(number.quantize(Decimal(1).scaleb(-places)), places, force_grouping=True)


@register.filter
def iban(value) -> str:
    """An IBAN in groups of four characters, as printed on a RIB: "FR76 3000 6000 …"."""
    compact = "".join(str(value or "").split()).upper()
    return " ".join(compact[index : index + 4] for index in range(0, len(compact), 4))


# --- The burn chart ----------------------------------------------------------------------------------
# Server-rendered SVG like the NPS chart: no JavaScript, no inline style (CSP), an image with a title and
# a description for assistive technologies; the page repeats the figures in text next to it.

WIDTH = 640
HEIGHT = 260
LEFT = 48
RIGHT = 16
TOP = 16
BOTTOM = 40
MAX_LABELS = 6


@register.simple_tag
def burn_chart(budget, *, chart_id="burn-chart", title=""):
    """Cumulative days per week (line), the forecast from the recent pace (dashed) and the cap (rule)."""
    points = list(budget.burn)
    forecast = list(budget.forecast)
    all_points = points + forecast
    cap = budget.planned_days
    top = max([float(point.days) for point in all_points] + [float(cap or 0), 1.0]) * 1.1
    count = len(all_points)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM

    def x(index):
        return round(LEFT + (index * plot_width / (count - 1) if count > 1 else plot_width / 2), 1)

    def y(value):
        return round(TOP + plot_height - float(value) * plot_height / top, 1)

    title = title or _("Days consumed per week")
    description = _("%(consumed)s days consumed") % {"consumed": quantity(budget.consumed_days)}
    if cap:
        description += " " + _("of a cap of %(cap)s days") % {"cap": quantity(cap)}
    if budget.forecast_cap_date:
        description += ", " + _("reached around %(date)s at the recent pace") % {
            "date": date_format(budget.forecast_cap_date, "DATE_FORMAT")
        }
    description += "."
    ticks = [0, top / 2 / 1.1, top / 1.1]
    tick_marks = format_html_join(
        "",
        '<g class="burn-chart__tick"><line x1="{}" x2="{}" y1="{}" y2="{}" class="burn-chart__grid"/>'
        '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text></g>',
        (
            (
                LEFT,
                WIDTH - RIGHT,
                y(tick),
                y(tick),
                LEFT - 8,
                y(tick),
                number_format(round(tick, 1), 0 if round(tick, 1) == round(tick) else 1),
            )
            for tick in ticks
        ),
    )
    step = max(1, -(-count // MAX_LABELS))
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}" class="burn-chart__label">{}</text>',
        (
            (
                x(index),
                HEIGHT - BOTTOM + 18,
                "end" if index == count - 1 and count > 1 else "middle",
                date_format(point.week, "j N"),
            )
            for index, point in enumerate(all_points)
            if (index % step == 0 and count - 1 - index >= step) or index == count - 1
        ),
    )
    line = (
        format_html(
            '<polyline class="burn-chart__line" fill="none" stroke-width="2.5" points="{}"/>',
            " ".join(f"{x(index)},{y(point.days)}" for index, point in enumerate(points)),
        )
        if len(points) > 1
        else ""
    )
    forecast_line = ""
    if forecast and points:
        start = len(points) - 1
        coordinates = [(x(start), y(points[-1].days))] + [
            (x(start + offset + 1), y(point.days)) for offset, point in enumerate(forecast)
        ]
        forecast_line = format_html(
            '<polyline class="burn-chart__forecast" fill="none" stroke-width="2" stroke-dasharray="6 5" points="{}"/>',
            " ".join(f"{cx},{cy}" for cx, cy in coordinates),
        )
    cap_line = (
        format_html(
            '<g class="burn-chart__cap"><line x1="{}" x2="{}" y1="{}" y2="{}" stroke-width="1.5"/>'
            '<text x="{}" y="{}" text-anchor="end">{}</text></g>',
            LEFT,
            WIDTH - RIGHT,
            y(cap),
            y(cap),
            WIDTH - RIGHT,
            y(cap) - 5,
            _("cap: %(days)s d") % {"days": quantity(cap)},
        )
        if cap
        else ""
    )
    chart_id = conditional_escape(chart_id)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="burn-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'role="img" aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
        '<g class="burn-chart__axis" font-size="12">{ticks}{labels}</g>{cap}{line}{forecast}</svg>',
        w=WIDTH,
        h=HEIGHT,
        id=chart_id,
        title=title,
        description=description,
        ticks=tick_marks,
        labels=labels,
        cap=cap_line,
        line=line,
        forecast=forecast_line,
    )
