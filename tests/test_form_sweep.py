"""Every field of every form of Cordée, given 100,000 characters or a NUL byte, is refused with a message.

The forms are discovered (every `forms` module of the apps is imported, every Form subclass found): a new
form joins the sweep by itself, and one that needs constructor arguments the table below does not know
fails the sweep until it is added there.
"""

import importlib
import pkgutil
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django import forms

import cordee
from cordee.accounts.models import User
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory, MissionMemberFactory

pytestmark = pytest.mark.django_db

LONG = "x" * 100_000
NUL = "abc\x00def"
# Fields that carry no text: a checkbox is on or off, a file is checked by its own rules (core/uploads.py).
NO_TEXT = (forms.BooleanField, forms.FileField)


def form_modules():
    for module in pkgutil.walk_packages(cordee.__path__, "cordee."):
        parts = module.name.split(".")
        if "tests" in parts or "migrations" in parts or "management" in parts:
            continue
        if parts[-1].startswith("forms") or "forms" in parts[:-1]:
            yield importlib.import_module(module.name)


def all_form_classes() -> list[type]:
    list(form_modules())
    found, stack = set(), [forms.BaseForm]
    while stack:
        for subclass in stack.pop().__subclasses__():
            stack.append(subclass)
            if subclass.__module__.startswith("cordee.") and ".tests." not in subclass.__module__:
                found.add(subclass)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__name__}")


@pytest.fixture
def world():
    admin = AdminMembershipFactory()
    collective = admin.collective
    member = MembershipFactory(collective=collective)
    mission = MissionFactory(collective=collective, lead=admin.user)
    team_member = MissionMemberFactory(mission=mission, user=member.user)
    deliverable = DeliverableFactory(mission=mission)
    monday = date(2026, 3, 2)
    cells = [
        SimpleNamespace(mission_id=mission.pk, day=monday + timedelta(days=n), entries=[]) for n in range(7)
    ]
    return SimpleNamespace(
        admin=admin,
        collective=collective,
        mission=mission,
        team_member=team_member,
        deliverable=deliverable,
        cells=cells,
        monday=monday,
    )


# Constructor arguments of each form that needs some, by "module.ClassName".
CONSTRUCTOR_ARGUMENTS = {
    "cordee.accounts.forms.ProfileForm": lambda w: {"user": w.admin.user},
    "cordee.collectives.forms.MembershipForm": lambda w: {"can_edit_role": True},
    "cordee.collectives.forms.CollectiveSettingsForm": lambda w: {"instance": w.collective},
    "cordee.communication.forms.calls.DeliveryCallForm": lambda w: {
        "mission": w.mission,
        "collective": w.collective,
    },
    "cordee.communication.forms.calls.RitualCallForm": lambda w: {"collective": w.collective},
    "cordee.communication.forms.events.CollectiveEventForm": lambda w: {"collective": w.collective},
    "cordee.communication.forms.videos.RitualVideoForm": lambda w: {
        "weeks": [w.monday],
        "this_week": w.monday,
    },
    "cordee.feedback.forms_plans.InitiativeForm": lambda w: {
        "points": ["Délais"],
        "team": User.objects.filter(pk=w.admin.user.pk),
    },
    "cordee.missions.forms.deliverables.DelayNoticeForm": lambda w: {"deliverable": w.deliverable},
    "cordee.missions.forms.deliverables.DeliverableForm": lambda w: {
        "mission": w.mission,
        "collective": w.collective,
    },
    "cordee.missions.forms.missions.LeadChangeForm": lambda w: {"mission": w.mission},
    "cordee.missions.forms.missions.MissionSettingsForm": lambda w: {"collective": w.collective},
    "cordee.missions.forms.missions.MissionCreateForm": lambda w: {"collective": w.collective},
    "cordee.missions.forms.missions.MissionEditForm": lambda w: {"collective": w.collective},
    "cordee.missions.forms.missions.TeamMemberAddForm": lambda w: {"mission": w.mission},
    "cordee.missions.forms.missions.TeamMemberEditForm": lambda w: {"member": w.team_member},
    "cordee.missions.forms.missions.TeamRowForm": lambda w: {"collective": w.collective, "memberships": {}},
    "cordee.missions.forms.requests.ClientRequestForm": lambda w: {"mission": w.mission},
    "cordee.missions.forms.requests.TriageTaskForm": lambda w: {"mission": w.mission, "roles": ["Design"]},
    "cordee.missions.forms.tasks.TaskAssignForm": lambda w: {"mission": w.mission},
    "cordee.missions.forms.tasks.TaskForm": lambda w: {
        "mission": w.mission,
        "roles": ["Design"],
        "can_assign": True,
    },
    "cordee.opportunities.forms.OpportunityCreateForm": lambda w: {"collective": w.collective},
    "cordee.opportunities.forms.OpportunityEditForm": lambda w: {"collective": w.collective},
    "cordee.public.forms.ProposalForm": lambda w: {"collective": w.collective},
    "cordee.timesheets.forms.TimeEntryForm": lambda w: {"mission": w.mission, "hours_per_day": 7},
    "cordee.timesheets.forms.WeekForm": lambda w: {"cells": w.cells},
}

FORM_CLASSES = all_form_classes()


def test_the_sweep_finds_the_forms_of_every_app():
    apps = {cls.__module__.split(".")[1] for cls in FORM_CLASSES}
    assert apps >= {
        "accounts",
        "clients",
        "collectives",
        "communication",
        "feedback",
        "invitations",
        "missions",
        "opportunities",
        "portal",
        "public",
        "timesheets",
    }
    assert len(FORM_CLASSES) >= 40


def build(form_class, world, data):
    name = f"{form_class.__module__}.{form_class.__name__}"
    arguments = CONSTRUCTOR_ARGUMENTS.get(name, lambda w: {})(world)
    try:
        return form_class(data=data, **arguments)
    except TypeError as error:
        pytest.fail(f"{name} needs constructor arguments: add it to CONSTRUCTOR_ARGUMENTS ({error})")


@pytest.mark.parametrize("bad_value", [LONG, NUL], ids=["100k-characters", "nul-byte"])
@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_text_field_refuses_a_huge_value_and_a_nul_byte(form_class, world, bad_value):
    blank = build(form_class, world, None)
    text_fields = [name for name, field in blank.fields.items() if not isinstance(field, NO_TEXT)]
    data = {blank.add_prefix(name): bad_value for name in blank.fields}

    form = build(form_class, world, data)

    assert form.is_valid() is False
    accepted = [name for name in text_fields if name not in form.errors]
    assert accepted == [], f"{form_class.__name__} accepts {bad_value[:10]!r}… in {accepted}"
