"""The demo's clients and missions: one active mission in full swing, one draft from the won opportunity.

Built through the real services where they work without a request (missions, deliverables, tasks,
client requests), so the demo shows what the product really records; the rest (time entries, a sent
recap, a delivery call, an answered survey) with the models. Dates are relative to today in the
collective's time zone; what the services stamp "now" is moved back to when it would have happened.
"""

import hashlib
import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from cordee.clients.models import Client, ClientContact
from cordee.collectives.models import Collective
from cordee.collectives.time import collective_zone
from cordee.communication.models import DeliveryCall, Recap
from cordee.core.business_days import add_business_days, is_business_day
from cordee.feedback.models import Survey, SurveyInvitation, SurveyResponse
from cordee.missions.models import ClientRequest, Deliverable, Mission, MissionEvent, Task, TaskAssignment
from cordee.missions.services.deliverables import deliverable_change_status, deliverable_create
from cordee.missions.services.health import deliverables_health_refresh
from cordee.missions.services.history import mission_event_record
from cordee.missions.services.missions import mission_activate, mission_create
from cordee.missions.services.requests import (
    client_request_from_portal,
    client_request_plan,
    client_request_record,
)
from cordee.missions.services.tasks import task_create, task_move
from cordee.opportunities.models import Opportunity
from cordee.timesheets.models import TimeEntry

JULIEN = "julien.moreau@demo.cordee.localhost"
KARIM = "karim.benali@demo.cordee.localhost"
SOPHIE = "sophie.lefevre@demo.cordee.localhost"
ACTIVE_TITLE = "Portail des subventions aux associations"

CLIENTS = [
    {
        "name": "Ville de Montreuil",
        "address_line": "Place Jean-Jaurès",
        "postal_code": "93100",
        "city": "Montreuil",
        "notes": "Collectivité : bons de commande sur le marché à procédure adaptée, factures déposées sur "
        "Chorus Pro avec le numéro d'engagement. Paiement à 30 jours.",
        "contacts": [
            (
                "Isabelle Fournier",
                "i.fournier@montreuil.example",
                "Directrice de la vie associative",
                "sponsor",
            ),
            ("Antoine Mercier", "a.mercier@montreuil.example", "Chef de projet numérique", "project"),
            ("Nadia Haddad", "n.haddad@montreuil.example", "Service de la commande publique", "finance"),
        ],
    },
    {
        "name": "Maison Lenoir",
        "address_line": "18 rue du Vertbois",
        "postal_code": "75003",
        "city": "Paris",
        "notes": "Maroquinerie artisanale, boutique en ligne sur Django depuis la refonte de 2025. "
        "Marc décide, Camille suit le quotidien.",
        "contacts": [
            ("Marc Lambert", "marc.lambert@maisonlenoir.example", "Directeur e-commerce", "sponsor"),
            (
                "Camille Dubois",
                "camille.dubois@maisonlenoir.example",
                "Responsable service client",
                "project",
            ),
            ("Hélène Perrin", "compta@maisonlenoir.example", "Comptable", "finance"),
        ],
    },
]

ACTIVE_DESCRIPTION = (
    "Les 600 associations de la ville déposent aujourd'hui leurs demandes de subvention sur papier. "
    "Nous construisons le portail qui leur permet de déposer un dossier en ligne, de suivre son "
    "instruction et de recevoir la décision, et l'outil des services pour instruire les dossiers. "
    "Objectif : ouverture de la campagne de subventions au printemps, conforme RGAA."
)

# (title, description) of the three deliverables of the active mission.
DELIVERABLES = [
    (
        "Maquettes du parcours de demande",
        "Parcours complet validé par la direction de la vie associative : dépôt, pièces justificatives, "
        "suivi du dossier.",
    ),
    (
        "Formulaire de dépôt et espace association",
        "Le formulaire en plusieurs étapes, la sauvegarde du brouillon et l'espace où l'association suit "
        "ses dossiers.",
    ),
    (
        "Outil d'instruction pour les services",
        "Liste des dossiers, filtres, avis des services et export pour la commission.",
    ),
]

