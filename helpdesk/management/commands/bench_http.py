"""Workspace pages over HTTP (issue 22): gunicorn with 2 workers on the
current database, wrk with 8 connections, signed in as the first bench agent.
Target: the list page above 40 requests/s.

    manage.py bench_http [--seconds 20] [--connections 8]

wrk is Debian's package (`make bench` installs it as root). The in-process
figures of `manage.py bench` leave out what HTTP adds: gunicorn, the whole
middleware stack, two processes sharing two cores.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts import backends
from accounts.models import User
from tickets.models import Ticket

from .bench import bench_agent
from .bench_ingest import Command as Ingest
from .bench_ingest import free_port, spawn, wait_until_up

TARGET = 40  # requests/s of the list page


class Command(BaseCommand):
    help = "Requests per second of workspace pages under wrk, through gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=20)
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, seconds, connections, web_workers, **options):
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError("wrk is not installed: apt-get install wrk")
        agent = bench_agent()
        if agent is None:
            raise CommandError("No bench agent: run `manage.py bench` first.")
        ticket = Ticket.objects.filter(owner=agent, is_open=True).order_by("-id").first()
        pages = {
            "list page (All open, full page)": reverse("tickets:view_tickets", args=["all-open"]),
            "table, open tickets oldest first": reverse("tickets:view_list", args=["all-open"])
            + "?sort=created_at",
            "ticket page (full)": reverse("tickets:ticket_detail", args=["mine", ticket.pk]),
        }
        cookie = session_cookie(agent)
        port = free_port()
        env = Ingest().environment()  # this database, Redis, production settings
        if not Path(settings.STATIC_ROOT, "staticfiles.json").exists():
            # Production settings serve hashed static files: their manifest first.
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                cwd=settings.BASE_DIR,
                env=env,
                check=True,
            )
        web = spawn(
            [
                "-m",
                "gunicorn",
                "helpdesk.wsgi",
                f"--bind=127.0.0.1:{port}",
                f"--workers={web_workers}",
                "--log-level=warning",
            ],
            env,
        )
        load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
        self.stdout.write(
            f"\nover HTTP (gunicorn {web_workers} workers, wrk -c{connections} "
            f"-d{seconds}s; load average before {load}):"
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/inbound/email/mailgun/")
            for name, path in pages.items():
                self.measure(
                    wrk, name, f"http://127.0.0.1:{port}{path}", cookie, seconds, connections
                )
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)

    def measure(self, wrk, name, url, cookie, seconds, connections):
        subprocess.run(  # warm both workers up
            [wrk, "-t2", "-c2", f"-d{min(2, seconds)}s", "-H", f"Cookie: {cookie}", url],
            check=True,
            capture_output=True,
        )
        found = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-H",
                f"Cookie: {cookie}",
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        failed = re.search(r"Non-2xx or 3xx responses: (\d+)", found)
        if failed:
            raise CommandError(f"{name}: {failed.group(1)} answers were not 2xx:\n{found}")
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", found).group(1))
        latency = dict(re.findall(r"\s(50|90|99)%\s+([\d.]+\w+)", found))
        verdict = ""
        if name.startswith("list page"):
            verdict = f"  (target > {TARGET}/s: {'ok' if rate > TARGET else 'MISS'})"
        self.stdout.write(
            f"  {name}: {rate:.1f} requests/s, latency p50 {latency.get('50')} "
            f"p90 {latency.get('90')} p99 {latency.get('99')}{verdict}"
        )


def session_cookie(user: User) -> str:
    """The cookie of a signed-in session, as the sign-in form would leave it
    (also the peer comparison's, scripts/peer/compare.py)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = backends.PATH
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
