#!/usr/bin/env bash
# The WordPress test (tests/integrations/test_wordpress.py) runs Debian's WordPress, with the
# Akismet plugin it bundles, under PHP's built-in web server against the machine's MariaDB.
# Install PHP's command line and MySQL driver when they are missing, and unpack the WordPress
# package into .cache/wordpress. Unpacked, not installed: installing it would pull in Apache and
# start it on port 80.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
updated=
apt_update() { if [ -z "$updated" ]; then $SUDO apt-get update -qq; updated=1; fi; }

if ! command -v php >/dev/null || ! php -m | grep -qx mysqli; then
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    php-cli php-mysql >/dev/null
fi

if [ ! -f .cache/wordpress/wp-settings.php ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && { apt-get download -qq wordpress 2>/dev/null || { apt_update; apt-get download -qq wordpress; }; })
  dpkg-deb -x "$work"/wordpress_*.deb "$work/unpacked"
  mkdir -p .cache
  rm -rf .cache/wordpress
  mv "$work/unpacked/usr/share/wordpress" .cache/wordpress
fi