# (deliverable index, title, assignee email or None, role, estimate in hours, status)
TASKS = [
    (0, "Ateliers avec trois associations pilotes", JULIEN, "design", "10", Task.Status.DONE),
    (0, "Maquettes du parcours de dépôt", JULIEN, "design", "24", Task.Status.DONE),
    (0, "Prototype cliquable pour les tests utilisateurs", SOPHIE, "front-end", "12", Task.Status.DONE),
    (0, "Validation des maquettes avec la direction", settings.DEMO_EMAIL, "", "3", Task.Status.DONE),
    (1, "Modèle de données des dossiers et des pièces", KARIM, "back-end", "8", Task.Status.DONE),
    (1, "API de dépôt des pièces justificatives", KARIM, "back-end", "12", Task.Status.DOING),
    (1, "Formulaire en étapes avec sauvegarde du brouillon", SOPHIE, "front-end", "16", Task.Status.DOING),
    (1, "Accusé de réception par e-mail", KARIM, "back-end", "4", Task.Status.REVIEW),
    (1, "Illustrations des états vides", JULIEN, "design", "4", Task.Status.REVIEW),
    (1, "Audit RGAA du formulaire", SOPHIE, "front-end", "6", Task.Status.TODO),
    (1, "Textes d'aide relus par les associations", JULIEN, "design", "3", Task.Status.TODO),
    (2, "Maquettes du tableau de bord d'instruction", JULIEN, "design", "12", Task.Status.TODO),
    (2, "Liste des dossiers filtrable", SOPHIE, "front-end", "10", Task.Status.TODO),
    (2, "Export CSV pour la commission", KARIM, "back-end", "5", Task.Status.TODO),
    (2, "Droits d'accès par service instructeur", None, "back-end", "8", Task.Status.TODO),
]

RECAP_BODY = """\
Bonjour Isabelle, bonjour Antoine,

Les dates annoncées tiennent : le formulaire de dépôt et l'espace association sont prévus pour le {d2}.

Cette semaine :
- le modèle de données des dossiers est terminé et relu ;
- le formulaire en étapes enregistre désormais le brouillon à chaque étape ;
- l'accusé de réception par e-mail est en relecture.

La semaine prochaine :
- l'envoi des pièces justificatives (jusqu'à 10 Mo par fichier) ;
- l'audit d'accessibilité du formulaire ;
- la démonstration du {call}, pour laquelle vous avez reçu une invitation.

Votre demande sur le numéro RNA est planifiée : il sera obligatoire dès la prochaine livraison.

Bon week-end,
Claire"""


