from adminsortable2.admin import SortableAdminMixin
from django import forms
from django.contrib import admin
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

from . import builder, testing
from .models import Event, Rule, WorkflowSettings


class RuleForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    conditions_all = builder.ConditionsField("all", label=_("Conditions: all of these"))
    conditions_any = builder.ConditionsField(
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
            "actions",
            "stop_processing",
        ]
        widgets = {"trigger": forms.RadioSelect}

    def full_clean(self):
        # Which conditions are allowed depends on the trigger posted.
        time_based = (self.data.get("trigger") if self.is_bound else "") == Rule.Trigger.TIME
        for name in ("conditions_all", "conditions_any"):
            self.fields[name].time_based = time_based
        super().full_clean()

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
        return cleaned


@admin.register(Rule)
class RuleAdmin(SortableAdminMixin, admin.ModelAdmin):
    form = RuleForm
    list_display = ["name", "trigger_text", "is_active", "status_text"]
    list_filter = ["is_active", "trigger"]
    search_fields = ["name"]
    change_form_template = "workflows/admin/rule_change_form.html"

    class Media:
        js = ["vendor/htmx/htmx.min.js", "js/admin_rules.js"]

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
        index = index if index.isdigit() else builder.new_index()
        key = request.GET.get(f"{prefix}-{index}-key", "")
        operator = request.GET.get(f"{prefix}-{index}-op", "")
        value = ",".join(request.GET.getlist(f"{prefix}-{index}-value"))
        return HttpResponse(builder.render_row(prefix, index, key, operator, value))

    def test_view(self, request):
        """What the rule as drawn (not yet saved) would do on ticket #N, and
        which other active rules would fire too: nothing is changed."""
        if not self.has_change_permission(request) and not self.has_add_permission(request):
            raise Http404
        number = request.GET.get("test_ticket", "").strip().lstrip("#")
        ticket = Ticket.objects.filter(pk=number).first() if number.isdigit() else None
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
                actions=form.cleaned_data.get("actions") or [],
            )
            context["errors"] = form.errors
            context["results"] = testing.try_rules(ticket, draft, editing=request.GET.get("rule"))
        return TemplateResponse(request, "workflows/admin/rule_test.html", context)


admin.site.register(WorkflowSettings)
