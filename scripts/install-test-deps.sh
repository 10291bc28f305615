#!/usr/bin/env bash
# System packages the test suite uses: gnome-keyring (a real Secret Service for the keyring tests), dbus (its
# session bus) and tmux (the real-terminal end-to-end tests). Installed with apt-get when we are root or have
# passwordless sudo; otherwise the tests that need them are skipped with a stated reason.
set -u
need=()
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
command -v dbus-daemon >/dev/null 2>&1 || need+=(dbus)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ ${#need[@]} -eq 0 ] && { echo "test system packages: present"; exit 0; }
if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else
  echo "test system packages missing (${need[*]}) and no root: those tests will be skipped"; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get: install ${need[*]} by hand, or those tests will be skipped"; exit 0
fi
$sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
  --no-install-recommends "${need[@]}" >/dev/null && echo "installed: ${need[*]}" \
  || echo "apt-get could not install ${need[*]}: those tests will be skipped"
