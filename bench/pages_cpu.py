"""The CPU time per request of the pages of `pages.py`, for before/after comparisons on a shared machine.

Uses the database of a previous `pages.py` run (DATABASE_URL; migrates it like `pages.py`, never rebuilds
it), warms each page up, then times `requests` requests per page and prints the CPU time of the process per
request (minimum, first quartile, median: the minimum moves least when other processes share the cores)
and the wall median and p95.

    DATABASE_URL=postgres://…/cordee_bench1 .venv/bin/python bench/pages_cpu.py fixed,empty,dashboard 100
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # noqa: E402
from board_and_mission import configure, percentile  # noqa: E402


def main() -> None:
    wanted = (sys.argv[1] if len(sys.argv) > 1 else "fixed,empty,mission,dashboard,my work").split(",")
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    configure()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    pages.urlpatterns = pages.bench_urlpatterns()
    settings.ROOT_URLCONF = "pages"
    all_pages = dict(pages.signed_in_clients())
    for name in wanted:
        targets = all_pages[name]
        for client, url in targets:
            pages.get(client, url)
        cpu, wall = [], []
        for number in range(requests):
            client, url = targets[number % len(targets)]
            started, started_cpu = time.perf_counter(), time.process_time()
            pages.get(client, url)
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        cpu.sort()
        print(
            f"{name:10s} CPU min {cpu[0]:5.1f} p25 {cpu[len(cpu) // 4]:5.1f} median {statistics.median(cpu):5.1f}"
            f" | wall median {statistics.median(wall):6.1f} p95 {percentile(wall, 0.95):6.1f}"
            f" | load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
