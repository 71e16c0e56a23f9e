"""House rules that a reviewer would otherwise have to remember (STYLE.md)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "crm", "tickets", "helpdesk"]


def modules(name):
    for app in APPS:
        yield from (ROOT / app).glob(name)


def test_views_never_query_tickets_directly():
    """Views reach tickets through tickets.access (ARCHITECTURE rule 1)."""
    for path in modules("views*.py"):
        assert "Ticket.objects" not in path.read_text(), path


def test_views_and_admin_never_save_tickets_themselves():
    """Changes go through tickets.services (rule 8)."""
    for path in [*modules("views*.py"), *modules("admin.py"), *modules("forms.py")]:
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
