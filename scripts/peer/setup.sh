#!/usr/bin/env bash
# The peer product of issue 22, django-helpdesk 2.6.1, in a venv of its own
# (/work/main/.peer/venv) with a minimal project (scripts/peer/peer_site) on
# its own PostgreSQL database. Idempotent: run it again at will.
#
#   scripts/peer/setup.sh
#   PEER_DB=helpdesk_peer PGHOST=127.0.0.1 PGUSER=postgres (defaults)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.peer/venv"
PEER_DB="${PEER_DB:-helpdesk_peer}"
export PGHOST="${PGHOST:-127.0.0.1}" PGUSER="${PGUSER:-postgres}"
export PEER_DATABASE_URL="${PEER_DATABASE_URL:-postgres://$PGUSER@$PGHOST:5432/$PEER_DB}"
PYTHON="${PYTHON:-python3}"

# What is installed, pinned: the peer release, a Django it supports (>= 5.2),
# a PostgreSQL driver and the same gunicorn as ours.
REQUIREMENTS=(
  "django-helpdesk==2.6.1"
  "Django>=5.2,<5.3"
  "psycopg[binary]>=3.2,<4"
  "gunicorn>=23"
)
STAMP="$VENV/.installed-$(printf '%s\n' "${REQUIREMENTS[@]}" | cksum | cut -d' ' -f1)"

if [ ! -f "$STAMP" ]; then
  test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
  nice -n 19 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "${REQUIREMENTS[@]}"
  rm -f "$VENV"/.installed-* && touch "$STAMP"
fi

if ! psql -d "$PEER_DB" -Atc "select 1" >/dev/null 2>&1; then
  createdb "$PEER_DB"
fi

cd "$HERE"
nice -n 19 "$VENV/bin/python" manage.py migrate --no-input -v0
echo "peer: django-helpdesk $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("django-helpdesk"))'), Django $("$VENV/bin/python" -c 'import django; print(django.get_version())'), database $PEER_DB"
