"""Profile one page of `pages.py` with cProfile: where a request's CPU time goes (templates, ORM, Python).

Uses the database of a previous `pages.py` run (`--reuse` is implied), warms the page up, then profiles
`--requests` requests and prints the functions with the most cumulative and own time.

    DATABASE_URL=postgres://… .venv/bin/python bench/profile_pages.py --page empty --requests 50
"""

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # noqa: E402
from board_and_mission import configure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--page", default="empty")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--sort", default="cumulative,tottime")
    parser.add_argument("--output", default="", help="also write the raw profile to this file")
    options = parser.parse_args()
    configure()
    from django.conf import settings

    pages.urlpatterns = pages.bench_urlpatterns()
    settings.ROOT_URLCONF = "pages"
    targets = dict(pages.signed_in_clients())[options.page]
    for client, url in targets:
        pages.get(client, url)
    profiler = cProfile.Profile()
    profiler.enable()
    for number in range(options.requests):
        client, url = targets[number % len(targets)]
        pages.get(client, url)
    profiler.disable()
    if options.output:
        profiler.dump_stats(options.output)
    for key in options.sort.split(","):
        pstats.Stats(profiler).strip_dirs().sort_stats(key).print_stats(options.lines)


if __name__ == "__main__":
    main()
