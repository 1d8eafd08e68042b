#!/usr/bin/env bash
# The Debian packages the tests and the app need at run time, installed when missing (as root), else the
# command to run. Quick and silent when everything is there.
#   chromium                                    end-to-end tests (Playwright drives /usr/bin/chromium)
#   chromium-l10n                               its French strings (file picker, date fields) in French pages
#   poppler-utils                               pdftoppm: screenshots of generated PDFs
#   libpango-1.0-0 libpangoft2-1.0-0
#   libharfbuzz-subset0                         WeasyPrint's run-time libraries (PDF rendering)
#   fonts-dejavu-core                           one font family for browsers and PDFs
set -euo pipefail

packages=(chromium chromium-l10n poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query --show --showformat='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "== Installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
