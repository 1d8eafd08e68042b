# ruff: noqa: F811 - the fixtures imported from recap_fixtures are requested by name
"""Drafting a progress recap: pure functions over data, then the loader over a mission's fixtures."""

import datetime as dt
from decimal import Decimal

import pytest

from cordee.communication.models import Recap
from cordee.communication.services.recaps import (
    DeliverableLine,
    RecapData,
    RequestLine,
    dates_sentences,
    deliverable_state_words,
    recap_body_blocks,
    recap_data_load,
    recap_draft,
    recap_language,
    recap_period_start,
    recap_text,
)
from cordee.communication.tests.recap_fixtures import (  # noqa: F401 - fixtures
    ACTIVATED,
    PARIS,
    at,
    client_company,
    contacts,
    english,
    mission,
    paris,
    people,
)
from cordee.missions.models import ClientRequest, DelayNotice, Deliverable, Task
from cordee.missions.tests.factories import ClientRequestFactory, DeliverableFactory, TaskFactory

Health, Status = Deliverable.Health, Deliverable.Status
FRIDAY = dt.date(2026, 3, 6)


def line(
    title="Mockups",
    *,
    status=Status.IN_PROGRESS,
    health=Health.ON_TRACK,
    announced=dt.date(2026, 3, 18),
    **extra,
):
    return DeliverableLine(title=title, status=status, health=health, announced_date=announced, **extra)


def data(*deliverables, **extra) -> RecapData:
    values = {"mission_title": "Site refresh", "lead_name": "Léa Martin", "today": FRIDAY, "since": None}
    values.update(extra)
    return RecapData(deliverables=tuple(deliverables), **values)


# --- The sentence on the dates -----------------------------------------------------------------


def test_all_on_track_the_dates_hold():
    assert dates_sentences([line(), line("API", status=Status.PLANNED, announced=dt.date(2026, 3, 27))]) == (
        "All announced dates hold.",
        True,
    )


def test_at_risk_is_watched_and_its_date_still_holds():
    text, hold = dates_sentences([line(), line("API", health=Health.AT_RISK, announced=dt.date(2026, 3, 27))])
    assert text == (
        "We are watching “API” closely; its date of 27 March still holds for now. All the other announced dates hold."
    )
    assert hold is True


def test_only_at_risk_deliverables_say_nothing_of_the_others():
    text, hold = dates_sentences([line("API", health=Health.AT_RISK, announced=dt.date(2026, 3, 27))])
    assert text == "We are watching “API” closely; its date of 27 March still holds for now."
    assert hold is True


def test_a_late_deliverable_will_move_and_the_dates_do_not_hold():
    text, hold = dates_sentences([line(), line("API", health=Health.LATE, announced=dt.date(2026, 3, 27))])
    assert (
        text == "“API” will move: we will send you a new date very soon. All the other announced dates hold."
    )
    assert hold is False


def test_two_late_deliverables_are_named_together():
    text, hold = dates_sentences([line("API", health=Health.LATE), line("Admin", health=Health.LATE)])
    assert text == "“API” and “Admin” will move: we will send you new dates very soon."
    assert hold is False


def test_a_date_moved_by_a_delay_notice_says_the_new_date_was_sent():
    text, hold = dates_sentences(
        [line("API", announced=dt.date(2026, 4, 3), moved_from=dt.date(2026, 3, 27))]
    )
    assert text == "“API” moves to 3 April: we have sent you this new date."
    assert hold is False


def test_late_and_at_risk_are_both_told():
    text, hold = dates_sentences(
        [
            line("API", health=Health.LATE),
            line("Admin", health=Health.AT_RISK, announced=dt.date(2026, 4, 10)),
        ]
    )
    assert text == (
        "“API” will move: we will send you a new date very soon. "
        "We are watching “Admin” closely; its date of 10 April still holds for now."
    )
    assert hold is False


def test_delivered_deliverables_do_not_count_even_if_their_health_was_late():
    text, hold = dates_sentences([line(status=Status.DELIVERED, health=Health.LATE), line("API")])
    assert (text, hold) == ("All announced dates hold.", True)


def test_everything_delivered():
    assert dates_sentences([line(status=Status.ACCEPTED)]) == (
        "Everything announced so far has been delivered.",
        True,
    )


