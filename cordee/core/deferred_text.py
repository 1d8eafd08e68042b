"""Sentences the application writes and keeps (history entries, health reasons), read in the reader's language.

A stored sentence in the language of whoever caused it would show French on an English page. So a
`DeferredText` keeps the English source (the catalogue's msgid) with its parameters, is stored as JSON, and
is translated, with its dates and numbers formatted, each time it is shown.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, npgettext, pgettext


def format_hours(hours: Decimal) -> str:
    """12 → "12", 6.50 → "6.5" (localised: "6,5" in French); rounded to the hundredth."""
    text = format(Decimal(hours).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return formats.number_format(Decimal(text))


def format_day(day: date) -> str:
    """14 March (14 mars in French)."""
    return formats.date_format(day, "j F")


class DeferredText:
    """`DeferredText("“%(title)s” delivered on time", title=...)`: translated when turned into a string.

    Parameters: plain strings and numbers (user content, shown as they are), dates (formatted as "14
    March"), Decimals (hours, in the locale's number format), lazy translations without a context, and
    other deferred texts (a label with a context is a `DeferredText(msgid, context=…)`). `plural` and
    `count` select the plural form as ngettext does. `translate=False` keeps the format as it is (for
    punctuation that joins two sentences).
    """

    def __init__(
        self,
        msgid: str,
        /,
        *,
        context: str = "",
        plural: str = "",
        count: int | None = None,
        translate=True,
        **params,
    ):
        self.msgid, self.context, self.plural, self.count = msgid, context, plural, count
        self.translate, self.params = translate, params

    def __str__(self) -> str:
        if not self.translate:
            template = self.msgid
        elif self.plural:
            if self.context:
                template = npgettext(self.context, self.msgid, self.plural, self.count)
            else:
                template = ngettext(self.msgid, self.plural, self.count)
        else:
            template = pgettext(self.context, self.msgid) if self.context else gettext(self.msgid)
        params = {"count": self.count, **self.params} if self.plural else self.params
        return template % {name: _render(value) for name, value in params.items()}

    def __eq__(self, other):
        if isinstance(other, DeferredText):
            return self.as_data() == other.as_data()
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return f"DeferredText({str(self)!r})"

    def as_data(self) -> dict:
        data = {"msgid": self.msgid, "params": {name: _encode(value) for name, value in self.params.items()}}
        if self.context:
            data["context"] = self.context
        if self.plural:
            data.update(plural=self.plural, count=self.count)
        if not self.translate:
            data["translate"] = False
        return data

    @classmethod
    def from_data(cls, data: dict) -> "DeferredText":
        params = {name: _decode(value) for name, value in data.get("params", {}).items()}
        return cls(
            data["msgid"],
            context=data.get("context", ""),
            plural=data.get("plural", ""),
            count=data.get("count"),
            translate=data.get("translate", True),
            **params,
        )


def deferred_or_text(data: dict | None, fallback: str) -> str:
    """The stored sentence in the active language, or the text stored before sentences were kept as data."""
    if data:
        return str(DeferredText.from_data(data))
    return fallback


def _render(value):
    if isinstance(value, DeferredText | Promise):
        return str(value)
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, Decimal):
        return format_hours(value)
    return value


def _encode(value):
    if isinstance(value, DeferredText):
        return {"text": value.as_data()}
    if isinstance(value, Promise):
        # Lazy translations are written in English in the code: their English text is their msgid.
        with translation.override("en"):
            return {"msgid": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"hours": str(value)}
    return value


def _decode(value):
    if not isinstance(value, dict):
        return value
    if "text" in value:
        return DeferredText.from_data(value["text"])
    if "msgid" in value:
        return DeferredText(value["msgid"])
    if "date" in value:
        return date.fromisoformat(value["date"])
    if "hours" in value:
        return Decimal(value["hours"])
    return value
