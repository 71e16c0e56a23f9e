"""Macros in the workspace: pick one, preview what it changes, apply it.

The picker opens from the ticket header, the composer or the `m` shortcut.
Nothing changes before the agent presses Apply on the preview; reply text
then lands in the reply editor, to be read, edited and sent by the agent.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tickets.access import get_ticket_for_user, visible_tickets
from tickets.forms import StageChangeForm, attach_errors
from tickets.models import Stage, Ticket, TicketEvent
from tickets.rendering import render_pane, view_or_404
from tickets.views.workspace import detail_changed_response

from . import actions
from .builder import builder_context, render_row
from .forms import PersonalMacroForm
from .models import Macro
from .queries import get_macro_for_user, macros_for_user

PICKER = "workflows/macro_picker.html"
BULK_MAX = 200  # as the table's other bulk actions
PREVIEWED = 20  # tickets whose changes the bulk preview lists one by one


def _macro_or_404(user, pk):
    macro = get_macro_for_user(user, pk)
    if macro is None:
        raise Http404
    return macro


@login_required
@require_GET
def macro_picker(request, pk):
    """The searchable list of the macros shared with the agent (S27 sharing)."""
    ticket = get_ticket_for_user(request.user, pk)
    search = request.GET.get("q", "")
    context = {
        "ticket": ticket,
        "macros": list(macros_for_user(request.user, search)[:50]),
        "view_slug": request.GET.get("view", ""),
        "search": search,
    }
    partial = "macro-list" if request.htmx and request.htmx.target == "macro-list" else "dialog"
    return render_pane(request, f"{PICKER}#{partial}", context)


def _questions(macro, ticket, data=None) -> StageChangeForm | None:
    """The status picker's form for what a conditional status still needs
    after the macro's own values, or None when it needs nothing."""
    stage, missing = actions.stage_questions(macro.actions, ticket)
    if stage is None:
        return None
    form = StageChangeForm(data, ticket=ticket, stage=stage, initial={"stage": stage.pk})
    for name in list(form.fields):
        if name != "stage" and name.removeprefix("prop_") not in missing:
            del form.fields[name]
    if data is not None:
        form.data = form.data.copy()
        form.data["stage"] = str(stage.pk)
    return form


def _preview_context(request, macro, ticket, form) -> dict:
    language = translation.get_language()
    return {
        "ticket": ticket,
        "macro": macro,
        "lines": actions.describe(macro.actions, ticket, language=language),
        "stage_form": form,
        "has_reply": macro.has_reply,
        "view_slug": request.GET.get("view") or request.POST.get("view", ""),
    }


@login_required
@require_GET
def macro_preview(request, pk, macro_pk):
    """What the macro would change on this ticket; writes nothing."""
    ticket = get_ticket_for_user(request.user, pk)
    macro = _macro_or_404(request.user, macro_pk)
    context = _preview_context(request, macro, ticket, _questions(macro, ticket))
    return render_pane(request, f"{PICKER}#preview", context)


@login_required
@require_POST
def macro_apply(request, pk, macro_pk):
    """Apply the macro: one timeline line per change "by macro “X”", the
    conditional status's answers from the preview form, the reply text into
    the composer (never sent)."""
    ticket = get_ticket_for_user(request.user, pk)
    macro = _macro_or_404(request.user, macro_pk)
    rows = macro.actions
    form = _questions(macro, ticket, request.POST)
    if form is not None:
        if not form.is_valid():
            return render_pane(
                request, f"{PICKER}#preview", _preview_context(request, macro, ticket, form)
            )
        answers = {
            **{k: getattr(v, "pk", v) for k, v in form.builtin_values().items()},
            **form.custom_properties(),
        }
        try:
            answers = {key: actions.clean_value(key, value) for key, value in answers.items()}
        except ValidationError as error:
            attach_errors(form, error)
            return render_pane(
                request, f"{PICKER}#preview", _preview_context(request, macro, ticket, form)
            )
        rows = actions.with_answers(rows, answers)
    applied = actions.apply(
        rows, ticket=ticket, actor=request.user, via=TicketEvent.Via.MACRO, name=macro.name
    )
    toast = ngettext(
        "Macro “%(name)s” applied: %(count)d change.",
        "Macro “%(name)s” applied: %(count)d changes.",
        len(applied.changes),
    ) % {"name": macro.local_name, "count": len(applied.changes)}
    if applied.skipped:
        toast = " ".join([toast, *applied.skipped])
    response = detail_changed_response(
        request,
        ticket,
        toast="macro",
        extra={"toast_text": toast, "macro_reply": applied.reply_html},
    )
    # The dialog goes with the answer that replaces the ticket.
    response.content += b'<div id="macro-panel" hx-swap-oob="delete"></div>'
    return response


# An agent's own macros --------------------------------------------------------------


def _may_keep_macros(user) -> bool:
    """Agents with a seat keep personal macros; shared ones are the admins'
    (Settings → Workflows)."""
    return user.has_seat


def _own_macro_or_404(user, pk):
    macro = Macro.objects.filter(owner=user, sharing=Macro.Sharing.PRIVATE, pk=pk).first()
    if macro is None:
        raise Http404
    return macro


