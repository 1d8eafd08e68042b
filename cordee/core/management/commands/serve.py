import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from cordee.core.models import OutboundEmail

# The worker prints the demo's emails as it starts; the login is printed once they are out, so it stays
# the last thing on screen. A worker that is slow or down does not hold the banner back longer than this.
OUTBOX_WAIT_SECONDS = 20


def wait_for_outbox(processes, timeout=OUTBOX_WAIT_SECONDS, poll=0.5) -> None:
    unsent = OutboundEmail.objects.filter(
        state__in=[OutboundEmail.State.PENDING, OutboundEmail.State.SENDING]
    )
    deadline = time.monotonic() + timeout
    while unsent.filter(next_attempt_at__isnull=True).exists() and time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            return
        time.sleep(poll)


class Command(BaseCommand):
    help = "Start the web server (gunicorn) and the worker (Huey consumer) together; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, host, port, **options):
        bin_dir = os.path.dirname(sys.executable)
        # The children read their settings again: with this PORT, BASE_URL (unless set) is this server.
        environment = {**os.environ, "PORT": str(port)}
        web = subprocess.Popen(
            [
                os.path.join(bin_dir, "gunicorn"),
                "cordee.wsgi",
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ],
            env=environment,
        )
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey"], cwd=settings.BASE_DIR, env=environment
        )
        processes = [web, worker]
        url = f"http://{host}:{port}/"
        wait_for_outbox(processes)
        self.stdout.write(self.style.SUCCESS(f"\nCordée is running at {url}"))
        self.stdout.write(f"Demo login: {settings.DEMO_EMAIL} / {settings.DEMO_PASSWORD}")
        self.stdout.write(f"Demo collective: {url}c/{settings.DEMO_SLUG}/")
        self.stdout.write("Press Ctrl-C to stop the web server and the worker.\n")

        def stop(*_):
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        finally:
            stop()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
