"""The charts of the payments page as server-rendered SVG: no JavaScript, no inline style (CSP), an image
with a title and a description; the page shows the same figures in a table under each chart."""

from decimal import Decimal

from django import template
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.billing.payment_queries import AGEING_BUCKETS
from cordee.billing.templatetags.billing import euros

register = template.Library()

WIDTH = 640
LEFT = 150
RIGHT = 16
TOP = 12
BAR = 22
GAP = 12
SERIES_CLASSES = 6


def _scale(top: Decimal):
    plot = WIDTH - LEFT - RIGHT

    def width(value) -> float:
        return round(float(value) * plot / float(top), 1) if top > 0 else 0.0

    return width


def _svg(chart_id: str, css: str, height: int, title: str, description: str, body) -> str:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="pay-chart {css}" viewBox="0 0 {w} {h}" width="{w}" '
        'height="{h}" role="img" aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>{body}</svg>',
        css=css,
        w=WIDTH,
        h=height,
        id=chart_id,
        title=title,
        description=description,
        body=body,
    )


def _short(text: str, length: int = 22) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


@register.simple_tag
def ageing_chart(rows, *, chart_id="ageing-chart"):
    """One stacked bar per client: what it owes, from not due yet to over 90 days late."""
    top = max([row.total for row in rows] + [Decimal(1)])
    width = _scale(top)
    parts = []
    for index, row in enumerate(rows):
        y = TOP + index * (BAR + GAP)
        x = LEFT
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" class="pay-chart__label">{}</text>',
                LEFT - 8,
                y + BAR / 2,
                _short(row.client),
            )
        )
        for bucket_index, (key, label, _low, _high) in enumerate(AGEING_BUCKETS):
            amount = row.amounts[key]
            if amount <= 0:
                continue
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" class="pay-chart__bucket--{}"><title>{}: {}</title></rect>',
                    x,
                    y,
                    width(amount),
                    BAR,
                    bucket_index,
                    label,
                    euros(amount),
                )
            )
            x = round(x + width(amount), 1)
    height = TOP * 2 + max(1, len(rows)) * (BAR + GAP)
    late = sum((row.total - row.amounts["not_due"] for row in rows), Decimal(0))
    description = ngettext(
        "%(count)s client owes %(total)s, of which %(late)s is late.",
        "%(count)s clients owe %(total)s, of which %(late)s is late.",
        len(rows),
    ) % {
        "count": len(rows),
        "total": euros(sum((row.total for row in rows), Decimal(0))),
        "late": euros(late),
    }
    return _svg(
        chart_id,
        "pay-chart--ageing",
        height,
        _("Receivables ageing per client"),
        description,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


@register.simple_tag
def receipts_chart(months, series, *, chart_id="receipts-chart"):
    """Bars per month, one per member's business, of the money received."""
    height = 256
    bottom = 56
    plot_height = height - TOP - bottom
    top = max([amount for item in series for amount in item.amounts] + [Decimal(1)])
    group = (WIDTH - 60 - RIGHT) / max(1, len(months))
    bar = max(2.0, (group - 8) / max(1, len(series)))
    parts = []
    for month_index, month in enumerate(months):
        x0 = 60 + month_index * group
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" class="pay-chart__label">{}'
                '<tspan x="{}" dy="1.2em">{}</tspan></text>',
                round(x0 + group / 2, 1),
                height - bottom + 18,
                date_format(month, "N"),
                round(x0 + group / 2, 1),
                date_format(month, "Y"),
            )
        )
        for series_index, item in enumerate(series):
            amount = item.amounts[month_index]
            bar_height = round(float(amount) * plot_height / float(top), 1)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" class="pay-chart__series--{}"><title>{} · {}: {}</title></rect>',
                    round(x0 + 4 + series_index * bar, 1),
                    round(TOP + plot_height - bar_height, 1),
                    round(bar - 1, 1),
                    bar_height,
                    series_index % SERIES_CLASSES,
                    item.name,
                    date_format(month, "F Y"),
                    euros(amount),
                )
            )
    parts.append(
        format_html(
            '<text x="56" y="{}" text-anchor="end" class="pay-chart__label">{}</text>'
            '<text x="56" y="{}" text-anchor="end" class="pay-chart__label">0</text>',
            TOP + 10,
            number_format(round(top), 0, force_grouping=True),
            TOP + plot_height,
        )
    )
    description = ngettext(
        "Money received per month by %(count)s member's business, %(total)s in all.",
        "Money received per month by %(count)s members' businesses, %(total)s in all.",
        len(series),
    ) % {
        "count": len(series),
        "total": euros(sum((item.total for item in series), Decimal(0))),
    }
    return _svg(
        chart_id,
        "pay-chart--receipts",
        height,
        _("Money received per member and month"),
        description,
        format_html_join("", "{}", ((part,) for part in parts)),
    )