def _at(day: date, hour: int, minute: int, tz) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def _business_day_on_or_after(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


class _History:
    """Moves the events the services record "now" back to when they would have happened."""

    def __init__(self, mission: Mission):
        self.mission = mission
        self.last_pk = 0

    def stamp(self, when: datetime) -> None:
        events = MissionEvent.objects.filter(mission=self.mission, pk__gt=self.last_pk)
        self.last_pk = max(events.values_list("pk", flat=True), default=self.last_pk)
        events.update(created_at=when)


def create_demo_work(*, collective: Collective, users: dict) -> None:
    tz = collective_zone(collective)
    now = timezone.now()
    today = timezone.localdate(timezone=tz)
    claire = users[settings.DEMO_EMAIL]

    clients, contacts = {}, {}
    for data in CLIENTS:
        client = Client.objects.create(
            collective=collective,
            **{key: value for key, value in data.items() if key != "contacts"},
        )
        Client.objects.filter(pk=client.pk).update(created_at=now - timedelta(days=60))
        clients[client.name] = client
        for full_name, email, job_title, role in data["contacts"]:
            contacts[(client.name, role)] = ClientContact.objects.create(
                collective=collective,
                client=client,
                full_name=full_name,
                email=email,
                job_title=job_title,
                role=role,
                language="fr",
            )

    _active_mission(
        collective=collective,
        client=clients["Ville de Montreuil"],
        contacts={role: contacts[("Ville de Montreuil", role)] for role in ("sponsor", "project")},
        users=users,
        claire=claire,
        today=today,
        now=now,
        tz=tz,
    )
    _draft_mission(
        collective=collective,
        client=clients["Maison Lenoir"],
        users=users,
        claire=claire,
        today=today,
        now=now,
    )
    deliverables_health_refresh()


def _active_mission(*, collective, client, contacts, users, claire, today, now, tz) -> Mission:
    julien, karim, sophie = users[JULIEN], users[KARIM], users[SOPHIE]
    # The Monday five weeks ago (the next business day when it is a holiday).
    start = _business_day_on_or_after(today - timedelta(days=35 + today.weekday()))
    next_monday = today + timedelta(days=7 - today.weekday())
    call_day = _business_day_on_or_after(next_monday + timedelta(days=3))  # Thursday next week

    mission = mission_create(
        collective=collective,
        by=claire,
        data={
            "title": ACTIVE_TITLE,
            "description": ACTIVE_DESCRIPTION,
            "client": client,
            "lead": claire,
            "start_date": start,
        },
        team=[
            {"user": claire, "role": "pilotage", "day_rate": Decimal("650.00")},
            {"user": julien, "role": "design", "day_rate": Decimal("550.00")},
            {"user": karim, "role": "back-end", "day_rate": Decimal("600.00")},
            {"user": sophie, "role": "front-end", "day_rate": Decimal("580.00")},
        ],
    )
    history = _History(mission)
    history.stamp(_at(start - timedelta(days=7), 10, 0, tz))

    internal_dates = [add_business_days(start, 12), call_day, add_business_days(call_day, 18)]
    owners = [julien, karim, sophie]
    deliverables = []
    for (title, description), internal_date, owner in zip(DELIVERABLES, internal_dates, owners, strict=True):
        deliverables.append(
            deliverable_create(
                mission=mission,
                collective=collective,
                by=claire,
                title=title,
                description=description,
                owner=owner,
                internal_date=internal_date,
            )
        )
    history.stamp(_at(start - timedelta(days=4), 11, 0, tz))
    # Created today with a date already past, the first deliverable was judged late on the spot: an
    # artefact of building the past in the present, not something that happened.
    MissionEvent.objects.filter(mission=mission, kind=MissionEvent.Kind.HEALTH_CHANGED).delete()

    mission_activate(mission=mission, by=claire)
    activated_at = _at(start, 9, 0, tz)
    Mission.objects.filter(pk=mission.pk).update(
        activated_at=activated_at, created_at=activated_at - timedelta(days=7)
    )
    history.stamp(activated_at)

    first, second, _third = deliverables
    deliverable_change_status(
        deliverable=first, status=Deliverable.Status.IN_PROGRESS, by=claire, now=activated_at
    )
    history.stamp(activated_at)
    delivered_at = _at(first.internal_date, 16, 30, tz)
    deliverable_change_status(
        deliverable=first, status=Deliverable.Status.DELIVERED, by=claire, now=delivered_at
    )
    history.stamp(delivered_at)
    second_started = _at(first.internal_date + timedelta(days=1), 9, 30, tz)
    deliverable_change_status(
        deliverable=second, status=Deliverable.Status.IN_PROGRESS, by=claire, now=second_started
    )
    history.stamp(second_started)

    by_email = {user.email: user for user in users.values()}
    for index, title, assignee_email, role, estimate, status in TASKS:
        deliverable = deliverables[index]
        task = task_create(
            mission=mission,
            by=claire,
            title=title,
            deliverable=deliverable,
            required_role=role,
            estimate_hours=Decimal(estimate),
            due_date=deliverable.internal_date,
            assignee=by_email.get(assignee_email),
        )
        if status != Task.Status.TODO:
            task_move(task=task, status=status, by=claire)
        if status == Task.Status.DONE:
            done_on = min(deliverable.internal_date, today - timedelta(days=1))
            Task.objects.filter(pk=task.pk).update(completed_at=_at(done_on, 15, 0, tz))
    Task.objects.filter(mission=mission).update(created_at=_at(start, 10, 0, tz))

    # The client's requests: one triaged into a task, one waiting in the inbox.
    # Triaged on the Wednesday before last Friday's recap, which mentions it.
    recap_slot = today - timedelta(days=(today.weekday() - 4) % 7 or 7)
    triaged_on = _at(recap_slot - timedelta(days=2), 10, 15, tz)
    request = client_request_record(
        mission=mission,
        title="Rendre le numéro RNA obligatoire",
        body="Lors de notre point, Isabelle a demandé que le numéro RNA soit obligatoire dans le formulaire : "
        "les services en ont besoin pour vérifier l'association au répertoire national.",
        contact=contacts["sponsor"],
        by=claire,
    )
    history.stamp(triaged_on - timedelta(hours=1))
    client_request_plan(
        client_request=request,
        tasks=[
            {
                "title": "Numéro RNA obligatoire, vérifié au format W + 9 chiffres",
                "required_role": "back-end",
                "estimate_hours": Decimal("3"),
                "deliverable": second,
                "due_date": second.internal_date,
                "assignee": karim,
            }
        ],
        by=claire,
    )
    history.stamp(triaged_on)
    ClientRequest.objects.filter(pk=request.pk).update(
        created_at=triaged_on - timedelta(hours=1), triaged_at=triaged_on
    )
    Task.objects.filter(request=request).update(created_at=triaged_on)
    received_on = now - timedelta(hours=20)
    new_request = client_request_from_portal(
        mission=mission,
        title="Pouvoir déposer un dossier à plusieurs membres du bureau",
        body="Bonjour, plusieurs associations nous demandent si le trésorier et le président pourront "
        "compléter le même dossier chacun de leur côté. Est-ce prévu ? Merci, Antoine",
        contact=contacts["project"],
    )
    history.stamp(received_on)
    ClientRequest.objects.filter(pk=new_request.pk).update(created_at=received_on)
    # Assignments are weeks old: the daily digests about them went out long ago.
    TaskAssignment.objects.filter(task__mission=mission).update(
        changed_at=_at(start, 10, 0, tz), digest_sent_at=_at(start + timedelta(days=1), 8, 0, tz)
    )

    _time_entries(mission=mission, deliverables=deliverables, users=users, start=start, today=today)
    _recap(
        mission=mission,
        claire=claire,
        start=start,
        slot=recap_slot,
        second=second,
        call_day=call_day,
        tz=tz,
        history=history,
    )
    _delivery_call(
        mission=mission,
        deliverable=second,
        claire=claire,
        team=[karim, sophie],
        contacts=contacts,
        call_day=call_day,
        tz=tz,
        history=history,
        now=now,
    )
    _survey(mission=mission, contacts=contacts, start=start, tz=tz)
    return mission


# Hours logged on the active mission, per person and per phase, in line with the board: the done tasks'
# estimates, part of those in progress, nothing on those not started. The mission so stays within its
# estimate, as its "on track" health says. (deliverable index, person, hours, note) per phase.
DESIGN_HOURS = [
    (0, JULIEN, "34", "Ateliers et maquettes du parcours de dépôt"),
    (0, SOPHIE, "12", "Prototype cliquable"),
    (0, settings.DEMO_EMAIL, "3", "Validation des maquettes avec la direction"),
    (1, KARIM, "3", "Analyse des pièces justificatives demandées"),
]
DEVELOPMENT_HOURS = [
    (1, KARIM, "17", "API de dépôt et modèle de données"),
    (1, SOPHIE, "9.5", "Formulaire en étapes"),
    (1, JULIEN, "3.5", "Illustrations et textes d'aide"),
    (2, JULIEN, "2", "Maquettes du tableau de bord"),
]
QUARTER = Decimal("0.25")


def _spread(total: Decimal, days: list[date]) -> list[Decimal]:
    """`total` hours over `days` in quarter hours, the remainder on the last days."""
    if not days:
        return []
    quarters = int(total / QUARTER)
    base, extra = divmod(quarters, len(days))
    return [QUARTER * (base + (1 if index >= len(days) - extra else 0)) for index in range(len(days))]


def _time_entries(*, mission, deliverables, users, start, today) -> None:
    """Every business day since the start: design first, then development, and the lead's follow-up."""
    claire = users[settings.DEMO_EMAIL]
    entries = []

    def log(user, day, hours, deliverable, note, activity=TimeEntry.Activity.PRODUCTION):
        if hours:
            entries.append(
                TimeEntry(
                    collective_id=mission.collective_id,
                    mission=mission,
                    user=user,
                    deliverable=deliverable,
                    date=day,
                    hours=Decimal(hours),
                    activity=activity,
                    note=note,
                )
            )

    days = [start + timedelta(days=offset) for offset in range((today - start).days)]
    days = [day for day in days if is_business_day(day)]
    design = [day for day in days if day <= deliverables[0].internal_date]
    development = [day for day in days if day > deliverables[0].internal_date]
    for phase, plan in ((design, DESIGN_HOURS), (development, DEVELOPMENT_HOURS)):
        for index, email, total, note in plan:
            for day, hours in zip(phase, _spread(Decimal(total), phase), strict=True):
                log(users[email], day, hours, deliverables[index], note)
    for day in days:
        log(
            claire,
            day,
            "0.5",
            None,
            "Suivi de mission et échanges avec Antoine",
            TimeEntry.Activity.PROJECT_MANAGEMENT,
        )
        if day.weekday() == 0:
            log(claire, day, "1", None, "Point hebdomadaire avec la Ville", TimeEntry.Activity.MEETING)
    TimeEntry.objects.bulk_create(entries)


def _recap(*, mission, claire, start, slot, second, call_day, tz, history) -> None:
    """Last Friday's progress recap, sent by Claire."""
    sent_at = _at(slot, 17, 30, tz)
    body = RECAP_BODY.format(d2=second.announced_date.strftime("%d/%m"), call=call_day.strftime("%d/%m"))
    recap = Recap.objects.create(
        collective_id=mission.collective_id,
        mission=mission,
        slot_date=slot,
        period_start=max(_at(slot - timedelta(days=7), 17, 30, tz), _at(start, 9, 0, tz)),
        state=Recap.State.SENT,
        subject=f"Portail des subventions : point du vendredi {slot.strftime('%d/%m')}",
        body=body,
        drafted_body=body,
        sent_at=sent_at,
        sent_by=claire,
    )
    Recap.objects.filter(pk=recap.pk).update(created_at=sent_at - timedelta(hours=8))
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.RECAP_SENT,
        actor=claire,
        summary=recap.subject,
        data={"recap": recap.pk},
    )
    history.stamp(sent_at)


