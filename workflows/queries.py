from django.db.models import Q, TextField
from django.db.models.functions import Cast

from accounts.models import User
from tickets.queries import shared_with

from .models import Macro


def macros_for_user(user: User, search: str = ""):
    """The macros `user` may apply: their own and those shared with them,
    exactly as custom views are shared (S27). Sharing never widens which
    tickets they apply to (tickets.access decides that)."""
    if not user.is_authenticated or not user.is_active:
        return Macro.objects.none()
    macros = Macro.objects.filter(shared_with(user))
    search = search.strip()[:100]
    if search:
        macros = macros.annotate(labels_text=Cast("labels", TextField())).filter(
            Q(name__icontains=search) | Q(labels_text__icontains=search)
        )
    # Ids first: the teams join can repeat a row, and DISTINCT over the JSON
    # columns is not allowed on PostgreSQL.
    return Macro.objects.filter(pk__in=macros.values("pk")).select_related("owner")


def get_macro_for_user(user: User, pk) -> Macro | None:
    if not str(pk).isdigit():
        return None
    return macros_for_user(user).filter(pk=pk).first()
