"""Real consumer processes killed with SIGKILL lose no email and switch no periodic job off.

300 emails go to a real SMTP server through real `run_huey` processes (on Redis when REDIS_URL is set,
as in the PostgreSQL pass of .ci/run, on SqliteHuey otherwise). The server can hold the messages it is
receiving, so that a kill lands while a message is in flight:
1. consumers A, B and C deliver the batch; A is killed while one of its messages is in flight;
2. once the queue is drained, the consumer that runs the outbox tick (B or C) is killed while the tick
   re-sends what A left in `sending`;
3. the survivor's ticks take the dead tick's lock back within a period and deliver the rest.
Every email arrives; a Message-ID arrives once more for each kill that caught it in flight (held by the
server), and never unless a kill found its row still `sending` (sent, perhaps, but not yet recorded).
The leases are shortened through the settings the consumers read (seconds instead of minutes).
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from huey.contrib.djhuey import HUEY

from cordee.core import outbox
from cordee.core.models import OutboundEmail, PeriodicLock
from cordee.core.tests.conftest import free_port
from cordee.core.tests.test_worker import database_url_for_subprocess
from cordee.schedule import outbox_tick

EMAILS = 300
SENDER = "Cordée <noreply@kill-test.example>"
OUTBOX_LEASE_SECONDS = 3
LOCK_LEASE_SECONDS = 1
TICK_PERIOD = 1.0  # the test plays the scheduler: one outbox tick enqueued per period
# How long the test waits for each step at most: generous, as a loaded CI machine queues the consumers.
DEADLINE_SECONDS = 90
WORKERS = 2  # threads per consumer


class HoldingSink:
    """An SMTP server that records every message it receives and, while `holding`, keeps the sender
    waiting for its reply: the message is then in flight, received but not acknowledged."""

    def __init__(self):
        self.received: list[tuple[str, int]] = []  # (Message-ID, the client's port)
        self.in_flight: dict[int, str] = {}  # the client's port → Message-ID, while held
        self.holding = False
        self.lock = threading.Lock()
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        message_id = message_from_bytes(envelope.content, policy=policy.default)["Message-ID"]
        port = session.peer[1]
        with self.lock:
            self.received.append((message_id, port))
        while self.holding:
            with self.lock:
                self.in_flight[port] = message_id
            await asyncio.sleep(0.01)
        with self.lock:
            self.in_flight.pop(port, None)
        return "250 Message accepted for delivery"

    def counts(self) -> Counter:
        with self.lock:
            return Counter(message_id for message_id, _ in self.received)

    def held_from(self, ports: set[int]) -> set[str]:
        with self.lock:
            return {message_id for port, message_id in self.in_flight.items() if port in ports}


def local_ports(pid: int) -> set[int]:
    """The local TCP ports of a process's sockets (Linux /proc)."""
    inodes = set()
    fd_directory = Path(f"/proc/{pid}/fd")
    for fd in fd_directory.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class Consumer:
    def __init__(self, name: str, environment: dict, log_directory: Path):
        self.name = name
        self.log_path = log_directory / f"consumer-{name}.log"
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "run_huey",
                "--workers",
                str(WORKERS),
                "--worker-type",
                "thread",
                "--no-periodic",
                "--delay",
                "0.05",
                "--max-delay",
                "0.2",
            ],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def wait_for(condition, what: str, deadline: float, interval: float = 0.02):
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out waiting for {what}")


class Ticker(threading.Thread):
    """Plays the scheduler: enqueues the outbox tick every period."""

    def __init__(self):
        super().__init__(daemon=True)
        self.running = threading.Event()
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            if self.running.is_set():
                outbox_tick()
            self.stopped.wait(TICK_PERIOD)


