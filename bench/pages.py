"""Benchmark: the pages other than the board, and the fixed cost of a request, on a large instance.

Builds (or reuses) the instance of `board_and_mission.py` (50 collectives, 500 missions, 50,000 tasks; 10×
with `--collectives 500`), then signs in with Django's test client and times, each over `--requests`
requests going round 5 missions (or their collectives, leads, client contacts):

- `empty`: the overview of a collective with no mission and one member;
- `fixed`: the base layout behind the membership check, with nothing in it (a view of this script): the
  fixed cost of a collective page (session, user, membership, navigation, layout);
- `mission` (`missions:detail`), `dashboard` (`collectives:dashboard`), `my work` (`missions:my_work`),
  `portal` (`portal:mission`, signed in as a client contact), `analytics` (`feedback:collective`).

Printed per page: median and p95 (nearest rank) in ms, queries per request, HTML size. On PostgreSQL,
the mission page is also compared with its SQL floor: the very queries of each request, replayed with
psycopg on a connection of its own (no ORM, no template), timed in the same run, interleaved with the
requests; the ratio is page time / floor time.

    .venv/bin/python bench/pages.py                     # build var/bench.sqlite3 (1×), measure
    .venv/bin/python bench/pages.py --collectives 500   # 10×
    DATABASE_URL=postgres://… .venv/bin/python bench/pages.py --reuse

This is a script, not a test: it prints figures and fails only when a page does not answer 200.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from board_and_mission import configure, counts, percentile, prepare_database  # noqa: E402

EMPTY_SLUG = "bench-empty"
urlpatterns = []  # set by main(): this script is the URL configuration of its requests


def fixed_cost_view(request):
    """The base layout of a collective page with nothing in it: what every collective page pays."""
    from django.shortcuts import render

    return render(request, "base.html")


def bench_urlpatterns():
    """The project's URLs, plus `bench-fixed/<slug>/`: `fixed_cost_view` behind the membership check."""
    from django.urls import include, path

    from cordee.collectives.permissions import collective_view

    return [
        path("bench-fixed/<slug:slug>/", collective_view(fixed_cost_view), name="bench_fixed"),
        path("", include("cordee.urls")),
    ]


def parse_arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--collectives", type=int, default=50)
    parser.add_argument("--missions-per-collective", type=int, default=10)
    parser.add_argument("--tasks-per-mission", type=int, default=100)
    parser.add_argument("--requests", type=int, default=50, help="requests per page (default 50)")
    parser.add_argument("--reuse", action="store_true", help="keep the database built by a previous run")
    parser.add_argument("--pages", default="", help="only these pages, comma-separated (e.g. fixed,mission)")
    return parser.parse_args()


