from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from helpdesk.labels import LabelsFormMixin

from .models import Team, User


class TeamForm(LabelsFormMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    search_fields = ["name"]


class HelpdeskUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class HelpdeskUserChangeForm(UserChangeForm):
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
        "email",
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
                    "has_account_access",
                ]
            },
        ),
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

    @admin.display(description=_("name"))
    def display_name(self, user):
        return user.get_full_name()
