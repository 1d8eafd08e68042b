"""Benchmark: the task board and the mission page of a large instance.

Fills a separate database (var/bench.sqlite3, or DATABASE_URL when set) with 50 collectives,
500 missions (10 per collective), 50,000 tasks (100 per mission), 1,500 deliverables and time entries,
then signs in as missions' leads with Django's test client and times the board (`missions:board`) and
the mission page (`missions:detail`): median and p95 over 50 requests each, and queries per request.

    .venv/bin/python bench/board_and_mission.py                # build the database, then measure
    .venv/bin/python bench/board_and_mission.py --reuse        # measure again on the database built before
    .venv/bin/python bench/board_and_mission.py --collectives 5  # a smaller, quicker run

This is a script, not a test: it prints figures and fails only when a page does not answer 200.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = ROOT / "var" / "bench.sqlite3"
SLUG_PREFIX = "bench-"
ROLES = ["design", "back-end", "front-end", "product"]


def configure() -> bool:
    """Point Django at the benchmark database before it starts; True when it is our own SQLite file."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "cordee.settings"
    own_file = not os.environ.get("DATABASE_URL")
    if own_file:
        BENCH_DATABASE.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DATABASE}"
    from django.conf import settings

    # Rendered as in production (no template debugging, no query log), with a private cache.
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    import django

    django.setup()
    return own_file


def parse_arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--collectives", type=int, default=50)
    parser.add_argument("--missions-per-collective", type=int, default=10)
    parser.add_argument("--tasks-per-mission", type=int, default=100)
    parser.add_argument("--requests", type=int, default=50, help="requests per page (default 50)")
    parser.add_argument("--sample-missions", type=int, default=5, help="missions the requests go round")
    parser.add_argument("--reuse", action="store_true", help="keep the database built by a previous run")
    return parser.parse_args()


# --- Generation -------------------------------------------------------------------------------------


