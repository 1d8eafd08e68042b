"""Benchmark: the task board and the opportunity pipeline, with the size of the HTML they send.

Builds (or reuses) the data set of `board_and_mission.py`, adds opportunities to each collective when
there are none, then times, signed in as missions' leads with Django's test client:

- the board (`missions:board`) of the sampled missions,
- the pipeline (`opportunities:pipeline`) of their collectives,

printing median, p95, min, max, time in SQL, queries per request and HTML size (KB), and the median CPU
time of the process per request: on a shared machine, wall time grows with the other processes' load,
CPU time much less, so before/after comparisons made on a busy machine use it.

    .venv/bin/python bench/board.py                      # 50 collectives, 50,000 tasks (1x)
    .venv/bin/python bench/board.py --reuse              # measure again on the database built before
    DATABASE_URL=sqlite:///var/bench400.sqlite3 .venv/bin/python bench/board.py \\
        --collectives 5 --missions-per-collective 2 --tasks-per-mission 400   # 400 tasks in one mission

This is a script, not a test: it prints figures and fails only when a page does not answer 200.
"""

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from board_and_mission import (  # noqa: E402 - the sibling script, importable once its folder is on the path
    SqlTimer,
    configure,
    parse_arguments,
    percentile,
    prepare_database,
)

OPPORTUNITIES_PER_COLLECTIVE = 60


def add_opportunities() -> None:
    from cordee.collectives.models import Collective, Membership
    from cordee.opportunities.models import Opportunity

    if Opportunity.objects.exists():
        return
    randomness = random.Random(7)
    owners = {}
    for membership in Membership.objects.order_by("pk"):
        owners.setdefault(membership.collective_id, []).append(membership.user_id)
    Opportunity.objects.bulk_create(
        (
            Opportunity(
                collective_id=collective_id,
                contact_name=f"Contact {number}",
                contact_email=f"contact{number}.{collective_id}@prospect.example.org",
                company=f"Entreprise {number}",
                need="Une refonte du site avec un parcours de commande plus simple et un back-office.",
                stage=randomness.choice(Opportunity.Stage.values),
                owner_id=randomness.choice([*owners.get(collective_id, []), None]),
            )
            for collective_id in Collective.objects.values_list("pk", flat=True)
            for number in range(OPPORTUNITIES_PER_COLLECTIVE)
        ),
        batch_size=5000,
    )


def measure(options) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from cordee.missions.models import Mission

    missions = list(Mission.objects.select_related("collective", "lead").order_by("pk"))
    step = max(1, len(missions) // options.sample_missions)
    sample = missions[::step][: options.sample_missions]
    clients = {}
    for mission in sample:
        client = Client(HTTP_ACCEPT_LANGUAGE="fr")
        client.force_login(mission.lead)
        clients[mission.pk] = client
    pages = {
        "board": {m.pk: reverse("missions:board", args=[m.collective.slug, m.pk]) for m in sample},
        "pipeline": {m.pk: reverse("opportunities:pipeline", args=[m.collective.slug]) for m in sample},
    }

    print(f"\n{options.requests} requests per page, over {len(sample)} missions (signed in as each lead)")
    print(
        f"{'page':<10}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}{'in SQL':>10}{'CPU':>10}{'HTML':>10}"
        "   queries per request"
    )
    for label, urls in pages.items():
        queries, sql_times, sizes = set(), [], []
        for mission in sample:
            clients[mission.pk].get(urls[mission.pk])  # warm-up
            timer = SqlTimer()
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
                response = clients[mission.pk].get(urls[mission.pk])
            if response.status_code != 200:
                sys.exit(f"{urls[mission.pk]} answered {response.status_code}")
            queries.add(len(captured.captured_queries))
            sql_times.append(timer.seconds * 1000)
            sizes.append(len(response.content) / 1024)
        timings, cpu_times = [], []
        for number in range(options.requests):
            mission = sample[number % len(sample)]
            started, cpu_started = time.perf_counter(), time.process_time()
            response = clients[mission.pk].get(urls[mission.pk])
            timings.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
            if response.status_code != 200:
                sys.exit(f"{urls[mission.pk]} answered {response.status_code}")
        print(
            f"{label:<10}{statistics.median(timings):>8.1f}ms{percentile(timings, 0.95):>8.1f}ms"
            f"{min(timings):>8.1f}ms{max(timings):>8.1f}ms{statistics.median(sql_times):>8.1f}ms"
            f"{statistics.median(cpu_times):>8.1f}ms{max(sizes):>7.0f} KB   {', '.join(str(count) for count in sorted(queries))}"
        )


def main() -> None:
    options = parse_arguments()
    own_file = configure()
    from django.db import connection

    from cordee.missions.models import Task

    print(f"Database: {connection.settings_dict['NAME']} ({connection.vendor})")
    prepare_database(options, own_file)
    add_opportunities()
    print(f"{Task.objects.count():,} tasks")
    measure(options)


if __name__ == "__main__":
    main()
