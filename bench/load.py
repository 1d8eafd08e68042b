"""Load test: the production processes under concurrent users (locust, headless, loopback only).

Run the production mode first (`make prod`: gunicorn with several workers and two Huey consumers on
PostgreSQL and Redis) on a database filled by `bench/board_and_mission.py` (`--collectives 500` for the
10× data set), then, with the same DATABASE_URL, REDIS_URL and SECRET_KEY:

    .venv/bin/python bench/load.py --host http://127.0.0.1:8000 --users 20 --seconds 60

It signs a lead in (a server-side session), opens a client contact's portal session, creates an API token,
then lets `--users` simulated users go round four pages — the collective dashboard, the task board of a
mission with 100 tasks, the client portal's mission page and the API's task list (30 per page, and 300 in
one response) — for at most `--seconds` seconds and `--max-requests` requests. It prints, per page, the
requests, failures, median, p95 and requests per second. A benchmark, not a test: the figures go into
bench/RESULTS.md by hand, with the date and the machine.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - gevent patches the standard library first
import ipaddress  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from importlib import import_module  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402
from locust import HttpUser, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def parse_arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="http://127.0.0.1:8000", help="the running server (loopback only)")
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated users (at most 200)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--seconds", type=int, default=60, help="how long the load lasts (at most 600)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="stop after this many requests")
    return parser.parse_args()


def check_loopback(url: str) -> None:
    """This script only ever loads a server on this machine."""
    host = urlsplit(url).hostname or ""
    addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    if not addresses or not all(ipaddress.ip_address(address).is_loopback for address in addresses):
        sys.exit(f"{url} is not a loopback address: this script only loads a server on this machine.")


def prepare() -> dict:
    """Sessions, a portal access and an API token on the benchmark data, through Django itself."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cordee.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.urls import reverse
    from django.utils import timezone

    from cordee.api.models import AccessToken
    from cordee.api.services.tokens import access_token_create
    from cordee.clients.models import ClientContact
    from cordee.core.tokens import token_new
    from cordee.missions.models import Mission, Task
    from cordee.portal import sessions as portal_sessions
    from cordee.portal.models import PortalAccess

    mission = (
        Mission.objects.filter(status=Mission.Status.ACTIVE, collective__slug__startswith="bench-")
        .select_related("collective", "lead", "client")
        .order_by("pk")
        .first()
    )
    if mission is None:
        sys.exit("No benchmark data: run bench/board_and_mission.py on this DATABASE_URL first.")
    store = import_module(settings.SESSION_ENGINE).SessionStore

    member_session = store()
    member_session[SESSION_KEY] = str(mission.lead.pk)
    member_session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    member_session[HASH_SESSION_KEY] = mission.lead.get_session_auth_hash()
    member_session.create()

    contact = ClientContact.objects.filter(client=mission.client).first()
    _raw, token_hash = token_new()
    access = PortalAccess.objects.create(
        collective=mission.collective,
        contact=contact,
        token_hash=token_hash,
        expires_at=timezone.now() + timezone.timedelta(days=1),
        used_at=timezone.now(),
    )
    portal_session = store()
    portal_session[portal_sessions.CONTACT_KEY] = contact.pk
    portal_session[portal_sessions.ACCESS_KEY] = access.pk
    portal_session.create()

    _token, api_token = access_token_create(
        by=mission.lead, collective_id=mission.collective_id, name="Load test", scope=AccessToken.Scope.READ
    )
    slug = mission.collective.slug
    return {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "member_session": member_session.session_key,
        "portal_session": portal_session.session_key,
        "api_token": api_token,
        "dashboard": reverse("collectives:dashboard", args=[slug]),
        "board": reverse("missions:board", args=[slug, mission.pk]),
        "portal": reverse("portal:mission", args=[mission.pk]),
        "mission_id": mission.pk,
        "tasks": Task.objects.filter(mission=mission).count(),
    }


def user_class(context: dict):
    https = {"X-Forwarded-Proto": "https"}  # as the TLS proxy in front of gunicorn says

    class CordeeUser(HttpUser):
        wait_time = constant(0)

        @task(3)
        def dashboard(self):
            self.client.get(
                context["dashboard"],
                name="dashboard",
                headers=https,
                cookies={context["cookie_name"]: context["member_session"]},
            )

        @task(3)
        def board(self):
            self.client.get(
                context["board"],
                name="board",
                headers=https,
                cookies={context["cookie_name"]: context["member_session"]},
            )

        @task(3)
        def portal(self):
            self.client.get(
                context["portal"],
                name="portal",
                headers=https,
                cookies={context["cookie_name"]: context["portal_session"]},
            )

        @task(3)
        def api_tasks_30(self):
            self.client.get(
                f"/api/v1/tasks?mission_id={context['mission_id']}&limit=30",
                name="api tasks ×30",
                headers={**https, "Authorization": f"Bearer {context['api_token']}"},
            )

        @task(1)
        def api_tasks_300(self):
            self.client.get(
                "/api/v1/tasks?limit=300",
                name="api tasks ×300",
                headers={**https, "Authorization": f"Bearer {context['api_token']}"},
            )

    return CordeeUser


def main() -> None:
    options = parse_arguments()
    check_loopback(options.host)
    users = max(1, min(options.users, 200))
    seconds = max(5, min(options.seconds, 600))
    context = prepare()
    environment = Environment(user_classes=[user_class(context)], host=options.host, events=events)
    runner = environment.create_local_runner()
    started = time.monotonic()
    runner.start(users, spawn_rate=options.spawn_rate)
    while (
        time.monotonic() - started < seconds and environment.stats.total.num_requests < options.max_requests
    ):
        gevent.sleep(0.5)
    runner.quit()
    elapsed = time.monotonic() - started

    print(f"\n{users} users, {elapsed:.0f} s, {options.host}; mission with {context['tasks']} tasks")
    print(f"{'page':<16}{'requests':>10}{'failures':>10}{'median ms':>11}{'p95 ms':>9}{'req/s':>8}")
    for name in ("dashboard", "board", "portal", "api tasks ×30", "api tasks ×300"):
        entry = environment.stats.get(name, "GET")
        print(
            f"{name:<16}{entry.num_requests:>10}{entry.num_failures:>10}"
            f"{entry.get_response_time_percentile(0.5):>11.0f}{entry.get_response_time_percentile(0.95):>9.0f}"
            f"{entry.num_requests / elapsed:>8.1f}"
        )
    total = environment.stats.total
    print(
        f"{'all':<16}{total.num_requests:>10}{total.num_failures:>10}"
        f"{total.get_response_time_percentile(0.5):>11.0f}{total.get_response_time_percentile(0.95):>9.0f}"
        f"{total.num_requests / elapsed:>8.1f}"
    )
    if total.num_failures:
        for error in environment.stats.errors.values():
            print(f"  {error.occurrences} × {error.method} {error.name}: {error.error}")


if __name__ == "__main__":
    main()