def generate(options) -> None:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from cordee.accounts.models import User
    from cordee.clients.models import Client, ClientContact
    from cordee.collectives.models import Collective, Membership
    from cordee.missions.models import ClientRequest, Deliverable, Mission, MissionEvent, MissionMember, Task
    from cordee.timesheets.models import TimeEntry

    randomness = random.Random(42)  # the same database at every run
    today = timezone.localdate()
    now = timezone.now()
    unusable_password = make_password(None)
    members_per_collective = 6

    collectives = Collective.objects.bulk_create(
        Collective(name=f"Collectif {number:02d}", slug=f"{SLUG_PREFIX}{number:02d}")
        for number in range(options.collectives)
    )
    users = User.objects.bulk_create(
        User(
            email=f"membre{member}.{collective.slug}@example.org",
            full_name=f"Membre {member} {collective.name}",
            password=unusable_password,
        )
        for collective in collectives
        for member in range(members_per_collective)
    )
    members_of = {
        collective.pk: users[index * members_per_collective : (index + 1) * members_per_collective]
        for index, collective in enumerate(collectives)
    }
    Membership.objects.bulk_create(
        Membership(
            collective=collective,
            user=user,
            role=Membership.Role.ADMIN if position == 0 else Membership.Role.MEMBER,
            title=ROLES[position % len(ROLES)],
        )
        for collective in collectives
        for position, user in enumerate(members_of[collective.pk])
    )
    clients = Client.objects.bulk_create(
        Client(collective=collective, name=f"Client {number} de {collective.name}", city="Lyon")
        for collective in collectives
        for number in range(3)
    )
    ClientContact.objects.bulk_create(
        ClientContact(
            collective_id=client.collective_id,
            client=client,
            full_name=f"Contact {client.pk}",
            email=f"contact{client.pk}@client.example.org",
        )
        for client in clients
    )
    clients_of = {}
    for client in clients:
        clients_of.setdefault(client.collective_id, []).append(client)

    modes = [choice for choice, _label in Mission.AssignmentMode.choices]
    missions = Mission.objects.bulk_create(
        Mission(
            collective=collective,
            client=clients_of[collective.pk][number % 3],
            title=f"Mission {number} de {collective.name}",
            description="Refonte du site et de l'application mobile.",
            lead=members_of[collective.pk][number % members_per_collective],
            start_date=today - timedelta(days=30 + number),
            status=Mission.Status.ACTIVE,
            assignment_mode=modes[number % len(modes)],
            activated_at=now,
        )
        for collective in collectives
        for number in range(options.missions_per_collective)
    )
    team_of = {}
    mission_members = []
    for mission in missions:
        people = members_of[mission.collective_id]
        lead_index = people.index(next(user for user in people if user.pk == mission.lead_id))
        team = [people[(lead_index + offset) % len(people)] for offset in range(4)]
        team_of[mission.pk] = team
        mission_members += [
            MissionMember(
                collective_id=mission.collective_id,
                mission=mission,
                user=user,
                role="lead" if offset == 0 else ROLES[offset % len(ROLES)],
                day_rate=Decimal("550.00"),
            )
            for offset, user in enumerate(team)
        ]
    MissionMember.objects.bulk_create(mission_members, batch_size=2000)

    deliverables = Deliverable.objects.bulk_create(
        (
            Deliverable(
                collective_id=mission.collective_id,
                mission=mission,
                title=f"Livrable {number + 1}",
                owner=team_of[mission.pk][number % 4],
                internal_date=today + timedelta(days=14 * (number + 1)),
                announced_date=today + timedelta(days=14 * (number + 1) + 4),
                status=Deliverable.Status.IN_PROGRESS if number == 0 else Deliverable.Status.PLANNED,
                position=number,
                health=randomness.choice(Deliverable.Health.values),
                health_reason="12 h of open work, 6 h of capacity before the internal date",
            )
            for mission in missions
            for number in range(3)
        ),
        batch_size=2000,
    )
    deliverables_of = {}
    for deliverable in deliverables:
        deliverables_of.setdefault(deliverable.mission_id, []).append(deliverable)

    statuses = (
        [Task.Status.TODO] * 4 + [Task.Status.DOING] * 2 + [Task.Status.REVIEW] + [Task.Status.DONE] * 3
    )
    tasks = []
    for mission in missions:
        team = team_of[mission.pk]
        for number in range(options.tasks_per_mission):
            status = randomness.choice(statuses)
            assignee = randomness.choice([*team, None])
            tasks.append(
                Task(
                    collective_id=mission.collective_id,
                    mission=mission,
                    deliverable=deliverables_of[mission.pk][number % 3],
                    title=f"Tâche {number + 1} : écran, API et tests",
                    required_role=ROLES[number % len(ROLES)],
                    estimate_hours=Decimal(randomness.choice(["2", "3.5", "4", "7", "10.5"])),
                    due_date=today + timedelta(days=randomness.randint(-10, 40)),
                    status=status,
                    assignee=assignee,
                    position=number,
                    completed_at=now if status == Task.Status.DONE else None,
                )
            )
    Task.objects.bulk_create(tasks, batch_size=5000)

    entries = []
    for mission in missions:
        team = team_of[mission.pk]
        for number in range(20):
            entries.append(
                TimeEntry(
                    collective_id=mission.collective_id,
                    mission=mission,
                    user=team[number % 4],
                    deliverable=deliverables_of[mission.pk][number % 3],
                    date=today - timedelta(days=number),
                    hours=Decimal(randomness.choice(["1", "2.5", "3.5", "7"])),
                    activity=TimeEntry.Activity.PRODUCTION if number % 5 else TimeEntry.Activity.MEETING,
                )
            )
    TimeEntry.objects.bulk_create(entries, batch_size=5000)

    ClientRequest.objects.bulk_create(
        (
            ClientRequest(
                collective_id=mission.collective_id,
                mission=mission,
                title=f"Demande {number + 1} du client",
                status=ClientRequest.Status.NEW if number == 0 else ClientRequest.Status.PLANNED,
            )
            for mission in missions
            for number in range(3)
        ),
        batch_size=5000,
    )
    MissionEvent.objects.bulk_create(
        (
            MissionEvent(
                collective_id=mission.collective_id,
                mission=mission,
                kind=kind,
                actor_id=mission.lead_id,
                summary=f"{MissionEvent.Kind(kind).label}",
            )
            for mission in missions
            for kind in (
                MissionEvent.Kind.CREATED,
                MissionEvent.Kind.ACTIVATED,
                MissionEvent.Kind.DELIVERABLE_ADDED,
                MissionEvent.Kind.DELIVERABLE_ADDED,
                MissionEvent.Kind.DELIVERABLE_ADDED,
                MissionEvent.Kind.REQUEST_TRIAGED,
            )
        ),
        batch_size=5000,
    )


