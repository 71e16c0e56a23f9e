from adminsortable2.admin import SortableAdminMixin
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from tickets.access import visible_tickets

from . import rule_builder, testing
from .builder import builder_context, render_row
from .forms import ActionsFormMixin
from .models import Event, Rule, WorkflowSettings


class RuleForm(ActionsFormMixin, forms.ModelForm):
    """A rule in the settings: when it runs, its conditions (rows like the
    table's advanced filters) and its actions (the macro builder's rows)."""

    for_macro = False
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    conditions_all = rule_builder.ConditionsField("all", label=_("Conditions: all of these"))
    conditions_any = rule_builder.ConditionsField(
        "any",
        label=_("Conditions: any of these"),
        help_text=_("Leave empty when the conditions above are enough."),
    )

    class Meta:
        model = Rule
        fields = [
            "name",
            "is_active",
            "trigger",
            "events",
            "moment",
            "hours",
            "business_hours",
            "conditions_all",
            "conditions_any",
            "stop_processing",
        ]
        widgets = {"trigger": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        time_based = (
            self.data.get("trigger") if self.is_bound else self.instance.trigger
        ) == Rule.Trigger.TIME
        for name in ("conditions_all", "conditions_any"):
            self.fields[name].time_based = time_based
        self.setup_rows()

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Give the rule a name."))
        return name

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("trigger") == Rule.Trigger.TIME:
            if not cleaned.get("moment"):
                self.add_error("moment", _("Choose what the hours count from."))
            if not cleaned.get("hours"):
                self.add_error("hours", _("Enter after how many hours the rule runs."))
            cleaned["events"] = []
        elif not cleaned.get("events"):
            self.add_error("events", _("Choose at least one event."))
        self.clean_actions()
        return cleaned


@admin.register(Rule)
class RuleAdmin(SortableAdminMixin, admin.ModelAdmin):
    form = RuleForm
    list_display = ["name", "trigger_text", "is_active", "status_text"]
    list_filter = ["is_active", "trigger"]
    search_fields = ["name"]
    change_form_template = "workflows/admin/rule_change_form.html"

    @property
    def media(self):
        return super().media + forms.Media(
            js=["vendor/htmx/htmx.min.js", "js/builder.js", "js/admin_rules.js"],
            css={"all": ["css/builder.css"]},
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            builder_context(
                context["adminform"].form,
                row_url=reverse("admin:workflows_rule_action_row"),
                for_macro=False,
            )
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("Runs"))
    def trigger_text(self, rule: Rule) -> str:
        if rule.trigger == Rule.Trigger.TIME:
            return f"{rule.get_moment_display()}: {rule.hours}"
        labels = dict(Event.choices)
        return ", ".join(str(labels.get(e, e)) for e in rule.events)

    @admin.display(description=_("Status"))
    def status_text(self, rule: Rule) -> str:
        if rule.disabled_reason and not rule.is_active:
            return str(_("Switched off: %(reason)s") % {"reason": rule.disabled_reason})
        return ""

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if obj.is_active:
            obj.disabled_reason = ""
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path(
                "condition-row/",
                self.admin_site.admin_view(self.condition_row_view),
                name="workflows_rule_condition_row",
            ),
            path(
                "action-row/",
                self.admin_site.admin_view(self.action_row_view),
                name="workflows_rule_action_row",
            ),
            path(
                "test/",
                self.admin_site.admin_view(self.test_view),
                name="workflows_rule_test",
            ),
            *super().get_urls(),
        ]

    def condition_row_view(self, request):
        """One condition row, re-drawn for the property and operator chosen."""
        if not self.has_change_permission(request) and not self.has_add_permission(request):
            raise Http404
        prefix = request.GET.get("prefix", "all")
        if prefix not in ("all", "any"):
            raise Http404
        index = request.GET.get("index", "")
        index = index if index.isdigit() else rule_builder.new_index()
        key = request.GET.get(f"{prefix}-{index}-key", "")
        operator = request.GET.get(f"{prefix}-{index}-op", "")
        value = ",".join(request.GET.getlist(f"{prefix}-{index}-value"))
        return HttpResponse(rule_builder.render_row(prefix, index, key, operator, value))

    def action_row_view(self, request):
        """One action row of the builder, redrawn for its type (rule actions)."""
        if not self.has_change_permission(request) and not self.has_add_permission(request):
            raise Http404
        return render_row(request, reverse("admin:workflows_rule_action_row"), for_macro=False)

    def test_view(self, request):
        """What the rule as drawn (not yet saved) would do on ticket #N, and
        which other active rules would fire too: nothing is changed."""
        if not self.has_change_permission(request) and not self.has_add_permission(request):
            raise Http404
        number = request.GET.get("test_ticket", "").strip().lstrip("#")
        ticket = (
            visible_tickets(request.user).filter(pk=number).first() if number.isdigit() else None
        )
        context = {"number": number, "ticket": ticket}
        if ticket is not None:
            form = RuleForm(request.GET)
            form.is_valid()
            draft = Rule(
                pk=None,
                name=request.GET.get("name", "") or _("This rule"),
                trigger=form.cleaned_data.get("trigger") or Rule.Trigger.EVENT,
                events=form.cleaned_data.get("events") or [],
                conditions_all=form.cleaned_data.get("conditions_all") or [],
                conditions_any=form.cleaned_data.get("conditions_any") or [],
                actions=form.instance.actions if not form.errors else form.rows,
                stop_processing=bool(form.cleaned_data.get("stop_processing")),
            )
            context["errors"] = form.errors
            context["results"] = testing.try_rules(ticket, draft, editing=request.GET.get("rule"))
        return TemplateResponse(request, "workflows/admin/rule_test.html", context)


admin.site.register(WorkflowSettings)