def _delivery_call(*, mission, deliverable, claire, team, contacts, call_day, tz, history, now) -> None:
    """The demonstration of the second deliverable, next week."""
    call = DeliveryCall.objects.create(
        collective_id=mission.collective_id,
        mission=mission,
        deliverable=deliverable,
        starts_at=_at(call_day, 14, 0, tz),
        duration_minutes=45,
        video_link="https://visio.atelier-rive-gauche.example/montreuil-demo",
        organizer=claire,
    )
    call.attendee_users.set([claire, *team])
    call.attendee_contacts.set([contacts["sponsor"], contacts["project"]])
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.CALL_SCHEDULED,
        actor=claire,
        summary=deliverable.title,
        data={"call": call.pk, "deliverable_id": deliverable.pk},
    )
    history.stamp(now - timedelta(days=2))


def _survey(*, mission, contacts, start, tz) -> None:
    """The first survey round, two weeks in: Antoine answered, Isabelle was reminded."""
    due = start + timedelta(days=mission.feedback_first_after_days)
    sent_at = _at(due, 9, 0, tz)
    survey = Survey.objects.create(
        collective_id=mission.collective_id,
        mission=mission,
        trigger=Survey.Trigger.SCHEDULE,
        due_date=due,
        sent_at=sent_at,
        closes_at=sent_at + timedelta(days=settings.SURVEY_OPEN_DAYS),
    )
    for role in ("sponsor", "project"):
        SurveyInvitation.objects.create(
            collective_id=mission.collective_id,
            survey=survey,
            contact=contacts[role],
            token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
            sent_at=sent_at,
            reminder_sent_at=sent_at + timedelta(days=3) if role == "sponsor" else None,
        )
    response = SurveyResponse.objects.create(
        collective_id=mission.collective_id,
        survey=survey,
        contact=contacts["project"],
        appreciated=[
            "Les ateliers avec les associations, très concrets",
            "Le point écrit du vendredi : je sais où nous en sommes sans avoir à demander",
            "Claire répond dans la journée",
        ],
        improvements=[
            "Envoyer les maquettes la veille des réunions de validation",
            "Plus de détails sur le planning des tests utilisateurs",
            "Un glossaire commun entre vos termes et ceux des services",
        ],
        score=9,
        ranking=SurveyResponse.Ranking.TOP_10,
        comment="Une équipe à l'écoute, qui comprend les contraintes d'une collectivité.",
    )
    SurveyResponse.objects.filter(pk=response.pk).update(
        submitted_at=sent_at + timedelta(days=1, hours=5), updated_at=sent_at + timedelta(days=1, hours=5)
    )


