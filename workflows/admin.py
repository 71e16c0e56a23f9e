from adminsortable2.admin import SortableAdminMixin
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse

from helpdesk.labels import labels_fieldset
from tickets.admin import SortableKeys

from .builder import builder_context, render_row
from .forms import MacroForm
from .models import Macro


@admin.register(Macro)
class MacroAdmin(SortableAdminMixin, SortableKeys, admin.ModelAdmin):
    """Macros (issue 17): a name, who may apply it (shared like custom views,
    S27) and its actions, built row by row."""

    form = MacroForm
    change_form_template = "workflows/macro_change_form.html"
    list_display = ["position", "name", "owner", "sharing", "updated_at"]
    list_filter = ["sharing"]
    search_fields = ["name"]
    readonly_fields = ["owner"]
    fieldsets = [
        (None, {"fields": ["name", "sharing", "teams", "owner"]}),
        labels_fieldset(),
    ]

    @property
    def media(self):
        return super().media + forms.Media(
            js=["vendor/htmx/htmx.min.js", "js/builder.js"],
            css={"all": ["css/builder.css"]},
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.owner = request.user  # a new macro is the admin's own
        return form

    def get_urls(self):
        view = self.admin_site.admin_view(self.action_row_view)
        return [path("action-row/", view, name="workflows_macro_action_row"), *super().get_urls()]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(builder_context(context["adminform"].form, row_url=self.row_url()))
        context["in_settings"] = True
        return super().render_change_form(request, context, add, change, form_url, obj)

    def row_url(self) -> str:
        return reverse("admin:workflows_macro_action_row")

    def action_row_view(self, request):
        """One row of the builder, redrawn for its chosen type (and key or
        status), or a new empty row."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        return render_row(request, self.row_url())


from . import rule_admin  # noqa: E402, F401  (rules register beside macros)
