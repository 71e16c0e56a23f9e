from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from helpdesk.labels import LabelsFormMixin

from .models import Team, User


class WordListField(forms.CharField):
    """A list of short words (language codes, skills) typed as "ko, en": stored
    lower-cased, without blanks or repeats, in the order typed."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def clean(self, value):
        text = super().clean(value) or ""
        words = []
        for word in text.replace(";", ",").split(","):
            word = " ".join(word.split()).lower()[:40]
            if word and word not in words:
                words.append(word)
        return words


class TeamForm(LabelsFormMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "routing", "routing_cap", "routing_skill_property", "leads"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    search_fields = ["name"]
    list_display = ["name", "routing", "routing_cap"]
    filter_horizontal = ["leads"]


class HelpdeskUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class HelpdeskUserChangeForm(UserChangeForm):
    languages = WordListField(
        label=_("languages spoken"),
        required=False,
        help_text=_("Language codes, separated by commas: ko, fi, de, zh-hant, pl, en."),
    )
    skills = WordListField(
        label=_("skills"),
        required=False,
        help_text=_("Short words, separated by commas, such as billing, api."),
    )

    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users, their role (S2), teams (S1) and ticket visibility (S3). Admin rights
    follow the role, so there are no separate staff or superuser switches."""

    form = HelpdeskUserChangeForm
    add_form = HelpdeskUserCreationForm
    list_display = [
        "username",
        "display_name",
        "role",
        "visibility",
        "main_team",
        "is_active",
    ]
    list_filter = ["role", "visibility", "main_team", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    filter_horizontal = ["teams"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            _("Personal info"),
            {"fields": ["first_name", "last_name", "email", "language", "time_zone"]},
        ),
        (
            _("Role and access"),
            {
                "fields": [
                    "is_active",
                    "role",
                    "visibility",
                    "main_team",
                    "teams",
                    "can_manage_views",
                    "can_write_articles",
                    "has_account_access",
                ]
            },
        ),
        (_("Routing"), {"fields": ["availability", "languages", "skills"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "password1", "password2", "role", "visibility", "main_team"],
            },
        ),
    ]

    # The address under the name rather than in a column of its own: the list
    # fits 1280 px beside its filters (issue 14), and an address in a narrow
    # column broke in the middle of words.
    @admin.display(description=_("name"), ordering="last_name")
    def display_name(self, user):
        return format_html(
            '{}<div class="list-secondary">{}</div>', user.get_full_name(), user.email
        )
