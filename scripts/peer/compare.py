"""Our pages side by side with the peer's (django-helpdesk 2.6.1), issue 22.

Both servers must be running (gunicorn, 2 workers each, see README.md). Each
pair of pages is measured with the same client on both sides: wrk (2 threads,
8 connections, --seconds each, after a 2 s warm-up on 2 connections) and a
sequential client (--warmup requests, then --requests timed: p50/p95 ms).

    .venv/bin/python scripts/peer/compare.py \
        --ours http://127.0.0.1:8701 --peer http://127.0.0.1:8702 [--seconds 15]

Signing in, on each side, the first that applies:
  --ours-cookie 'sessionid=...'            a session of yours
  --ours-user U --ours-password P          our sign-in form (/accounts/login/)
  DATABASE_URL (or --ours-db)              a session made in our database for
                                           the bench agent, as bench_http does
  --peer-cookie 'sessionid=...'
  --peer-user/--peer-password              the peer's sign-in form (/login/);
                                           default peeragent, seeded by peer_seed
What is measured on our side (the 8-message ticket, the team and stage, the
rare words) is found in our database through DATABASE_URL (the lead's bench
database, after `manage.py bench`), unless given: --ours-ticket,
--ours-team, --ours-stage, --ours-rare, --ours-korean. On the peer's side,
in its database (--peer-db, default helpdesk_peer): --peer-ticket,
--peer-queue, --peer-rare, --peer-korean override.

The peer's ticket list is a page without rows: its table asks for them and
their count in a second request (datatables_ticket_list, JSON). Ours shows
its rows in the page and, where its count is not in it, asks for the count in
a second request. Each list pair therefore reports both requests of each side
and a "= page" line: the two requests' throughputs combined (1/(1/a+1/b))
and their latencies added, what a person opening the page waits for.
"""

import argparse
import html
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PEER_DB = "postgres://postgres@127.0.0.1:5432/helpdesk_peer"
# What DataTables sends for the first page (the template sets `order: []`, so
# the server sorts as the query says).
DATATABLES = {
    "draw": "1",
    "start": "0",
    "length": "50",  # the peer agent's page size, seeded as ours (50 rows)
    "search[value]": "",
    "search[regex]": "false",
}


@dataclass
class Request:
    """One HTTP request of a page, and what must be in its answer."""

    label: str
    url: str
    expect: str  # a string the answer must hold (not a sign-in page)
    figures: dict = field(default_factory=dict)


@dataclass
class Side:
    name: str
    base: str
    cookie: str
    requests: list[Request] = field(default_factory=list)


# Signing in ---------------------------------------------------------------


