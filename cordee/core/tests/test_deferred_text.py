from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy

from cordee.core.deferred_text import DeferredText, deferred_or_text


def test_a_stored_sentence_is_read_in_the_active_language_with_its_dates_and_hours():
    reason = DeferredText(
        "%(reason)s: %(hours)s h of open work",
        reason=DeferredText(
            "The announced date, %(date)s, has passed and it is not delivered", date=date(2026, 3, 13)
        ),
        hours=Decimal("6.50"),
    )
    stored = DeferredText.from_data(reason.as_data())

    with translation.override("en"):
        assert (
            str(stored)
            == "The announced date, 13 March, has passed and it is not delivered: 6.5 h of open work"
        )
    with translation.override("fr"):
        assert (
            str(stored)
            == "La date annoncée, le 13 mars, est passée et le livrable n'est pas livré\xa0: 6,5\xa0h de travail restant"
        )


def test_plurals_and_lazy_labels_survive_storage():
    text = DeferredText(
        "%(count)d open task without an estimate", plural="%(count)d open tasks without an estimate", count=2
    )
    label = DeferredText(
        "%(status)s (%(health)s)",
        translate=False,
        status=DeferredText("Delivered", context="deliverable status"),
        health=gettext_lazy("On track"),
    )
    with translation.override("fr"):
        assert str(DeferredText.from_data(text.as_data())) == "2 tâches ouvertes sans estimation"
        assert str(DeferredText.from_data(label.as_data())) == "Livré (Dans les temps)"
    with translation.override("en"):
        assert str(DeferredText.from_data(text.as_data())) == "2 open tasks without an estimate"
        assert str(DeferredText.from_data(label.as_data())) == "Delivered (On track)"


def test_user_content_is_kept_as_typed_and_old_rows_fall_back_to_their_text():
    text = DeferredText("“%(title)s” delivered on time", title="Délivrance 100 %")
    with translation.override("en"):
        assert deferred_or_text(text.as_data(), "ignored") == "“Délivrance 100 %” delivered on time"
    assert (
        deferred_or_text({}, "« Maquettes » livré dans les délais") == "« Maquettes » livré dans les délais"
    )
