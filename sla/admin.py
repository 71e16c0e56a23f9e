from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Calendar, Holiday, SlaGoal, SlaSettings, WorkingPeriod


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    """Working hours (S32): one per team, one default for the help desk."""

    list_display = ["name", "time_zone", "is_default", "holiday_country"]
    filter_horizontal = ["teams"]
    inlines = [WorkingPeriodInline, HolidayInline]


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
