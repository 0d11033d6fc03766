#!/usr/bin/env bash
# The browser tests (test/browser, `npm run test:browser`) drive Debian's Chromium with playwright-core: no
# browser download. This makes sure it is there: /usr/bin/chromium (or HOOKFLOW_CHROMIUM) as it is, else
# Debian's `chromium` package installed with apt-get (about 15 s), else a clear failure saying what to do.
set -euo pipefail

chromium="${HOOKFLOW_CHROMIUM:-/usr/bin/chromium}"
fail() {
  echo "ensure-chromium: $1" >&2
  echo "ensure-chromium: the browser tests need Chromium: on Debian/Ubuntu 'apt-get install chromium'; elsewhere install it and set HOOKFLOW_CHROMIUM to its binary" >&2
  exit 1
}

if [ -x "$chromium" ]; then
  exit 0
fi
if [ -n "${HOOKFLOW_CHROMIUM:-}" ]; then
  fail "HOOKFLOW_CHROMIUM=$chromium is not an executable file"
fi
command -v apt-get >/dev/null || fail "no $chromium and no apt-get to install it with"

sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || fail "no $chromium, and not root (no sudo) to install it"
  sudo=(sudo -n)
fi

echo "ensure-chromium: $chromium missing: installing Debian's chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || fail "apt-get update failed"
"${sudo[@]}" apt-get install -y -qq chromium >/dev/null || fail "apt-get install chromium failed"
[ -x "$chromium" ] || fail "apt-get installed chromium but $chromium is still missing"
echo "ensure-chromium: installed $("$chromium" --version 2>/dev/null | head -1)" >&2