def test_no_deliverable_yet():
    assert dates_sentences([]) == ("No delivery date has been announced yet.", True)


# --- Each deliverable in client words ---------------------------------------------------------


@pytest.mark.parametrize(
    ("deliverable", "words"),
    [
        (line(), "on track for 18 March"),
        (line(health=Health.AT_RISK), "we are watching it closely; still planned for 18 March"),
        (line(health=Health.LATE), "its date of 18 March will move: a new date is coming"),
        (
            line(announced=dt.date(2026, 3, 25), moved_from=dt.date(2026, 3, 18)),
            "new date: 25 March (instead of 18 March)",
        ),
        (line(status=Status.DELIVERED, delivered_on=dt.date(2026, 3, 4)), "delivered on 4 March"),
        (line(status=Status.ACCEPTED), "delivered and accepted"),
    ],
)
def test_deliverable_state_words(deliverable, words):
    assert deliverable_state_words(deliverable) == words


# --- The whole text ----------------------------------------------------------------------------


def test_the_body_lists_each_deliverable_what_was_done_what_comes_next_and_the_requests():
    subject, body, hold = recap_text(
        data(
            line(done_tasks=("Home page",), next_tasks=("Product page", "Checkout")),
            line("API", status=Status.PLANNED, health=Health.AT_RISK, announced=dt.date(2026, 3, 27)),
            other_done=("Kickoff notes",),
            requests=(
                RequestLine("Bigger logo", ClientRequest.Status.PLANNED),
                RequestLine("Dark mode", ClientRequest.Status.DECLINED, "Not in the scope, see the quote."),
                RequestLine("New photos", ClientRequest.Status.NEW),
            ),
            since=dt.date(2026, 2, 27),
        )
    )
    assert subject == "Site refresh: progress recap of 6 March"
    assert hold is True
    assert body == (
        "Hello,\n"
        "\n"
        "Here is where “Site refresh” stands today, 6 March, since our last recap of 27 February. "
        "We are watching “API” closely; its date of 27 March still holds for now. All the other announced dates hold.\n"
        "\n"
        "Deliverables:\n"
        "- “Mockups” (in progress): on track for 18 March.\n"
        "  Done: Home page.\n"
        "  Next: Product page; Checkout.\n"
        "- “API” (planned): we are watching it closely; still planned for 27 March.\n"
        "\n"
        "Other work:\n"
        "- Done: Kickoff notes.\n"
        "\n"
        "Next delivery: “Mockups”, announced for 18 March.\n"
        "\n"
        "Your requests:\n"
        "- “Bigger logo”: taken into account, it is planned.\n"
        "- “Dark mode”: we will not do it: Not in the scope, see the quote.\n"
        "- “New photos”: received, we will come back to you.\n"
        "\n"
        "A question, a remark? Just reply to this email.\n"
        "\n"
        "Léa Martin"
    )


def test_a_quiet_week_says_no_task_was_completed():
    _subject, body, _hold = recap_text(data(line(next_tasks=("Product page",))))
    assert "No task was completed since the last recap; the work in progress is listed above." in body
    assert "Here is where “Site refresh” stands today, 6 March. All announced dates hold." in body


def test_more_next_tasks_than_listed_are_counted():
    _subject, body, _hold = recap_text(data(line(next_tasks=("A", "B"), more_next_tasks=3)))
    assert "  Next: A; B (and 3 more).\n" in body


def test_the_body_is_cut_into_paragraphs_and_items_for_the_html_email():
    blocks = recap_body_blocks(
        "Hello,\n\nDeliverables:\n- “Mockups”: on track.\n  Done: Home page.\n- “API”: planned.\nThanks\n\n\nLéa"
    )
    assert blocks == [
        {"lines": ["Hello,"], "items": []},
        {
            "lines": ["Deliverables:"],
            "items": [["“Mockups”: on track.", "Done: Home page."], ["“API”: planned."]],
        },
        {"lines": ["Thanks"], "items": []},
        {"lines": ["Léa"], "items": []},
    ]


def test_the_body_is_drafted_in_the_language_most_recipients_read(contacts):
    assert recap_language([contacts.claire, contacts.fanny, contacts.paul]) == "en"
    assert recap_language([contacts.claire, contacts.paul]) == "fr"  # a tie goes to the site's language
    assert recap_language([]) == "fr"


