from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import changes
from .ical import MAX_BYTES, holidays_from_ical
from .models import (
    Calendar,
    Holiday,
    SlaChange,
    SlaGoal,
    SlaSettings,
    WorkingPeriod,
    overlapping_periods,
)


def running_count_text(count: int) -> str:
    """ "N open tickets have running SLA clocks", "10,000+" past the limit."""
    shown = number_format(min(count, changes.COUNT_LIMIT), force_grouping=True)
    if count > changes.COUNT_LIMIT:
        return _("More than %(count)s open tickets have running SLA clocks.") % {"count": shown}
    return ngettext(
        "%(count)s open ticket has a running SLA clock.",
        "%(count)s open tickets have running SLA clocks.",
        count,
    ) % {"count": shown}


class RecordsSlaChanges:
    """Every save of SLA configuration in the settings (a form, an inline, a
    list edit, a delete, an import) is compared with the configuration before
    it; a difference is recorded as a change waiting to be applied to open
    tickets, and the admin is offered to apply it (issue 14)."""

    def _recording(self, view, request, *args, **kwargs):
        if request.method != "POST":
            self._remind(request)
            return view(request, *args, **kwargs)
        before = changes.config_snapshot()
        response = view(request, *args, **kwargs)
        if response.status_code in (301, 302):  # saved; a form with errors answers 200
            change = changes.sla_change_record(actor=request.user, before=before)
            if change is not None:
                messages.info(
                    request,
                    format_html(
                        '<span class="sla-offer"><span>{} {}</span>'
                        ' <a class="button" href="{}">{}</a></span>',
                        _("New SLA clocks follow this change; running ones keep their deadlines."),
                        running_count_text(changes.running_tickets_count()),
                        reverse("admin:sla_slachange_change", args=[change.pk]),
                        _("Apply to open tickets…"),
                    ),
                )
        return response

    def _remind(self, request):
        """While a change waits, every SLA settings page says so, unless the
        page answers the save that made it (which offers it already)."""
        waiting = SlaChange.objects.filter(status=SlaChange.Status.PENDING).order_by("-pk").first()
        if waiting is None:
            return
        shown = messages.get_messages(request)
        offered = any("sla-offer" in str(message) for message in shown)
        shown.used = False  # looking is not showing: the page still lists them
        if not offered:
            messages.warning(
                request,
                format_html(
                    '<span class="sla-offer"><span>{}</span>'
                    ' <a class="button" href="{}">{}</a></span>',
                    _(
                        "An SLA change is not applied to open tickets yet: their "
                        "running deadlines still follow the settings before it."
                    ),
                    reverse("admin:sla_slachange_change", args=[waiting.pk]),
                    _("Review and apply…"),
                ),
            )

    def changeform_view(self, request, *args, **kwargs):
        return self._recording(super().changeform_view, request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._recording(super().changelist_view, request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._recording(super().delete_view, request, *args, **kwargs)


class WorkingPeriodFormSet(BaseInlineFormSet):
    """A calendar's working periods may not overlap (issue 14): the same
    minutes would count twice in every deadline."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        periods = [
            (form.cleaned_data["weekday"], form.cleaned_data["start"], form.cleaned_data["end"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        overlap = overlapping_periods(periods)
        if overlap:
            first, second = (WorkingPeriod(weekday=w, start=s, end=e) for w, s, e in overlap)
            raise ValidationError(
                _("%(first)s overlaps %(second)s: working periods cannot overlap."),
                params={"first": first, "second": second},
            )


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    formset = WorkingPeriodFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


class IcalForm(forms.Form):
    file = forms.FileField(label=_("iCal file (.ics)"))


@admin.register(Calendar)
class CalendarAdmin(RecordsSlaChanges, admin.ModelAdmin):
    """Working hours (S32): one per team, one default for the help desk."""

    list_display = ["name", "time_zone", "is_default", "holiday_country"]
    filter_horizontal = ["teams"]
    inlines = [WorkingPeriodInline, HolidayInline]
    change_form_template = "sla/calendar_change_form.html"

    def get_urls(self):
        return [
            path(
                "<int:pk>/import-holidays/",
                self.admin_site.admin_view(
                    lambda request, pk: self._recording(self.import_holidays, request, pk)
                ),
                name="sla_calendar_import",
            ),
            *super().get_urls(),
        ]

    def import_holidays(self, request, pk):
        """Add the all-day events of an iCal file as the calendar's holidays."""
        calendar = get_object_or_404(Calendar, pk=pk)
        if not self.has_change_permission(request, calendar):
            raise PermissionDenied
        form = IcalForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                days = holidays_from_ical(form.cleaned_data["file"].read(MAX_BYTES + 1))
            except ValidationError as error:
                form.add_error("file", error)
            else:
                existing = set(calendar.holidays.values_list("date", flat=True))
                Holiday.objects.bulk_create(
                    Holiday(calendar=calendar, date=day, name=name)
                    for day, name in days
                    if day not in existing
                )
                added = len([d for d, _n in days if d not in existing])
                messages.success(
                    request,
                    ngettext("%(count)d holiday added.", "%(count)d holidays added.", added)
                    % {"count": added},
                )
                return redirect("admin:sla_calendar_change", calendar.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import holidays into %(calendar)s") % {"calendar": calendar},
            "form": form,
            "calendar": calendar,
            "opts": self.model._meta,
        }
        return render(request, "sla/calendar_import.html", context)


class SlaSettingsForm(forms.ModelForm):
    class Meta:
        model = SlaSettings
        fields = ["enabled", "mode", "goals_by"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goals_by"] = forms.ChoiceField(
            label=self.fields["goals_by"].label,
            choices=SlaSettings.goals_by_choices(),
            required=False,
            help_text=_("Built-in properties, or a custom property of the choice type."),
        )


@admin.register(SlaSettings)
class SlaSettingsAdmin(RecordsSlaChanges, admin.ModelAdmin):
    form = SlaSettingsForm
    list_display = ["__str__", "enabled", "mode", "goals_by"]

    def has_add_permission(self, request):
        return not SlaSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class SlaGoalForm(forms.ModelForm):
    """The value is picked by name (a team's, a pipeline's, an option's in the
    reader's language) and stored as clocks.goal_for compares it: an id or a
    code, as before (issue 14). A value stored earlier that is no longer one
    of them (a deleted team) is shown as it is, and SlaGoal.clean refuses it."""

    class Meta:
        model = SlaGoal
        fields = [
            "value",
            "is_enabled",
            "first_response_minutes",
            "next_response_minutes",
            "close_minutes",
            "due_soon_minutes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = SlaSettings.current().goal_values()
        current = self.instance.value
        if current not in dict(choices):
            choices.append((current, current))
        self.fields["value"].widget = forms.Select(choices=choices)
        self.fields["value"].help_text = _("The value of the property goals vary by.")


@admin.register(SlaGoal)
class SlaGoalAdmin(RecordsSlaChanges, admin.ModelAdmin):
    """Goals per value of the selecting property (S30, S31, S33)."""

    form = SlaGoalForm
    list_display = [
        "__str__",
        "is_enabled",
        "first_response_minutes",
        "next_response_minutes",
        "close_minutes",
        "due_soon_minutes",
    ]
    list_editable = ["is_enabled"]


@admin.register(SlaChange)
class SlaChangeAdmin(admin.ModelAdmin):
    """Changes to SLA configuration and what became of them: a pending one
    offers to apply it to open tickets, an applied one says how many moved."""

    list_display = ["created_at", "changed_by", "parts_text", "status", "result_text"]
    list_select_related = ["changed_by"]
    change_form_template = "sla/slachange_change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("what changed"))
    def parts_text(self, change) -> str:
        return ", ".join(str(PART_NAMES[part]) for part in change.parts if part in PART_NAMES)

    @admin.display(description=_("result"))
    def result_text(self, change) -> str:
        if change.status == SlaChange.Status.PENDING:
            return ""
        return ngettext(
            "Deadlines moved on %(moved)s of %(count)s ticket checked.",
            "Deadlines moved on %(moved)s of %(count)s tickets checked.",
            change.tickets_checked,
        ) % {
            "moved": number_format(change.tickets_moved, force_grouping=True),
            "count": number_format(change.tickets_checked, force_grouping=True),
        }

    def get_urls(self):
        return [
            path(
                "<int:pk>/apply/",
                self.admin_site.admin_view(self.apply),
                name="sla_slachange_apply",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change = get_object_or_404(SlaChange.objects.select_related("changed_by"), pk=object_id)
        pending = change.status == SlaChange.Status.PENDING
        context = {
            **self.admin_site.each_context(request),
            "title": str(change),
            "opts": self.model._meta,
            "change": change,
            "parts": self.parts_text(change),
            "result": self.result_text(change),
            "running": running_count_text(changes.running_tickets_count()) if pending else "",
        }
        return render(request, self.change_form_template, context)

    @staticmethod
    @require_POST
    def apply(request, pk):
        change = get_object_or_404(SlaChange, pk=pk)
        if changes.sla_change_apply(actor=request.user, change=change):
            messages.success(
                request,
                _("The change is being applied to open tickets; this page shows the result."),
            )
        else:
            messages.warning(request, _("This change was applied already."))
        return redirect("admin:sla_slachange_change", pk)


PART_NAMES = {
    "settings": _("SLA settings"),
    "goals": _("SLA goals"),
    "calendars": _("working hours"),
    "holidays": _("holidays"),
}
