from django.contrib import admin

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


@admin.register(SlaSettings)
class SlaSettingsAdmin(admin.ModelAdmin):
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
