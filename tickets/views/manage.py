"""Managing an open ticket (S11): follow, move to another pipeline, delete and
restore, Recently deleted, and the timeline's older pages (S10). Split, merge
and moving a conversation to another inbox move messages, so they live in
conversations.views.manage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Team

from .. import queries, services
from ..access import deleted_tickets, get_ticket_for_user, may_delete
from ..forms import StageChangeForm, attach_errors
from ..models import PropertyDefinition, Stage, TicketSettings
from ..rendering import WORKSPACE, go, nav_context, next_url, posted_view, render_pane
from .workspace import event_names, property_labels


def opened_url(request, pk: int) -> str:
    """Ticket `pk` in the view the agent posted from."""
    view = posted_view(request)
    return reverse("tickets:ticket_detail", kwargs={"slug": view.slug, "pk": pk})


@login_required
@require_POST
def ticket_follow(request, pk):
    """Follow or unfollow (S11); answers with the header's button."""
    ticket = get_ticket_for_user(request.user, pk)
    services.ticket_follow(
        user=request.user, ticket=ticket, follow=request.POST.get("follow") == "1"
    )
    followers = list(ticket.followers.all())
    context = {"ticket": ticket, "followers": followers, "following": request.user in followers}
    return render(request, f"{WORKSPACE}#follow-button", context)


@login_required
@require_GET
def ticket_activity(request, pk):
    """An older page of the timeline (S10)."""
    ticket = get_ticket_for_user(request.user, pk)
    events = queries.events_for_timeline(ticket, request.GET.get("before"))
    definitions = list(PropertyDefinition.objects.all())
    names = event_names(
        ticket,
        ticket.pipeline.stages.all(),
        Team.objects.all(),
        definitions,
        events.events,
        latest=False,  # moves newer than this page may be on no page shown here
    )
    context = {
        "ticket": ticket,
        "events": events,
        "property_labels": property_labels(definitions),
        "event_names": names,
    }
    return render(request, f"{WORKSPACE}#timeline-page", context)


@login_required
@require_GET
def ticket_related(request, pk):
    """One of the sidebar's cards (S15), loaded once the ticket shows: the
    contacts' past conversations (`part=past`) or the linked tickets
    (`part=linked`). Reading a ticket does not need them, and they took a
    tenth of the pane's time (issue 22). Each card asks for itself: an
    out-of-band swap into the other card could arrive after the agent moved
    on to another ticket, with nothing left to land in."""
    part = request.GET.get("part", "")
    if part not in ("past", "linked"):
        raise Http404
    ticket = get_ticket_for_user(request.user, pk)
    context = {"ticket": ticket}
    if part == "past":
        contacts = list(ticket.contacts.values_list("pk", flat=True))
        context["past_tickets"] = queries.past_tickets_for_contacts(request.user, ticket, contacts)
    else:
        context["linked_tickets"] = queries.linked_tickets(request.user, ticket)
    return render(request, f"{WORKSPACE}#{part}-tickets", context)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_move(request, pk):
    """Move the ticket to another pipeline, mapping its status (S11)."""
    ticket = get_ticket_for_user(request.user, pk)
    others = Stage.objects.exclude(pipeline=ticket.pipeline_id)
    chosen = others.filter(pk=request.POST.get("stage") or 0).first() if request.POST else None
    form = StageChangeForm(request.POST or None, ticket=ticket, stage=chosen, stages=others)
    # Choosing a status shows what it requires; only the Move button moves.
    previewing = "preview" in request.POST
    if request.method == "POST" and not previewing and form.is_valid():
        try:
            services.ticket_move_pipeline(
                actor=request.user,
                ticket=ticket,
                stage=form.cleaned_data["stage"],
                properties=form.custom_properties(),
                expected={"pipeline": request.POST.get("was", ticket.pipeline_id)},
                **form.builtin_values(),
            )
        except ValidationError as error:
            attach_errors(form, error)
        except services.EditConflict as conflict:
            form.add_error(None, conflict.message)
        else:
            messages.success(request, _("Ticket moved to another pipeline."))
            return go(request, opened_url(request, ticket.pk))
    if previewing:
        form = StageChangeForm(ticket=ticket, stage=chosen, stages=others)
    context = {
        "ticket": ticket,
        "form": form,
        "chosen": chosen,
        "groups": queries.stages_by_pipeline(exclude_pipeline=ticket.pipeline_id),
        "view_slug": (request.POST or request.GET).get("view", ""),
    }
    return render(request, "tickets/ticket_move.html", context)


@login_required
@require_POST
def ticket_delete(request, pk):
    """Delete: to Recently deleted, restorable for the setting's days (S11)."""
    if not may_delete(request.user):
        raise PermissionDenied
    ticket = get_ticket_for_user(request.user, pk)
    services.ticket_delete(actor=request.user, ticket=ticket)
    messages.success(
        request,
        _("Ticket #%(number)s deleted. Find it in Recently deleted to restore it.")
        % {"number": ticket.pk},
    )
    view = posted_view(request)
    return go(request, next_url(request) or reverse("tickets:view_tickets", args=[view.slug]))


@login_required
@require_POST
def ticket_restore(request, pk):
    """Bring a ticket back from Recently deleted, with everything it had."""
    ticket = deleted_tickets(request.user).filter(pk=pk).first()
    if ticket is None:
        raise Http404
    services.ticket_restore(actor=request.user, ticket=ticket)
    messages.success(request, _("Ticket #%(number)s restored.") % {"number": ticket.pk})
    return go(request, reverse("tickets:ticket_open", args=[ticket.pk]))


@login_required
@require_GET
def recently_deleted(request):
    """Tickets deleted in the last days (the setting), latest first, to restore."""
    if not may_delete(request.user):
        raise PermissionDenied
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    rows, has_next = queries.recently_deleted(request.user, page)
    settings = TicketSettings.current()
    view = queries.views_for_user(request.user)[0]
    context = {
        "rows": rows,
        "page": page,
        "has_next": has_next,
        "keep_days": settings.keep_deleted_days,
        "purge_cutoff": services.purge_cutoff(),
        **nav_context(request.user, view),
        "view": None,
        "deleted_active": True,
    }
    return render_pane(request, "tickets/recently_deleted.html", context)
