"""Found by Huey's consumer (`run_huey` imports every installed app's `tasks` module): registers every
periodic job of the project, declared in `cordee/schedule.py`, from the top of the layers, so that no
lower app imports the apps whose ticks it runs."""

from cordee import schedule  # noqa: F401  (importing it registers the periodic jobs)
