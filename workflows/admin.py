from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path, reverse

from helpdesk.labels import labels_fieldset

from .forms import MacroForm, action_types, builder_row, read_row
from .models import Macro


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    """Macros (issue 17): a name, who may apply it (shared like custom views,
    S27) and its actions, built row by row."""

    form = MacroForm
    change_form_template = "workflows/macro_change_form.html"
    list_display = ["name", "owner", "sharing", "position", "updated_at"]
    list_filter = ["sharing"]
    search_fields = ["name"]
    readonly_fields = ["owner"]
    fieldsets = [
        (None, {"fields": ["name", "sharing", "teams", "position", "owner"]}),
        labels_fieldset(),
    ]

    @property
    def media(self):
        return super().media + forms.Media(
            js=["vendor/htmx/htmx.min.js", "js/admin_builder.js"],
            css={"all": ["css/builder.css"]},
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.action_row_view)
        return [path("action-row/", view, name="workflows_macro_action_row"), *super().get_urls()]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(builder_context(context["adminform"].form, row_url=self.row_url()))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def row_url(self) -> str:
        return reverse("admin:workflows_macro_action_row")

    def action_row_view(self, request):
        """One row of the builder, redrawn for its chosen type (and key or
        status), or a new empty row."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        return render_row(request, self.row_url())


def builder_context(form, *, row_url: str) -> dict:
    rows = form.builder_rows()
    return {
        "builder_rows": rows,
        "action_types": action_types(for_macro=True),
        "row_url": row_url,
        "next_index": max((r["index"] for r in rows), default=-1) + 1,
    }


def render_row(request, row_url: str):
    index = request.GET.get("index", "0")
    index = int(index) if index.isdigit() else 0
    row = read_row(request.GET, str(index)) if request.GET.get(f"a{index}-type") else {}
    context = {
        "row": builder_row(index, row),
        "action_types": action_types(for_macro=True),
        "row_url": row_url,
        "next_index": index + 1,
        "added": "add" in request.GET,
    }
    return render(request, "workflows/action_builder.html#action-row", context)
