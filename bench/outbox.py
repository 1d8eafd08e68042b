"""Benchmark: the cost of the outbox per email, in queries and milliseconds.

Writes N emails one by one (`email_enqueue`), N more in one call (`email_enqueue_many`), then delivers
each (`email_deliver`, to Django's in-memory email backend), and prints queries and time per email.
Uses var/bench-outbox.sqlite3 (rebuilt at each run), or the database of DATABASE_URL when it is set;
it only writes and deletes outbox rows whose key starts with `bench-outbox:`.

    .venv/bin/python bench/outbox.py                 # 500 emails each way
    .venv/bin/python bench/outbox.py --emails 2000

This is a script, not a test: it prints figures.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = ROOT / "var" / "bench-outbox.sqlite3"
PREFIX = "bench-outbox:"


def configure() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "cordee.settings"
    if not os.environ.get("DATABASE_URL"):
        BENCH_DATABASE.parent.mkdir(parents=True, exist_ok=True)
        BENCH_DATABASE.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DATABASE}"
    from django.conf import settings

    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def measure(label: str, count: int, work) -> None:
    """Statements are the SQL the database runs; the transaction control around them is counted apart."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        work()
        elapsed = time.perf_counter() - started
    statements = [query for query in queries if not query["sql"].upper().startswith(TRANSACTION_CONTROL)]
    print(
        f"{label:<34} {len(statements) / count:5.2f} statements/email"
        f" (+{(len(queries) - len(statements)) / count:.2f} transaction control)"
        f"   {elapsed * 1000 / count:6.2f} ms/email   ({elapsed:.2f} s for {count})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--emails", type=int, default=500)
    count = parser.parse_args().emails
    configure()

    from django.core import mail
    from django.core.management import call_command
    from django.db import connection

    from cordee.core import outbox
    from cordee.core.models import OutboundEmail

    call_command("migrate", verbosity=0)
    mail.outbox = []
    # Deliveries are measured on their own below, not through the queue.
    outbox._enqueue_delivery = lambda email_id, delay=None: None
    OutboundEmail.objects.filter(idempotency_key__startswith=PREFIX).delete()

    def request(key):
        return outbox.EmailRequest(
            key=f"{PREFIX}{key}",
            to="client@example.fr",
            template="core/emails/test",
            context={"name": "Léa"},
            language="fr",
        )

    print(f"{connection.vendor}, {count} emails each way")
    outbox.email_enqueue(key=f"{PREFIX}warm-up", to="a@example.fr", template="core/emails/test", context={})
    measure(
        "email_enqueue, one by one",
        count,
        lambda: [outbox.email_enqueue(**vars(request(f"single:{index}"))) for index in range(count)],
    )
    measure(
        "email_enqueue, keys already there",
        count,
        lambda: [outbox.email_enqueue(**vars(request(f"single:{index}"))) for index in range(count)],
    )
    measure(
        "email_enqueue_many, one call",
        count,
        lambda: outbox.email_enqueue_many(request(f"bulk:{index}") for index in range(count)),
    )
    ids = list(OutboundEmail.objects.filter(idempotency_key__startswith=PREFIX).values_list("pk", flat=True))
    measure("email_deliver", len(ids), lambda: [outbox.email_deliver(email_id) for email_id in ids])
    assert len(mail.outbox) == len(ids)
    OutboundEmail.objects.filter(idempotency_key__startswith=PREFIX).delete()


if __name__ == "__main__":
    main()
