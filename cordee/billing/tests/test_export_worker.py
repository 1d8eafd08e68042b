"""A real Huey consumer builds an export queued by the exports page, and its progress reaches 100 %."""

import os
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction

from cordee.billing.models import ExportJob
from cordee.billing.services.exports import export_request
from cordee.billing.tasks import export_enqueue
from cordee.billing.tests.payout_world import invoiced, payout_world
from cordee.core.tests.test_worker import database_url_for_subprocess, real_queue  # noqa: F401 - fixture


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_builds_a_queued_journal(real_queue):  # noqa: F811 - the fixture
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("100.00")}, issued_on=date.today(), paid_on=date.today())
    with transaction.atomic():
        job = export_request(
            by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.JOURNAL, year=date.today().year
        )
        export_enqueue(job.pk)
    assert len(real_queue) == 1  # queued once the transaction committed, not run in this process
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cordee.settings",
        "DATABASE_URL": database_url_for_subprocess(),
        "HUEY_IMMEDIATE": "0",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--worker-type", "thread"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode(errors="replace")
    assert job.status == ExportJob.Status.DONE, output
    assert job.progress == 100
    assert job.file_name == f"732829320FEC{date.today().year}1231.txt"
    assert "cordee.billing.tasks.run_export" in output
