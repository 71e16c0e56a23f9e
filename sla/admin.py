from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .ical import MAX_BYTES, holidays_from_ical
from .models import (
    Calendar,
    Holiday,
    SlaGoal,
    SlaSettings,
    WorkingPeriod,
    overlapping_periods,
)


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
class CalendarAdmin(admin.ModelAdmin):
    """Working hours (S32): one per team, one default for the help desk."""

    list_display = ["name", "time_zone", "is_default", "holiday_country"]
    filter_horizontal = ["teams"]
    inlines = [WorkingPeriodInline, HolidayInline]
    change_form_template = "sla/calendar_change_form.html"

    def get_urls(self):
        return [
            path(
                "<int:pk>/import-holidays/",
                self.admin_site.admin_view(self.import_holidays),
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
class SlaSettingsAdmin(admin.ModelAdmin):
    form = SlaSettingsForm
    list_display = ["__str__", "enabled", "mode", "goals_by"]

    def has_add_permission(self, request):
        return not SlaSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaGoal)
class SlaGoalAdmin(admin.ModelAdmin):
    """Goals per value of the selecting property (S30, S31, S33)."""

    list_display = [
        "__str__",
        "is_enabled",
        "first_response_minutes",
        "next_response_minutes",
        "close_minutes",
        "due_soon_minutes",
    ]
    list_editable = ["is_enabled"]