def form_login(base: str, path: str, username: str, password: str) -> str:
    """Sign in through a Django sign-in form; the session cookie as a header value."""
    session = requests.Session()
    page = session.get(base + path, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not token:
        sys.exit(f"{base}{path}: no sign-in form found (HTTP {page.status_code})")
    answer = session.post(
        base + path,
        data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
        headers={"Referer": base + path},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        sys.exit(f"{base}{path}: signing in as {username} failed (HTTP {answer.status_code})")
    return f"sessionid={session.cookies['sessionid']}"


def ours_django(database_url: str):
    """Our project, set up on our database (bench_http's session, the bench
    agent's tickets): needs DATABASE_URL and our settings' environment."""
    os.environ["DATABASE_URL"] = database_url
    for key, value in {
        "DEBUG": "false",
        "SECURE": "false",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "SECRET_KEY": os.environ.get(
            "SECRET_KEY", "compare-only-not-secret-0123456789abcdef0123456789abcdef"
        ),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    }.items():
        os.environ.setdefault(key, value)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# What each side measures ----------------------------------------------------


def ours_subjects(args) -> dict:
    """The bench agent's 8-message ticket, team, the "Waiting on us" stage and
    the rare words, as `manage.py bench` measures them, from our database."""
    found = {}
    if args.ours_db:
        ours_django(args.ours_db)
        from accounts.models import User
        from conversations.models import Message
        from tickets.models import Stage, Ticket

        agent = (
            User.objects.filter(username__regex=r"^bench[0-9]+$", owned_tickets__is_open=True)
            .order_by("pk")
            .first()
        )
        if agent is None:
            sys.exit("our database holds no bench agent: run `manage.py bench` on it first")
        found["agent"] = agent
        # bench.py's long_thread(agent, size=8, position=2)
        ticket = (
            Ticket.objects.filter(is_open=True, owner=agent).order_by("id")[2:3].first()
            or Ticket.objects.filter(is_open=True, owner=agent).order_by("-id").first()
        )
        found["ticket"] = ticket.pk
        found["ticket_name"] = ticket.name
        found["ticket_messages"] = Message.objects.filter(ticket=ticket).count()
        found["team"] = agent.main_team_id
        stage = Stage.objects.filter(name="Waiting on us").order_by("pk").first()
        found["stage"] = stage.pk if stage else None
        latest = [t.description.split()[-1] for t in Ticket.objects.order_by("-id")[:50]]
        found["rare"] = next((w for w in latest if w.isascii()), None)
        found["korean"] = next((w for w in latest if not w.isascii()), None)
    for key in ("ticket", "team", "stage", "rare", "korean"):
        given = getattr(args, f"ours_{key}")
        if given is not None:
            found[key] = given
    missing = [k for k in ("ticket", "team", "stage", "rare", "korean") if found.get(k) is None]
    if missing:
        sys.exit(f"ours: give DATABASE_URL or --ours-{' --ours-'.join(missing)}")
    return found


def peer_subjects(args) -> dict:
    import psycopg

    found = {}
    with psycopg.connect(args.peer_db) as db:
        row = db.execute(
            "SELECT t.id, t.title FROM helpdesk_ticket t JOIN helpdesk_followup f "
            "ON f.ticket_id = t.id WHERE t.title LIKE 'Bench %%' GROUP BY t.id "
            "HAVING count(*) = 8 ORDER BY t.id LIMIT 1"
        ).fetchone()
        if row:
            found["ticket"], found["ticket_name"] = row
        row = db.execute("SELECT id FROM helpdesk_queue WHERE slug = 'bench0'").fetchone()
        found["queue"] = row[0] if row else None
        latest = [
            d.split()[-1]
            for (d,) in db.execute(
                "SELECT description FROM helpdesk_ticket ORDER BY id DESC LIMIT 50"
            )
        ]
        found["rare"] = next((w for w in latest if w.isascii()), None)
        found["korean"] = next((w for w in latest if not w.isascii()), None)
    for key in ("ticket", "queue", "rare", "korean"):
        given = getattr(args, f"peer_{key}")
        if given is not None:
            found[key] = given
    missing = [k for k in ("ticket", "queue", "rare", "korean") if found.get(k) is None]
    if missing:
        sys.exit(f"peer: run peer_seed, or give --peer-{' --peer-'.join(missing)}")
    return found


def pairs(ours: dict, peer: dict) -> list[tuple[str, str, str]]:
    """(name, our path, the peer's path)."""
    q = urllib.parse.urlencode
    return [
        (
            "open list, oldest first",
            "/views/all-open/list/?" + q({"sort": "created_at"}),
            "/tickets/?" + q([("status", 1), ("status", 2), ("sort", "created")]),
        ),
        (
            "open list, newest first",
            "/views/all-open/list/?" + q({"sort": "-created_at"}),
            "/tickets/?"
            + q([("status", 1), ("status", 2), ("sort", "created"), ("sortreverse", "on")]),
        ),
        (
            "team + status list",
            "/views/all/list/?"
            + q({"team": ours["team"], "stage": ours["stage"], "sort": "-last_activity_at"}),
            "/tickets/?"
            + q(
                [
                    ("queue", peer["queue"]),
                    ("status", 1),
                    ("sort", "last_followup"),
                    ("sortreverse", "on"),
                ]
            ),
        ),
        (
            "search rare word",
            "/views/all/list/?" + q({"q": ours["rare"]}),
            "/tickets/?" + q({"q": peer["rare"]}),
        ),
        (
            "search Korean word",
            "/views/all/list/?" + q({"q": ours["korean"]}),
            "/tickets/?" + q({"q": peer["korean"]}),
        ),
        (
            "ticket page, 8 messages",
            f"/views/mine/tickets/{ours['ticket']}/",
            f"/tickets/{peer['ticket']}/",
        ),
    ]


def get(side: Side, url: str) -> requests.Response:
    answer = requests.get(url, headers={"Cookie": side.cookie}, allow_redirects=False, timeout=120)
    if answer.status_code != 200:
        where = answer.headers.get("Location", "")
        sys.exit(f"{side.name}: {url} answered {answer.status_code} {where}")
    return answer


def expand(side: Side, path: str, is_list: bool, ticket_name: str) -> list[Request]:
    """The requests a person's browser makes for the page (past static files)."""
    url = side.base + path
    page = get(side, url)
    if side.name == "ours":
        if not is_list:
            need = html.escape(ticket_name) if ticket_name else "<html"
            return [Request("page", url, need)]
        found = [Request("page", url, 'id="table-count"')]
        deferred = re.search(r'id="table-count"[^>]*hx-get="([^"]+)"', page.text)
        if deferred:
            count = html.unescape(deferred.group(1))
            count = re.sub(r"\{\{.*?\}\}", "", count)
            found.append(Request("count", urllib.parse.urljoin(url, count), "table-count"))
        return found
    if not is_list:
        return [Request("page", url, html.escape(ticket_name) if ticket_name else "<html")]
    query = re.search(r"datatables_ticket_list/([A-Za-z0-9+/=]*)", page.text)
    if not query:
        sys.exit(f"peer: {url} holds no datatables_ticket_list URL")
    rows = (
        f"{side.base}/datatables_ticket_list/{urllib.parse.quote(query.group(1), safe='')}"
        f"?{urllib.parse.urlencode(DATATABLES)}"
    )
    return [Request("page", url, 'id="ticketTable"'), Request("rows", rows, '"recordsFiltered"')]


def check(side: Side, request: Request) -> str:
    """The answer is the page (not a sign-in form), and what it shows."""
    answer = get(side, request.url)
    body = answer.text
    if request.expect not in body or 'name="password"' in body:
        sys.exit(f"{side.name}: {request.url} is not the page (no {request.expect!r})")
    if request.label == "rows":
        data = answer.json()
        return f"{data['recordsFiltered']:,} found, {len(data['data'])} rows"
    if request.label == "count":
        text = re.sub(r"<[^>]+>", " ", body)
        return " ".join(text.split())[:40]
    return f"{len(body) // 1024} KiB, {len(re.findall(r'<tr[ >]', body))} <tr>"


# Measuring ------------------------------------------------------------------


def run_wrk(wrk: str, url: str, cookie: str, seconds: int, connections: int) -> dict:
    # A slow page must not be cut at wrk's 2 s default (a timeout is left out
    # of its figures, only counted as a socket error).
    header = ["-H", f"Cookie: {cookie}", "--timeout", "120s"]
    subprocess.run(
        [wrk, "-t2", "-c2", f"-d{min(2, seconds)}s", *header, url],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *header, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"\s(50|90|99)%\s+([\d.]+\w+)", out))
    return {
        "rps": rate,
        "wrk_p50": latency.get("50"),
        "wrk_p99": latency.get("99"),
        "non_2xx": int(failed.group(1)) if failed else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def run_sequential(url: str, cookie: str, warmup: int, count: int) -> dict:
    session = requests.Session()
    headers = {"Cookie": cookie}
    for _ in range(warmup):
        session.get(url, headers=headers, allow_redirects=False, timeout=120)
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        answer = session.get(url, headers=headers, allow_redirects=False, timeout=120)
        answer.content  # noqa: B018 - read it all
        timings.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            sys.exit(f"{url}: HTTP {answer.status_code} during the sequential run")
    ordered = sorted(timings)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
    }


def combined(figures: list[dict]) -> dict:
    """Two requests one after the other: throughput 1/(1/a+1/b), times added."""
    return {
        "rps": 1 / sum(1 / f["rps"] for f in figures) if all(f["rps"] for f in figures) else 0,
        "p50": sum(f["p50"] for f in figures),
        "p95": sum(f["p95"] for f in figures),
    }


def load() -> str:
    return ", ".join(f"{n:.2f}" for n in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ours", default="http://127.0.0.1:8701")
    parser.add_argument("--peer", default="http://127.0.0.1:8702")
    parser.add_argument("--ours-cookie")
    parser.add_argument("--peer-cookie")
    parser.add_argument("--ours-user")
    parser.add_argument("--ours-password")
    parser.add_argument("--peer-user", default="peeragent")
    parser.add_argument("--peer-password", default="peer-agent-password")
    parser.add_argument("--ours-db", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--peer-db", default=os.environ.get("PEER_DATABASE_URL", PEER_DB))
    parser.add_argument("--ours-ticket", type=int)
    parser.add_argument("--ours-team", type=int)
    parser.add_argument("--ours-stage", type=int)
    parser.add_argument("--ours-rare")
    parser.add_argument("--ours-korean")
    parser.add_argument("--peer-ticket", type=int)
    parser.add_argument("--peer-queue", type=int)
    parser.add_argument("--peer-rare")
    parser.add_argument("--peer-korean")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", default="", help="measure only pairs whose name holds this")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--check", action="store_true", help="check the pages, measure nothing")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    args.ours, args.peer = args.ours.rstrip("/"), args.peer.rstrip("/")

    ours_found = ours_subjects(args)
    peer_found = peer_subjects(args)
    if args.ours_cookie:
        ours_cookie = args.ours_cookie
    elif args.ours_user:
        ours_cookie = form_login(args.ours, "/accounts/login/", args.ours_user, args.ours_password)
    elif "agent" in ours_found:
        from helpdesk.management.commands.bench_http import session_cookie

        ours_cookie = session_cookie(ours_found["agent"])
    else:
        sys.exit("ours: give --ours-cookie, --ours-user/--ours-password or DATABASE_URL")
    peer_cookie = args.peer_cookie or form_login(
        args.peer, "/login/", args.peer_user, args.peer_password
    )
    ours = Side("ours", args.ours, ours_cookie)
    peer = Side("peer", args.peer, peer_cookie)
    if ours_found.get("ticket_messages") not in (None, 8):
        print(
            f"note: our ticket {ours_found['ticket']} has {ours_found['ticket_messages']} "
            "messages, not 8 (`manage.py bench` adds them)"
        )

    plan = []
    for name, our_path, peer_path in pairs(ours_found, peer_found):
        if args.only and args.only not in name:
            continue
        is_list = "ticket page" not in name
        ours_requests = expand(ours, our_path, is_list, ours_found.get("ticket_name", ""))
        peer_requests = expand(peer, peer_path, is_list, peer_found.get("ticket_name", ""))
        plan.append((name, ours_requests, peer_requests))

    print(f"ours: {args.ours}   peer: {args.peer} (django-helpdesk 2.6.1)")
    print(f"ours: { {k: v for k, v in ours_found.items() if k != 'agent'} }")
    print(f"peer: {peer_found}")
    for name, ours_requests, peer_requests in plan:
        print(f"\n{name}")
        for side, reqs in ((ours, ours_requests), (peer, peer_requests)):
            for r in reqs:
                print(f"  {side.name} {r.label:5} {check(side, r):>28}  {r.url}")
    if args.check:
        return

    started_load = load()
    print(
        f"\nwrk -t2 -c{args.connections} -d{args.seconds}s; sequential {args.requests} "
        f"after {args.warmup}; load average at start {started_load}\n"
    )
    header = (
        f"{'page':44} {'ours req/s':>10} {'peer req/s':>10} {'ratio':>6} "
        f"{'ours p50/p95 ms':>16} {'peer p50/p95 ms':>16}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for name, ours_requests, peer_requests in plan:
        for side, reqs in ((ours, ours_requests), (peer, peer_requests)):
            for r in reqs:
                r.figures = run_wrk(wrk, r.url, side.cookie, args.seconds, args.connections)
                r.figures |= run_sequential(r.url, side.cookie, args.warmup, args.requests)
                if r.figures["non_2xx"] or r.figures["socket_errors"]:
                    print(
                        f"  ! {side.name} {r.label}: {r.figures['non_2xx']} answers not 2xx, "
                        f"socket errors: {r.figures['socket_errors'] or 'none'}"
                    )
        labels = []
        for label in ("page", "count", "rows"):
            o = next((r.figures for r in ours_requests if r.label == label), None)
            p = next((r.figures for r in peer_requests if r.label == label), None)
            if o or p:
                labels.append((label, o, p))
        if len(ours_requests) > 1 or len(peer_requests) > 1:
            labels.append(
                (
                    "= page",
                    combined([r.figures for r in ours_requests]),
                    combined([r.figures for r in peer_requests]),
                )
            )
        for label, o, p in labels:
            title = name if label == "page" else f"  {label} request"
            if label == "= page":
                title = "  = page (both requests)"
            print(row(title, o, p))
        results.append(
            {
                "pair": name,
                "ours": [{"label": r.label, "url": r.url, **r.figures} for r in ours_requests],
                "peer": [{"label": r.label, "url": r.url, **r.figures} for r in peer_requests],
            }
        )
    ended_load = load()
    print(f"\nload average at start {started_load}, at end {ended_load}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "load_start": started_load,
                    "load_end": ended_load,
                    "seconds": args.seconds,
                    "connections": args.connections,
                    "results": results,
                },
                indent=2,
                ensure_ascii=False,
            )
        )


def row(title: str, o: dict | None, p: dict | None) -> str:
    def rps(f):
        return f"{f['rps']:10.1f}" if f else f"{'-':>10}"

    def ms(f):
        return f"{f['p50']:7.1f}/{f['p95']:<8.1f}" if f else f"{'-':>16}"

    ratio = f"{o['rps'] / p['rps']:6.2f}" if o and p and p["rps"] else f"{'-':>6}"
    return f"{title[:44]:44} {rps(o)} {rps(p)} {ratio} {ms(o):>16} {ms(p):>16}"


if __name__ == "__main__":
    main()