# --- Loading the mission's data ----------------------------------------------------------------


@pytest.fixture
def week(mission, people, contacts):
    """The first week of the mission, seen on Friday 6 March at 10:00 (every recipient reads English)."""
    contacts.paul.language = "en"
    contacts.paul.save(update_fields=["language"])
    mockups = DeliverableFactory(
        mission=mission,
        title="Mockups",
        status=Status.IN_PROGRESS,
        internal_date=dt.date(2026, 3, 13),
        announced_date=dt.date(2026, 3, 18),
    )
    api = DeliverableFactory(
        mission=mission,
        title="API",
        internal_date=dt.date(2026, 3, 20),
        announced_date=dt.date(2026, 3, 27),
        health=Health.AT_RISK,
        health_reason="12 h of open work, 8 h of capacity before 20 March: the margin is being used",
    )
    DeliverableFactory(
        mission=mission,
        title="Brief",
        status=Status.ACCEPTED,
        internal_date=dt.date(2026, 2, 25),
        announced_date=dt.date(2026, 2, 27),
        delivered_at=paris(dt.date(2026, 2, 26)),
    )
    DeliverableFactory(
        mission=mission,
        title="Audit",
        status=Status.DELIVERED,
        internal_date=dt.date(2026, 3, 3),
        announced_date=dt.date(2026, 3, 5),
        delivered_at=paris(dt.date(2026, 3, 4), 16),
    )

    def task(title, deliverable, status=Task.Status.TODO, **extra):
        return TaskFactory(mission=mission, deliverable=deliverable, title=title, status=status, **extra)

    task("Home page", mockups, Task.Status.DONE, completed_at=paris(dt.date(2026, 3, 3), 14))
    task("Wireframes", mockups, Task.Status.DONE, completed_at=paris(dt.date(2026, 2, 27), 14))
    task("Product page", mockups, Task.Status.DOING, due_date=dt.date(2026, 3, 12))
    task("Checkout", mockups, due_date=dt.date(2026, 3, 10))
    task("Footer", mockups)  # no due date, not started: not next
    task("Far away", mockups, due_date=dt.date(2026, 4, 30))
    task("Schema", api, Task.Status.REVIEW, estimate_hours=Decimal("12"))
    task("Kickoff notes", None, Task.Status.DONE, completed_at=paris(dt.date(2026, 3, 2), 11))
    planned = ClientRequestFactory(mission=mission, title="Bigger logo", status=ClientRequest.Status.PLANNED)
    declined = ClientRequestFactory(
        mission=mission,
        title="Dark mode",
        status=ClientRequest.Status.DECLINED,
        decline_reason="Out of scope",
    )
    ClientRequestFactory(mission=mission, title="New photos")
    old = ClientRequestFactory(mission=mission, title="Old one", status=ClientRequest.Status.DONE)
    ClientRequest.objects.filter(pk__in=[planned.pk, declined.pk]).update(
        triaged_at=paris(dt.date(2026, 3, 4))
    )
    ClientRequest.objects.filter(pk=old.pk).update(
        triaged_at=paris(dt.date(2026, 2, 20)), created_at=paris(dt.date(2026, 2, 19))
    )
    return {"mockups": mockups, "api": api}


def test_the_first_recap_covers_since_the_activation(mission, week, contacts, django_assert_num_queries):
    period_start, first = recap_period_start(mission, PARIS)
    assert (period_start, first) == (ACTIVATED, True)
    mission.collective  # noqa: B018 - loaded once, like the drafting does
    with django_assert_num_queries(5):
        loaded = recap_data_load(mission=mission, period_start=period_start, now=paris(FRIDAY), first=first)
    assert loaded == RecapData(
        mission_title="Site refresh",
        lead_name="Léa Martin",
        today=FRIDAY,
        since=None,
        deliverables=(
            DeliverableLine(
                "Audit",
                Status.DELIVERED,
                Health.ON_TRACK,
                dt.date(2026, 3, 5),
                delivered_on=dt.date(2026, 3, 4),
            ),
            DeliverableLine(
                "Mockups",
                Status.IN_PROGRESS,
                Health.ON_TRACK,
                dt.date(2026, 3, 18),
                done_tasks=("Home page",),
                next_tasks=("Product page", "Checkout"),
            ),
            DeliverableLine(
                "API", Status.PLANNED, Health.AT_RISK, dt.date(2026, 3, 27), next_tasks=("Schema",)
            ),
        ),
        other_done=("Kickoff notes",),
        other_next=(),
        requests=(
            RequestLine("Bigger logo", ClientRequest.Status.PLANNED),
            RequestLine("Dark mode", ClientRequest.Status.DECLINED, "Out of scope"),
            RequestLine("New photos", ClientRequest.Status.NEW),
        ),
    )


