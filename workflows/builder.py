"""Drawing the action builder: the rows of a form, and one row redrawn by
htmx for its chosen type. Shared by the settings (admin) and the agents' own
macros page."""

from django.shortcuts import render

from .forms import action_types, builder_row, read_row


def builder_context(form, *, row_url: str, for_macro: bool = True) -> dict:
    rows = form.builder_rows()
    return {
        "builder_rows": rows,
        "action_types": action_types(for_macro=for_macro),
        "row_url": row_url,
        "next_index": max((r["index"] for r in rows), default=-1) + 1,
    }


def render_row(request, row_url: str, *, for_macro: bool = True):
    index = request.GET.get("index", "0")
    index = int(index) if index.isdigit() else 0
    row = read_row(request.GET, str(index)) if request.GET.get(f"a{index}-type") else {}
    context = {
        "row": builder_row(index, row),
        "action_types": action_types(for_macro=for_macro),
        "row_url": row_url,
        "next_index": index + 1,
        "added": "add" in request.GET,
    }
    return render(request, "workflows/action_builder.html#action-row", context)
