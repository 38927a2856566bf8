#!/usr/bin/env bash
# Make sure a PostgreSQL server is installed (Debian's package) for the database tests.
# The tests start their own throw-away server (tools/services/postgres_server.py) and stop it.
# Without root or apt-get the step is skipped: the PostgreSQL tests then skip with the reason.
set -euo pipefail

found() {
    command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if found; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: PostgreSQL is not installed and cannot be installed here (needs root and apt-get);" \
         "the PostgreSQL tests will skip" >&2
    exit 0
fi
echo "postgres.sh: installing Debian's postgresql package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || echo "postgres.sh: apt-get update failed; trying the install with the current lists" >&2
if ! apt-get install -y -qq postgresql >/dev/null; then
    echo "postgres.sh: apt-get install postgresql failed; the PostgreSQL tests will skip" >&2
fi