def signed_in_clients():
    """(name, [(client, url), ...]) for every page measured."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from cordee.accounts.models import User
    from cordee.clients.models import ClientContact
    from cordee.collectives.models import Collective, Membership
    from cordee.missions.models import Mission
    from cordee.portal.models import PortalAccess
    from cordee.portal.sessions import ACCESS_KEY, CONTACT_KEY

    missions = list(Mission.objects.select_related("collective", "lead").order_by("pk"))
    step = max(1, len(missions) // 5)
    sample = missions[::step][:5]

    def member(user):
        client = Client(HTTP_ACCEPT_LANGUAGE="fr")
        client.force_login(user)
        return client

    empty = Collective.objects.filter(slug=EMPTY_SLUG).first()
    if empty is None:
        empty = Collective.objects.create(name="Collectif vide", slug=EMPTY_SLUG)
        loner = User.objects.create(
            email="seul@example.org", full_name="Membre seul", password=make_password(None)
        )
        Membership.objects.create(collective=empty, user=loner, role=Membership.Role.ADMIN)
    loner = Membership.objects.get(collective=empty).user

    portal = []
    for mission in sample:
        contact = ClientContact.objects.filter(client_id=mission.client_id).first()
        access, _created = PortalAccess.objects.get_or_create(
            token_hash=f"bench-{contact.pk}",
            defaults={
                "collective_id": mission.collective_id,
                "contact": contact,
                "expires_at": timezone.now() + timedelta(days=1),
                "used_at": timezone.now(),
            },
        )
        PortalAccess.objects.filter(pk=access.pk).update(used_at=timezone.now())
        client = Client(HTTP_ACCEPT_LANGUAGE="fr")
        session = client.session
        session[CONTACT_KEY], session[ACCESS_KEY] = contact.pk, access.pk
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        portal.append((client, reverse("portal:mission", args=[mission.pk])))

    leads = {mission.pk: member(mission.lead) for mission in sample}
    return [
        ("empty", [(member(loner), reverse("collectives:dashboard", args=[EMPTY_SLUG]))]),
        ("fixed", [(member(loner), reverse("bench_fixed", args=[EMPTY_SLUG]))]),
        (
            "mission",
            [(leads[m.pk], reverse("missions:detail", args=[m.collective.slug, m.pk])) for m in sample],
        ),
        (
            "dashboard",
            [(leads[m.pk], reverse("collectives:dashboard", args=[m.collective.slug])) for m in sample],
        ),
        ("my work", [(leads[m.pk], reverse("missions:my_work")) for m in sample]),
        ("portal", portal),
        (
            "analytics",
            [(leads[m.pk], reverse("feedback:collective", args=[m.collective.slug])) for m in sample],
        ),
    ]


def get(client, url):
    response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}")
    return response


def raw_connection():
    """A psycopg connection of its own to the benchmark database (PostgreSQL only)."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )


def replay(cursor, statements: list[str]) -> float:
    started = time.perf_counter()
    for sql in statements:
        cursor.execute(sql)
        if cursor.description is not None:
            cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def measure(options) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pages = signed_in_clients()
    if options.pages:
        pages = [(name, targets) for name, targets in pages if name in options.pages.split(",")]
    floor_cursor = raw_connection().cursor() if connection.vendor == "postgresql" else None
    print(f"\n{options.requests} requests per page; load {os.getloadavg()[0]:.1f}")
    print(
        f"{'page':<11}{'median':>9}{'p95':>9}{'CPU':>9}{'queries':>9}{'HTML':>9}   SQL floor (replayed), ratio"
    )
    for name, targets in pages:
        queries, sizes, floors = set(), [], {}
        for client, url in targets:  # warm-up; the queries of each target
            get(client, url)
            with CaptureQueriesContext(connection) as captured:
                response = get(client, url)
            queries.add(len(captured.captured_queries))
            sizes.append(len(response.content))
            floors[url] = [
                query["sql"]
                for query in captured.captured_queries
                if not query["sql"].startswith(("SAVEPOINT", "RELEASE"))
            ]
        timings, cpu, floor_timings = [], [], []
        for number in range(options.requests):
            client, url = targets[number % len(targets)]
            started, started_cpu = time.perf_counter(), time.process_time()
            get(client, url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            if name == "mission" and floor_cursor is not None:
                floor_timings.append(replay(floor_cursor, floors[url]))
        floor = ""
        if floor_timings:
            ratio = statistics.median(timings) / statistics.median(floor_timings)
            floor = f"   {statistics.median(floor_timings):.1f} ms median, ×{ratio:.1f}"
        print(
            f"{name:<11}{statistics.median(timings):>7.1f}ms{percentile(timings, 0.95):>7.1f}ms"
            f"{statistics.median(cpu):>7.1f}ms"
            f"{', '.join(map(str, sorted(queries))):>9}{statistics.median(sizes) / 1024:>7.0f}KB{floor}"
        )


def main() -> None:
    options = parse_arguments()
    own_file = configure()
    from django.conf import settings
    from django.db import connection

    global urlpatterns
    urlpatterns = bench_urlpatterns()
    settings.ROOT_URLCONF = __name__

    print(f"Database: {connection.settings_dict['NAME']} ({connection.vendor})")
    prepare_database(options, own_file)
    print(", ".join(f"{count:,} {name}" for name, count in counts().items()))
    measure(options)


if __name__ == "__main__":
    main()