def counts() -> dict:
    from cordee.collectives.models import Collective
    from cordee.missions.models import Deliverable, Mission, Task
    from cordee.timesheets.models import TimeEntry

    return {
        "collectives": Collective.objects.count(),
        "missions": Mission.objects.count(),
        "deliverables": Deliverable.objects.count(),
        "tasks": Task.objects.count(),
        "time entries": TimeEntry.objects.count(),
    }


def prepare_database(options, own_file: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    from cordee.collectives.models import Collective

    if own_file and not options.reuse:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{BENCH_DATABASE}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    print(f"Migrations: {migrated - started:.1f} s")
    existing = Collective.objects.count()
    if existing:
        bench_only = not Collective.objects.exclude(slug__startswith=SLUG_PREFIX).exists()
        if not bench_only:
            sys.exit("This database already holds real collectives: set DATABASE_URL to an empty database.")
        if options.reuse:
            print("Reusing the database built before.")
            return
        sys.exit("This database already holds a benchmark: run with --reuse, or empty it first.")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # our own throwaway file: speed over durability
            cursor.execute("PRAGMA synchronous=OFF")
    from django.db import transaction

    with transaction.atomic():
        generate(options)
    print(f"Generation: {time.perf_counter() - migrated:.1f} s")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- Measures ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p95 of 50 values is the 48th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


class SqlTimer:
    """Adds up the time spent executing queries (an execute wrapper of the connection)."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def measure(options) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from cordee.missions.models import Mission

    # Missions spread over the collectives, each opened by its own lead.
    missions = list(Mission.objects.select_related("collective", "lead").order_by("pk"))
    step = max(1, len(missions) // options.sample_missions)
    sample = missions[::step][: options.sample_missions]
    clients = {}
    for mission in sample:
        client = Client(HTTP_ACCEPT_LANGUAGE="fr")
        client.force_login(mission.lead)
        clients[mission.pk] = client

    print(
        f"\n{options.requests} requests per page, over {len(sample)} missions (signed in as each one's lead)"
    )
    print(f"{'page':<10}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}{'in SQL':>10}   queries per request")
    for name in ("missions:board", "missions:detail"):
        urls = {mission.pk: reverse(name, args=[mission.collective.slug, mission.pk]) for mission in sample}
        queries = set()
        sql_times = []
        for mission in sample:  # warm-up, and the number of queries of each mission's page
            clients[mission.pk].get(urls[mission.pk])
            timer = SqlTimer()
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
                response = clients[mission.pk].get(urls[mission.pk])
            if response.status_code != 200:
                sys.exit(f"{urls[mission.pk]} answered {response.status_code}")
            queries.add(len(captured.captured_queries))
            sql_times.append(timer.seconds * 1000)
        timings = []
        for number in range(options.requests):
            mission = sample[number % len(sample)]
            started = time.perf_counter()
            response = clients[mission.pk].get(urls[mission.pk])
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                sys.exit(f"{urls[mission.pk]} answered {response.status_code}")
        label = name.split(":")[1]
        print(
            f"{label:<10}{statistics.median(timings):>8.1f}ms{percentile(timings, 0.95):>8.1f}ms"
            f"{min(timings):>8.1f}ms{max(timings):>8.1f}ms{statistics.median(sql_times):>8.1f}ms"
            f"   {', '.join(str(count) for count in sorted(queries))}"
        )


def main() -> None:
    options = parse_arguments()
    own_file = configure()
    from django.db import connection

    print(f"Database: {connection.settings_dict['NAME']} ({connection.vendor})")
    prepare_database(options, own_file)
    print(", ".join(f"{count:,} {name}" for name, count in counts().items()))
    measure(options)


if __name__ == "__main__":
    main()
