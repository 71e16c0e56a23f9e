"""Liveness and readiness for load balancers and orchestrators (issue 22).

/healthz answers as long as the process serves requests; it touches nothing.
/readyz answers 200 only when this process can do its work: the database and
(when configured) Redis reachable, and every migration applied. A replica
started before `migrate` finished stays out of rotation until it has.

Both are answered by the first middleware, before anything reads the Host
header or redirects to HTTPS: probes call the container by its address, in
plain HTTP. They are plain text, never cached, need no sign-in, and say which
check failed but nothing else about the installation.
"""

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

_migrated = False  # once every migration is applied, it stays so for the process


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "database unreachable"
    return None


def _redis() -> str | None:
    if not settings.REDIS_URL:
        return None
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except redis.RedisError:
        return "redis unreachable"
    return None


def _migrations() -> str | None:
    global _migrated
    if _migrated:
        return None
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return "migrations pending"
    _migrated = True
    return None


def healthz() -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


def readyz() -> HttpResponse:
    problem = _database() or _redis() or _migrations()
    if problem:
        return HttpResponse(f"{problem}\n", status=503, content_type="text/plain")
    return HttpResponse("ready\n", content_type="text/plain")


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = probe()
        add_never_cache_headers(response)
        return response
