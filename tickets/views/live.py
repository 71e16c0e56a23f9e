"""The live workspace (issue 19): one cheap check per list and interval says
which tickets changed; the list asks for the rows it shows only when some did.

The check answers JSON: `since` for the next check (the server's clock, never
the browser's) and the changed tickets as [id, stamp, in view, with new
activity]. The list updates the rows it shows in place, counts the others of
its view with new activity (those its top would show) in a "3 new tickets"
bar the agent clicks (rows never jump under the cursor), refreshes the
sidebar's counts and the open ticket's header.
"""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import queries
from ..rendering import WORKSPACE, render_pane, view_or_404
from .workspace import row_url

MAX_ROWS = 50  # a list page


@login_required
@require_GET
def view_changes(request, slug):
    """What changed in the agent's sight since `since` (a stamp the previous
    answer or the page gave). A missing or malformed stamp starts from now."""
    view = view_or_404(request.user, slug)
    now = timezone.now()
    since = queries.from_stamp(request.GET.get("since", "")) or now
    changes = queries.changes_since(request.user, view, min(since, now))
    response = JsonResponse(
        {
            "since": queries.stamp(now),
            "changed": [
                [c.pk, str(queries.stamp(c.changed_at)), c.in_view, c.active] for c in changes
            ],
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def view_rows(request, slug):
    """The list rows of these tickets (`ids`, comma-separated), as the list
    draws them: those the agent may no longer see are left out."""
    view = view_or_404(request.user, slug)
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()][:MAX_ROWS]
    page = queries.TicketPage(queries.rows_by_id(request.user, ids) if ids else [], None)
    context = {"view": view, "page": page, "row_url": row_url(view)}
    return render_pane(request, f"{WORKSPACE}#ticket-rows", context)