class LockWatch(threading.Thread):
    """Records every taking of the outbox tick's lock: (holder, acquired_at)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.takings: list[tuple[str, object]] = []
        self.stopped = threading.Event()

    def run(self):
        from django.db import connection

        try:
            while not self.stopped.is_set():
                lock = PeriodicLock.objects.filter(name="outbox-tick").values("holder", "acquired_at").first()
                if lock and lock["holder"] and (not self.takings or self.takings[-1] != tuple(lock.values())):
                    self.takings.append((lock["holder"], lock["acquired_at"]))
                self.stopped.wait(0.02)
        finally:
            connection.close()

    def holder_pid(self) -> int | None:
        lock = PeriodicLock.objects.filter(name="outbox-tick").values("holder", "released_at").first()
        if lock and lock["holder"] and lock["released_at"] is None:
            return int(lock["holder"].split(":")[1])
        return None


@pytest.fixture
def real_queue():
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


@pytest.fixture
def holding_sink():
    sink = HoldingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    sink.holding = False
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_consumers_killed_mid_batch_and_inside_a_tick_lose_no_email(real_queue, holding_sink, tmp_path):
    started = time.monotonic()
    deadline = started + DEADLINE_SECONDS
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cordee.settings",
        "DATABASE_URL": database_url_for_subprocess(),
        "HUEY_IMMEDIATE": "0",
        "EMAIL_URL": f"smtp://127.0.0.1:{holding_sink.port}",
        "OUTBOX_LEASE_SECONDS": str(OUTBOX_LEASE_SECONDS),
        "PERIODIC_LOCK_MAX_LEASE_SECONDS": str(LOCK_LEASE_SECONDS),
    }
    # Three consumers boot while the batch is written (a Django boot takes seconds on a busy machine).
    consumers = {name: Consumer(name, environment, tmp_path) for name in ("A", "B", "C")}
    assert (
        outbox.email_enqueue_many(
            outbox.EmailRequest(
                key=f"kill-test:{index}",
                to=f"client{index}@example.fr",
                template="core/emails/test",
                context={"name": f"Client {index}"},
                language="fr",
                sender=SENDER,
            )
            for index in range(EMAILS)
        )
        == EMAILS
    )
    rows = OutboundEmail.objects.all()
    expected = {outbox.message_id_for(row.idempotency_key, SENDER) for row in rows}
    assert len(expected) == EMAILS
    ticker, lock_watch = Ticker(), LockWatch()
    ticker.start()
    lock_watch.start()
    in_flight_at_kills: list[set[str]] = []
    sending_at_kills: list[set[str]] = []

    def sending_now() -> set[str]:
        keys = OutboundEmail.objects.filter(state=OutboundEmail.State.SENDING).values_list(
            "idempotency_key", flat=True
        )
        return {outbox.message_id_for(key, SENDER) for key in keys}

    try:
        # 1. A is killed mid-batch, while one of its messages is in flight.
        wait_for(lambda: len(holding_sink.received) >= EMAILS // 5, "a fifth of the batch", deadline)
        holding_sink.holding = True
        a = consumers["A"]
        held_by_a = wait_for(
            lambda: holding_sink.held_from(local_ports(a.pid)), "a message of A in flight", deadline
        )
        a.kill()
        in_flight_at_kills.append(held_by_a)
        sending_at_kills.append(sending_now())
        holding_sink.holding = False

        # 2. The queue drained, the consumer running the tick is killed inside it.
        # A leaves at most a row per worker thread behind: claimed, or taken off the queue but not claimed.
        wait_for(
            lambda: (
                HUEY.pending_count() == 0
                and OutboundEmail.objects.exclude(state=OutboundEmail.State.SENT).count() <= WORKERS
            ),
            "the queue drained",
            deadline,
        )
        assert OutboundEmail.objects.filter(state=OutboundEmail.State.SENDING).exists()  # what A left
        holding_sink.holding = True
        ticker.running.set()

        def tick_in_flight():
            pid = lock_watch.holder_pid()
            if pid is None or pid not in {consumers["B"].pid, consumers["C"].pid}:
                return None
            held = holding_sink.held_from(local_ports(pid))
            return (pid, held) if held else None

        tick_pid, held_by_tick = wait_for(tick_in_flight, "the tick sending a message", deadline)
        tick_consumer = next(consumer for consumer in consumers.values() if consumer.pid == tick_pid)
        tick_consumer.kill()
        killed_at_taking = lock_watch.takings[-1]
        in_flight_at_kills.append(held_by_tick)
        sending_at_kills.append(sending_now())
        holding_sink.holding = False

        # 3. The survivor's ticks take the lock back and deliver everything.
        wait_for(
            lambda: (
                OutboundEmail.objects.filter(state=OutboundEmail.State.SENT).count() == EMAILS
                and set(holding_sink.counts()) >= expected
            ),
            "every email sent",
            deadline,
            interval=0.1,
        )
    finally:
        ticker.stopped.set()
        lock_watch.stopped.set()
        holding_sink.holding = False
        for consumer in consumers.values():
            consumer.stop()
        ticker.join(5)
        lock_watch.join(5)
    logs = "\n".join(f"--- {name}\n{consumer.output()}" for name, consumer in consumers.items())

    counts = holding_sink.counts()
    assert set(counts) == expected, logs
    # A message arrives once more for each kill that caught it held by the server, and at most once more
    # for each kill that left its row `sending`: a kill can also land between the server's reply and the
    # row's update, or before the server has noted a message it is receiving.
    for message_id, count in counts.items():
        surely_repeated = sum(message_id in in_flight for in_flight in in_flight_at_kills)
        possibly_repeated = sum(message_id in sending for sending in sending_at_kills)
        assert 1 + surely_repeated <= count <= 1 + possibly_repeated, message_id
    repeats = sum(counts.values()) - EMAILS
    assert 1 <= repeats <= WORKERS * len(in_flight_at_kills)
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {OutboundEmail.State.SENT}
    # Each kill costs at most one more attempt to the rows its two worker threads had claimed.
    attempts = Counter(OutboundEmail.objects.values_list("attempts", flat=True))
    assert set(attempts) <= {1, 2, 3}
    assert attempts[2] + attempts[3] <= 2 * WORKERS, attempts

    # No tick silent for longer than a period: the next taking of the lock after the killed one came
    # within the lock's lease plus one scheduling period (and some queue latency).
    takings = lock_watch.takings
    killed_index = takings.index(killed_at_taking)
    next_holder, next_taken_at = takings[killed_index + 1]
    assert next_holder != killed_at_taking[0]
    silence = (next_taken_at - killed_at_taking[1]).total_seconds()
    # Queue latency on a loaded machine comes on top; a lock without expiry would never be taken back.
    assert silence <= LOCK_LEASE_SECONDS + TICK_PERIOD + 4, (silence, takings)
    print(
        f"\nkill test: {EMAILS} emails, {sum(counts.values())} messages received, "
        f"{repeats} repeat(s), in flight at the kills: {[len(ids) for ids in in_flight_at_kills]}, "
        f"rows by attempts {dict(sorted(attempts.items()))}, tick lock taken back after {silence:.2f} s, "
        f"{time.monotonic() - started:.1f} s in all"
    )