def test_the_draft_never_shows_internal_dates_hours_or_health_reasons(mission, week, contacts):
    recap = recap_draft(mission=mission, slot_date=FRIDAY, now=paris(FRIDAY))
    assert recap.state == Recap.State.DRAFT
    assert recap.body == recap.drafted_body
    assert recap.period_start == ACTIVATED
    for internal in (
        "13 March",
        "20 March",
        "12 March",
        "10 March",
        "12 h",
        "capacity",
        "margin",
        "Footer",
        "Far away",
    ):
        assert internal not in recap.body
    assert (
        "- “Mockups” (in progress): on track for 18 March.\n  Done: Home page.\n  Next: Product page; Checkout."
        in (recap.body)
    )
    assert "- “Audit” (delivered): delivered on 4 March." in recap.body
    assert "Brief" not in recap.body  # accepted before the period
    assert "Wireframes" not in recap.body  # done before the activation
    assert "Old one" not in recap.body  # triaged before the period
    assert "We are watching “API” closely; its date of 27 March still holds for now." in recap.body
    assert recap.dates_hold is True
    assert recap.subject == "Site refresh: progress recap of 6 March"


def test_the_next_recap_covers_since_the_previous_sent_one_was_drafted(mission, week, contacts):
    with at(FRIDAY, 8):
        first = recap_draft(mission=mission, slot_date=FRIDAY)
    Recap.objects.filter(pk=first.pk).update(state=Recap.State.SENT, sent_at=paris(FRIDAY, 17))
    # Done after the first draft, before it was sent: in the next recap, not lost between the two.
    TaskFactory(
        mission=mission,
        deliverable=week["mockups"],
        title="Cart",
        status=Task.Status.DONE,
        completed_at=paris(FRIDAY, 15),
    )
    next_friday = FRIDAY + dt.timedelta(days=7)

    with at(next_friday, 8):
        second = recap_draft(mission=mission, slot_date=next_friday)

    assert second.period_start == first.created_at
    assert "since our last recap of 6 March" in second.body
    assert "  Done: Cart.\n" in second.body
    assert "Home page" not in second.body


def test_skipped_drafts_do_not_move_the_period(mission, week, contacts):
    skipped = recap_draft(mission=mission, now=paris(FRIDAY))
    Recap.objects.filter(pk=skipped.pk).update(state=Recap.State.SKIPPED)
    assert recap_period_start(mission, PARIS) == (ACTIVATED, True)


def test_a_delay_notice_in_the_period_says_the_date_moved(mission, week, contacts, people):
    api = week["api"]
    Deliverable.objects.filter(pk=api.pk).update(announced_date=dt.date(2026, 4, 3), health=Health.ON_TRACK)
    notice = DelayNotice.objects.create(
        collective=mission.collective,
        deliverable=api,
        previous_date=dt.date(2026, 3, 27),
        new_date=dt.date(2026, 4, 3),
        reason="The payment provider is late.",
        sent_by=people.lead,
        business_days_notice=10,
        is_late=False,
    )
    DelayNotice.objects.filter(pk=notice.pk).update(sent_at=paris(dt.date(2026, 3, 5)))

    recap = recap_draft(mission=mission, now=paris(FRIDAY))

    assert recap.dates_hold is False
    assert (
        "“API” moves to 3 April: we have sent you this new date. All the other announced dates hold."
        in recap.body
    )
    assert "- “API” (planned): new date: 3 April (instead of 27 March)." in recap.body
    assert "The payment provider is late." not in recap.body


def test_a_late_deliverable_does_not_hold(mission, week, contacts):
    Deliverable.objects.filter(pk=week["api"].pk).update(health=Health.LATE)
    recap = recap_draft(mission=mission, now=paris(FRIDAY))
    assert recap.dates_hold is False
    assert "“API” will move: we will send you a new date very soon." in recap.body
