"""Isolation: every URL that takes a collective or an object identifier is walked.

A member of collective A gets a 404 on collective B's pages and objects, whether B's objects are
reached through B's slug or smuggled under A's slug; anonymous visitors are sent to log in. The public
page and token links (invitations) are the only exceptions, and they are listed here.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cordee.billing.models import (
    ActivityReport,
    BankStatement,
    BillingPlan,
    ExportJob,
    Invoice,
    InvoiceBatch,
    LegalSeller,
    PayoutBatch,
    Quote,
    RevenueSplit,
    StatementLine,
)
from cordee.clients.models import Client, ClientContact
from cordee.collectives.models import Membership, Reference
from cordee.communication.models import CollectiveEvent, DeliveryCall, Recap, RitualVideo
from cordee.communication.tests.rituals_factories import CollectiveEventFactory, RitualVideoFactory
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import (
    AdminMembershipFactory,
    MembershipFactory,
    OpportunityFactory,
    ReferenceFactory,
)
from cordee.feedback.models import FollowUpCall, ImprovementPlan, Initiative, Survey, SurveyResponse
from cordee.invitations.models import Invitation
from cordee.missions.models import ClientRequest, Deliverable, Mission, Task
from cordee.missions.tests.factories import (
    ClientContactFactory,
    ClientRequestFactory,
    DeliverableFactory,
    MissionFactory,
    TaskFactory,
    TimeEntryFactory,
)
from cordee.opportunities.models import Opportunity
from cordee.timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db

# URL parameter → the model it identifies (a bare `pk` is resolved by the URL name below).
PARAMETER_MODELS = {
    "mission_pk": Mission,
    "client_pk": Client,
    "contact_pk": ClientContact,
    "deliverable_pk": Deliverable,
    "task_pk": Task,
    "request_pk": ClientRequest,
    "entry_pk": TimeEntry,
    "recap_pk": Recap,
    "video_pk": RitualVideo,
    "call_pk": DeliveryCall,
    "event_pk": CollectiveEvent,
    "survey_pk": Survey,
    "response_pk": SurveyResponse,
    "plan_pk": ImprovementPlan,
    "initiative_pk": Initiative,
    "follow_up_pk": FollowUpCall,
    "quote_pk": Quote,
    "report_pk": ActivityReport,
    "billing_plan_pk": BillingPlan,
    "split_pk": RevenueSplit,
    "statement_pk": BankStatement,
    "line_pk": StatementLine,
    "email_pk": OutboundEmail,
    "invoice_pk": Invoice,
    "batch_pk": InvoiceBatch,
    "payout_batch_pk": PayoutBatch,
    "job_pk": ExportJob,
}
# URL name prefix → the model its bare `pk` points to.
OBJECT_MODELS = {
    "opportunities:": Opportunity,
    "collectives:member": Membership,
    "collectives:reference": Reference,
    "invitations:": Invitation,
}
# Public by design: the collective's public page and the links sent by email.
PROJECT_NAMESPACES = {
    "accounts",
    "collectives",
    "invitations",
    "opportunities",
    "public",
    "clients",
    "missions",
    "timesheets",
    "portal",
    "communication",
    "feedback",
    "billing",
    "billing_portal",
}
# The member's calendar feed is opened by calendar apps: its secret token is the key (tested in
# cordee/missions/tests/test_calendar_feed.py).
PUBLIC_NAMES = {
    "public:collective",
    "public:thanks",
    "invitations:accept",
    "missions:member_feed",
    # The portal's magic link: its token is the key (tested in cordee/portal/tests/test_magic_link.py).
    "portal:magic",
    # A member's calendar feed of the collective's rituals (cordee/communication/tests/test_events_ics.py).
    "communication:events_feed",
    # The client's mission calendar: its token is the key (cordee/communication/tests/test_feeds_mission.py).
    "portal:mission_feed",
    # Feedback links sent by email, their token is the key: the survey page and its opt-out
    # (cordee/feedback/tests/test_surveys_*.py), the follow-up slot picking page
    # (cordee/feedback/tests/test_follow_up_views.py).
    "feedback:survey",
    "feedback:survey_thanks",
    "feedback:opt_out",
    "feedback:follow_up_pick",
}


def walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern


def scoped_patterns():
    """(name, route, parameter names) of our URLs that take an identifier."""
    found = []
    for name, route, pattern in walk(get_resolver().url_patterns):
        if name.split(":")[0] not in PROJECT_NAMESPACES:
            continue
        parameters = list(pattern.pattern.converters)
        # Client portal pages are scoped by the contact's portal session, not by a collective: a contact
        # of client X gets a 404 on client Y's things (cordee/portal/tests/test_isolation.py).
        if getattr(pattern.callback, "portal_scoped", False):
            continue
        if parameters and name not in PUBLIC_NAMES:
            found.append((name, route, parameters))
    return found


def model_for(name):
    for prefix, model in OBJECT_MODELS.items():
        if name.startswith(prefix):
            return model
    raise AssertionError(f"{name}: add the model its identifiers point to in OBJECT_MODELS")


@pytest.fixture
def two_collectives():
    member_of_a = AdminMembershipFactory()
    b_admin = AdminMembershipFactory()
    b = b_admin.collective
    mission = MissionFactory(collective=b)
    task = TaskFactory(mission=mission)
    deliverable = DeliverableFactory(mission=mission)
    b_objects = {
        Mission: mission,
        Client: mission.client,
        ClientContact: ClientContactFactory(client=mission.client),
        Deliverable: deliverable,
        Task: task,
        ClientRequest: ClientRequestFactory(mission=mission),
        TimeEntry: TimeEntryFactory(mission=mission),
        Opportunity: OpportunityFactory(collective=b),
        Membership: MembershipFactory(collective=b),
        Reference: ReferenceFactory(collective=b),
        Invitation: Invitation.objects.create(
            collective=b,
            email="someone@example.fr",
            token_hash="f" * 64,
            expires_at="2099-01-01T00:00:00Z",
            invited_by=b_admin.user,
        ),
        Recap: Recap.objects.create(
            collective=b,
            mission=mission,
            period_start="2026-03-02T09:00:00Z",
            subject="Point",
            body="Tout va bien",
        ),
        RitualVideo: RitualVideoFactory(mission=mission),
        DeliveryCall: DeliveryCall.objects.create(
            collective=b,
            mission=mission,
            deliverable=deliverable,
            starts_at="2099-03-02T09:00:00Z",
            organizer=mission.lead,
        ),
        CollectiveEvent: CollectiveEventFactory(collective=b),
        OutboundEmail: OutboundEmail.objects.create(
            collective=b,
            idempotency_key="isolation:failed",
            to_email="client@example.fr",
            subject="Point",
            body_text="Tout va bien",
            state=OutboundEmail.State.FAILED,
        ),
    }
    survey = Survey.objects.create(collective=b, mission=mission, due_date="2026-03-16")
    response = SurveyResponse.objects.create(
        collective=b, survey=survey, contact=b_objects[ClientContact], score=6, ranking="top25"
    )
    plan = ImprovementPlan.objects.create(collective=b, mission=mission, survey=survey)
    b_objects |= {
        Survey: survey,
        SurveyResponse: response,
        FollowUpCall: FollowUpCall.objects.create(collective=b, response=response, token_hash="e" * 64),
        ImprovementPlan: plan,
        Initiative: Initiative.objects.create(collective=b, plan=plan, what="Démo", due_date="2026-04-10"),
    }
    seller = LegalSeller.objects.create(collective=b, kind=LegalSeller.Kind.MEMBER, user=mission.lead)
    billing_plan = BillingPlan.objects.create(
        collective=b, mission=mission, version=1, model=BillingPlan.Model.PAY_AS_YOU_GO, seller=seller
    )
    b_objects |= {
        BillingPlan: billing_plan,
        Quote: Quote.objects.create(
            collective=b, mission=mission, plan=billing_plan, seller=seller, valid_until="2099-01-01"
        ),
        ActivityReport: ActivityReport.objects.create(
            collective=b,
            mission=mission,
            plan=billing_plan,
            period_start="2026-03-01",
            period_end="2026-03-31",
        ),
        RevenueSplit: RevenueSplit.objects.create(
            collective=b,
            mission=mission,
            source=RevenueSplit.Source.DELIVERABLE,
            deliverable=deliverable,
            amount="1000.00",
            method=RevenueSplit.Method.TIME_RATE,
            status=RevenueSplit.Status.PROPOSED,
        ),
    }
    batch = InvoiceBatch.objects.create(collective=b, mission=mission, plan=billing_plan, label="Livrable")
    b_objects |= {
        InvoiceBatch: batch,
        Invoice: Invoice.objects.create(
            collective=b,
            mission=mission,
            plan=billing_plan,
            batch=batch,
            seller=seller,
            client=mission.client,
        ),
    }
    statement = BankStatement.objects.create(
        collective=b, seller=seller, format="camt053", filename="b.xml", sha256="b" * 64, content=b"<x/>"
    )
    b_objects |= {
        BankStatement: statement,
        StatementLine: StatementLine.objects.create(
            collective=b,
            seller=seller,
            statement=statement,
            line_key="b" * 64,
            booking_date="2026-04-15",
            amount="1200.00",
            reference="FAC-2026-00001",
        ),
    }
    b_objects |= {
        PayoutBatch: PayoutBatch.objects.create(collective=b, seller=seller, execution_date="2099-01-01"),
        ExportJob: ExportJob.objects.create(
            collective=b, kind=ExportJob.Kind.JOURNAL, seller=seller, year=2026, requested_by=mission.lead
        ),
    }
    return member_of_a, b, b_objects


def build_urls(name, parameters, slug, b_objects):
    kwargs = {}
    for parameter in parameters:
        if parameter == "slug":
            kwargs["slug"] = slug
        elif parameter in PARAMETER_MODELS:
            kwargs[parameter] = b_objects[PARAMETER_MODELS[parameter]].pk
        else:
            kwargs[parameter] = b_objects[model_for(name)].pk
    return reverse(name, kwargs=kwargs)


def test_the_walk_covers_every_collective_scoped_page():
    names = {name for name, _, _ in scoped_patterns()}
    assert {
        "collectives:dashboard",
        "collectives:members",
        "opportunities:pipeline",
        "invitations:list",
    } <= names
    assert len(names) >= 10


def test_every_collective_scoped_view_goes_through_the_membership_check():
    unchecked = [
        name
        for name, route, pattern in walk(get_resolver().url_patterns)
        if "<slug:slug>" in route
        and name not in PUBLIC_NAMES
        and not getattr(pattern.callback, "collective_scoped", False)
    ]
    assert unchecked == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_of_a_gets_404_on_everything_of_b(client, two_collectives, method):
    member_of_a, b, b_objects = two_collectives
    client.force_login(member_of_a.user)
    counts_before = {model: model.objects.count() for model in b_objects}
    failures = []
    for name, _, parameters in scoped_patterns():
        urls = {build_urls(name, parameters, b.slug, b_objects)}
        if "slug" in parameters and len(parameters) > 1:
            urls.add(build_urls(name, parameters, member_of_a.collective.slug, b_objects))
        for url in urls:
            response = getattr(client, method)(url)
            if response.status_code != 404:
                failures.append(f"{method.upper()} {url} ({name}) → {response.status_code}")
    assert failures == []
    assert {model: model.objects.count() for model in b_objects} == counts_before
    for model, instance in b_objects.items():
        assert model.objects.filter(pk=instance.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, two_collectives):
    _, b, b_objects = two_collectives
    failures = []
    for name, _, parameters in scoped_patterns():
        url = build_urls(name, parameters, b.slug, b_objects)
        response = client.get(url)
        if response.status_code != 302 or not response["Location"].startswith(reverse("account_login")):
            failures.append(f"{url} ({name}) → {response.status_code}")
    assert failures == []
