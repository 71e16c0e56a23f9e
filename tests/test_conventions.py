"""House rules that a reviewer would otherwise have to remember (docs/architecture.md)."""

import ast
import inspect
import re
import sys
import textwrap
from pathlib import Path

from django.urls import URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "accounts",
    "crm",
    "tickets",
    "conversations",
    "channels_inbound",
    "sla",
    "reports",
    "workflows",
    "portal",
    "surveys",
    "library",
    "helpdesk",
    "api",
]
# Views reach these only through the access helpers and the query modules.
DIRECT_QUERY = re.compile(r"\b(Ticket|Message|Attachment)\.objects\b(?!\.none\(\))")


def routed_views():
    """Every view function of ours that a URL leads to, unwrapped from its
    decorators: found through the URL configuration, so a new app or a new
    module of views is covered without being listed here."""
    found, patterns = {}, list(get_resolver().url_patterns)
    while patterns:
        pattern = patterns.pop()
        if isinstance(pattern, URLResolver):
            patterns.extend(pattern.url_patterns)
            continue
        view = inspect.unwrap(getattr(pattern.callback, "view_class", pattern.callback))
        module = sys.modules[view.__module__]
        if Path(module.__file__).resolve().is_relative_to(ROOT):
            found[f"{view.__module__}.{view.__qualname__}"] = view
    return found


def view_source(view) -> str:
    """The view's own code and that of the module's private helpers it calls."""
    module = sys.modules[view.__module__]
    source = textwrap.dedent(inspect.getsource(view))
    for name in set(re.findall(r"\b(_\w+)\(", source)):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__:
            source += textwrap.dedent(inspect.getsource(helper))
    return source


def modules(name):
    for app in APPS:
        yield from (ROOT / app).glob(name)


def test_the_view_list_covers_every_app_with_urls():
    apps = {name.split(".")[0] for name in routed_views()}
    assert {"accounts", "tickets", "conversations", "channels_inbound", "sla"} <= apps
    assert "conversations.views.manage.ticket_split" in routed_views()


def test_views_never_query_tickets_messages_or_files_directly():
    """Views reach tickets, messages and files through the access helpers and
    the query modules (ARCHITECTURE rule 1), whatever module they live in."""
    offenders = [
        f"{name}: {match.group(0)}"
        for name, view in routed_views().items()
        for match in DIRECT_QUERY.finditer(view_source(view))
    ]
    assert not offenders, offenders


def test_api_endpoints_never_query_tickets_messages_or_files_directly():
    """The REST API's endpoints (django-ninja routes, which the URL walk
    above does not reach) go through the access helpers too."""
    offenders = [
        f"{path.name}: {match.group(0)}"
        for path in [*modules("endpoints/*.py"), ROOT / "api" / "serialize.py"]
        for match in DIRECT_QUERY.finditer(path.read_text())
    ]
    assert not offenders, offenders


def test_views_and_admin_never_save_tickets_themselves():
    """Changes go through tickets.services (ARCHITECTURE rule 8)."""
    for path in [
        *modules("views/*.py"),
        *modules("endpoints/*.py"),
        *modules("views.py"),
        *modules("admin.py"),
        *modules("forms.py"),
    ]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"save", "update", "delete"}:
                owner = ast.unparse(node.value)
                assert "ticket" not in owner.lower(), f"{path}: {owner}.{node.attr}"


def test_visibility_lives_in_access_only():
    """Only tickets/access.py reads the visibility scope."""
    for path in ROOT.glob("*/*.py"):
        if path.name == "access.py" or path.parent.name in {"tests", "accounts"}:
            continue
        assert "Visibility.TEAMS" not in path.read_text(), path
