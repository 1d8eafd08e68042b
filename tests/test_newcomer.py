"""A newcomer's two commands: `make test` installs or names the Debian packages it needs, the licence that
pyproject.toml declares is in the repository."""

import os
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "install-system-packages.sh"
PACKAGES = [
    "chromium",
    "chromium-l10n",
    "poppler-utils",
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "fonts-dejavu-core",
]


def test_the_licence_pyproject_declares_is_in_the_repository():
    licence = (ROOT / "LICENSE").read_text()
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]

    assert declared == "AGPL-3.0-or-later"
    assert licence.split("\n")[0].strip() == "GNU AFFERO GENERAL PUBLIC LICENSE"
    assert licence.split("\n")[1].strip() == "Version 3, 19 November 2007"
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in licence
    assert licence.rstrip().endswith("<https://www.gnu.org/licenses/>.")
    assert len(licence.splitlines()) == 661


@pytest.fixture
def fake_system(tmp_path):
    """`dpkg-query`, `id` and `apt-get` stand-ins on the PATH: which packages are installed, who runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    installed = tmp_path / "installed"

    def command(name, body):
        path = bin_dir / name
        path.write_text("#!/bin/bash\n" + body)
        path.chmod(0o755)

    command(
        "dpkg-query",
        f'package="${{@: -1}}"\nif grep -qx "$package" {installed}; then printf installed; exit 0; fi\nexit 1\n',
    )
    command("apt-get", f'echo "$@" >> {log}\n')

    def run(*, present, uid):
        installed.write_text("".join(f"{name}\n" for name in present))
        command("id", f"echo {uid}\n")
        environment = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        started = time.monotonic()
        result = subprocess.run(
            ["bash", str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=30
        )
        result.seconds = time.monotonic() - started
        result.apt = log.read_text().splitlines() if log.exists() else []
        return result

    return run


def test_with_everything_installed_the_script_is_silent_and_quick(fake_system):
    result = fake_system(present=PACKAGES, uid=1000)

    assert (result.returncode, result.stdout, result.stderr, result.apt) == (0, "", "", [])
    assert result.seconds < 5


def test_without_root_the_script_stops_at_once_with_the_command_to_run(fake_system):
    result = fake_system(present=["fonts-dejavu-core", "libpango-1.0-0"], uid=1000)

    assert result.returncode == 1
    assert result.apt == []
    assert (
        "sudo apt-get update && sudo apt-get install -y chromium chromium-l10n poppler-utils libpangoft2-1.0-0 "
        "libharfbuzz-subset0" in result.stderr
    )


def test_as_root_the_script_installs_only_what_is_missing(fake_system):
    result = fake_system(
        present=[name for name in PACKAGES if name not in {"chromium", "chromium-l10n", "poppler-utils"}],
        uid=0,
    )

    assert result.returncode == 0, result.stderr
    assert result.apt == ["update -qq", "install -y -qq chromium chromium-l10n poppler-utils"]


def test_the_machine_has_what_the_script_installs():
    """The script run for real: idempotent here, where CI already ran it."""
    result = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert Path("/usr/bin/chromium").exists()
    assert Path("/usr/bin/pdftoppm").exists()


def test_make_test_and_ci_both_run_the_script_first():
    makefile = (ROOT / "Makefile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()

    assert "test: system-packages install\n" in makefile
    assert "system-packages:\n\tbash scripts/install-system-packages.sh\n" in makefile
    assert "bash scripts/install-system-packages.sh" in ci
    assert "apt-get" not in ci
