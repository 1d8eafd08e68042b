import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from cordee.api.urls import api

OPENAPI_FILE = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def openapi_text() -> str:
    return (
        json.dumps(
            api.get_openapi_schema(path_prefix="/api/v1"), indent=2, ensure_ascii=False, sort_keys=True
        )
        + "\n"
    )


class Command(BaseCommand):
    help = (
        "Write the API's OpenAPI description to docs/openapi.json (a test compares it with the served one)."
    )

    def handle(self, *args, **options):
        OPENAPI_FILE.write_text(openapi_text())
        self.stdout.write(f"Wrote {OPENAPI_FILE.relative_to(settings.BASE_DIR)}")