@login_required
@require_GET
def macro_list(request):
    """My macros: the agent's own, and the shared ones they may apply."""
    if not _may_keep_macros(request.user):
        raise PermissionDenied
    macros = list(macros_for_user(request.user).prefetch_related("teams"))
    return render(
        request,
        "workflows/macro_list.html",
        {
            "own": [m for m in macros if m.owner_id == request.user.pk and not m.is_shared],
            "shared": [m for m in macros if m.is_shared or m.owner_id != request.user.pk],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def macro_edit(request, pk=None):
    """Create or change one of the agent's private macros with the builder."""
    if not _may_keep_macros(request.user):
        raise PermissionDenied
    macro = _own_macro_or_404(request.user, pk) if pk else None
    form = PersonalMacroForm(request.POST or None, instance=macro, owner=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Macro saved."))
        return redirect("workflows:macro_list")
    return render(
        request,
        "workflows/macro_form.html",
        {
            "form": form,
            "macro": macro,
            **builder_context(form, row_url=reverse("workflows:action_row")),
        },
    )


@login_required
@require_POST
def macro_delete(request, pk):
    if not _may_keep_macros(request.user):
        raise PermissionDenied
    _own_macro_or_404(request.user, pk).delete()
    messages.success(request, _("Macro deleted."))
    return redirect("workflows:macro_list")


@login_required
@require_GET
def action_row(request):
    """One row of the builder for the agent's own macros."""
    if not _may_keep_macros(request.user):
        raise PermissionDenied
    return render_row(request, reverse("workflows:action_row"))


# Bulk apply from the table -------------------------------------------------------------


@login_required
@require_GET
def macro_options(request):
    """The table's "Apply macro…" choices: the macros shared with the agent."""
    macros = list(macros_for_user(request.user))
    return render(request, "workflows/bulk_macro.html#macro-options", {"macros": macros})


def _bulk_rows(macro) -> list[dict]:
    """What a macro does in bulk: everything but the reply text, which an
    agent reads and sends ticket by ticket."""
    return [row for row in macro.actions if actions.ACTIONS[row["type"]].in_bulk]


def _bulk_questions(rows, data=None) -> StageChangeForm | None:
    """What the macro's conditional status needs and the macro does not set,
    asked once for every selected ticket (as the table's status change does)."""
    stage = next(
        (Stage.objects.filter(pk=r["stage"]).first() for r in rows if r["type"] == "set_status"),
        None,
    )
    if stage is None:
        return None
    blank = Ticket(pipeline=stage.pipeline)  # no values: ask all the macro leaves open
    _stage, missing = actions.stage_questions(rows, blank)
    if not missing:
        return None
    if data is not None:
        data = data.copy()
        data["stage"] = str(stage.pk)
    form = StageChangeForm(data, ticket=blank, stage=stage, initial={"stage": stage.pk})
    for name in list(form.fields):
        if name != "stage" and name.removeprefix("prop_") not in missing:
            del form.fields[name]
    return form


@login_required
@require_POST
def macro_bulk(request, slug):
    """Apply a macro to the tickets selected in the table: first a preview of
    what changes on each (and the conditional status's questions), then, on
    confirmation, each ticket in its own transaction, with its timeline."""
    view = view_or_404(request.user, slug)
    table = reverse("tickets:view_list", args=[view.slug])
    back = request.POST.get("back", "")
    back = back if back.startswith(table) else table
    macro = get_macro_for_user(request.user, request.POST.get("macro_value", ""))
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()][:BULK_MAX]
    tickets = list(
        visible_tickets(request.user)
        .filter(pk__in=ids)
        .select_related("pipeline", "stage", "owner", "team")
        .order_by("-last_activity_at", "-id")
    )
    if macro is None or not tickets:
        messages.error(request, _("Select tickets and a macro."))
        return redirect(back)
    rows = _bulk_rows(macro)
    form = _bulk_questions(rows, request.POST if "confirm" in request.POST else None)
    if "confirm" not in request.POST or (form is not None and not form.is_valid()):
        language = translation.get_language()
        context = {
            "view": view,
            "macro": macro,
            "tickets": tickets,
            "back": back,
            "form": form,
            "previews": [
                (t, actions.describe(rows, t, language=language)) for t in tickets[:PREVIEWED]
            ],
            "more": max(0, len(tickets) - PREVIEWED),
            "leaves_reply": len(rows) < len(macro.actions),
        }
        return render(request, "workflows/bulk_macro.html", context)
    if form is not None:
        answers = {
            **{k: getattr(v, "pk", v) for k, v in form.builtin_values().items()},
            **form.custom_properties(),
        }
        rows = actions.with_answers(
            rows, {key: actions.clean_value(key, value) for key, value in answers.items()}
        )
    changed, skipped = 0, []
    for ticket in tickets:
        applied = actions.apply(
            rows, ticket=ticket, actor=request.user, via=TicketEvent.Via.MACRO, name=macro.name
        )
        changed += bool(applied.changes)
        skipped += [f"#{ticket.pk}: {reason}" for reason in applied.skipped]
    messages.success(
        request,
        ngettext(
            "Macro “%(name)s” changed %(count)d ticket.",
            "Macro “%(name)s” changed %(count)d tickets.",
            changed,
        )
        % {"name": macro.local_name, "count": changed},
    )
    for reason in skipped[:10]:
        messages.warning(request, reason)
    return redirect(back)
