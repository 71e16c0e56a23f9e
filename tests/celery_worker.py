"""A real Celery worker on Redis, sharing the PostgreSQL test database, for the
integration tests of background work."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def _redis_url() -> str:
    """REDIS_TEST_URL's database for the first pytest-xdist process, the ones
    below it for the others, so that parallel worker tests share no queue."""
    base = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    head, _, number = base.rpartition("/")
    return f"{head}/{int(number or 0) - int(worker.removeprefix('gw'))}"


REDIS_URL = _redis_url()


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def require_worker_setup() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker shares the test database")
    if not redis_reachable():
        pytest.skip(f"needs Redis at {REDIS_URL}")


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def start_worker(concurrency: int = 2, beat_schedule: str = "", **env_extra) -> subprocess.Popen:
    """A worker in its own process group (so a test can kill it whole); with
    `beat_schedule` (a file path) it also runs beat."""
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
            f"{settings['PORT']}/{settings['NAME']}"
        ),
        "REDIS_URL": REDIS_URL,
        **env_extra,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            f"--concurrency={concurrency}",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *(["--beat", f"--schedule={beat_schedule}"] if beat_schedule else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_worker(process: subprocess.Popen, kill: bool = False) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
