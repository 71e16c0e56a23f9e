from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tickets.models import Source

from .models import Survey, SurveySettings


class SurveySettingsForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("channels"),
        choices=Source.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tickets from these channels only; none chosen: every channel."),
    )

    class Meta:
        model = SurveySettings
        fields = [
            "pipeline",
            "enabled",
            "delay_minutes",
            "channels",
            "scale",
            "answer_days",
            "once_per_days",
            "reopen_on_bad",
        ]


@admin.register(SurveySettings)
class SurveySettingsAdmin(admin.ModelAdmin):
    form = SurveySettingsForm
    list_display = ["pipeline", "enabled", "delay_minutes", "scale", "reopen_on_bad"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["ticket", "email", "status", "send_after", "rating", "rated_at"]
    list_filter = ["status", "rating"]
    readonly_fields = [f.name for f in Survey._meta.fields]

    def has_add_permission(self, request):
        return False