def _draft_mission(*, collective, client, users, claire, today, now) -> Mission:
    """Maison Lenoir's second phase, from the won opportunity: in draft, starting in three weeks."""
    opportunity = Opportunity.objects.filter(collective=collective, stage=Opportunity.Stage.WON).first()
    start = _business_day_on_or_after(today + timedelta(days=21 - today.weekday()))
    mission = mission_create(
        collective=collective,
        by=claire,
        opportunity=opportunity,
        data={
            "title": "Espace client : commandes, retours et réparations",
            "description": "Deuxième phase après la refonte du tunnel de commande : un espace où les clients "
            "suivent leurs commandes, demandent un retour ou la réparation d'un article, et suivent l'atelier.",
            "client": client,
            "lead": claire,
            "start_date": start,
        },
        team=[
            {"user": claire, "role": "pilotage", "day_rate": Decimal("650.00")},
            {"user": users[JULIEN], "role": "design", "day_rate": Decimal("550.00")},
            {"user": users[SOPHIE], "role": "front-end", "day_rate": Decimal("580.00")},
        ],
    )
    for title, business_days in (
        ("Maquettes des parcours retour et réparation", 10),
        ("Espace client en production", 30),
    ):
        deliverable_create(
            mission=mission,
            collective=collective,
            by=claire,
            title=title,
            internal_date=add_business_days(start, business_days),
        )
    created = now - timedelta(days=18)
    Mission.objects.filter(pk=mission.pk).update(created_at=created)
    MissionEvent.objects.filter(mission=mission).update(created_at=created)
    return mission
