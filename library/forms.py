"""The library's forms: shape only; sharing rules live in the services."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Team
from crm.models import Deal
from helpdesk.labels import LocalNames

from .models import Currency, Document


class TeamChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: LocalNames) -> str:
        return obj.local_name


class SharingForm(forms.Form):
    sharing = forms.ChoiceField(
        label=_("Who can insert it"),
        choices=[
            (Document.Sharing.PRIVATE, _("Only me")),
            (Document.Sharing.TEAMS, _("My chosen teams")),
            (Document.Sharing.EVERYONE, _("Everyone")),
        ],
        initial=Document.Sharing.PRIVATE,
        widget=forms.RadioSelect,
    )
    teams = TeamChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.all()
        if not user.is_super_admin:
            teams = teams.filter(pk__in=user.team_ids)
        self.fields["teams"].queryset = teams


class DocumentForm(SharingForm):
    name = forms.CharField(label=pgettext_lazy("document", "Name"), max_length=200)
    file = forms.FileField(label=_("File"), required=False)
    field_order = ["name", "file", "sharing", "teams"]


class VideoForm(SharingForm):
    name = forms.CharField(label=pgettext_lazy("document", "Name"), max_length=200)
    file = forms.FileField(
        label=_("Video file"), required=False, help_text=_("MP4 or WebM, played in the browser.")
    )
    url = forms.URLField(
        label=_("Or a video address"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("YouTube, Vimeo or any https page. Customers follow a link to it."),
    )
    field_order = ["name", "file", "url", "sharing", "teams"]


class QuoteForm(SharingForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    deal = forms.ModelChoiceField(label=_("Deal"), queryset=Deal.objects.all())
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    expires_on = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note to the customer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    field_order = ["title", "deal", "currency", "expires_on", "note", "sharing", "teams"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = timezone.localdate() + datetime.timedelta(days=30)


class QuoteLineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=10, decimal_places=2, min_value=0.01, required=False
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=12, decimal_places=2, min_value=0, required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("description"):
            if data.get("quantity") is None:
                self.add_error("quantity", _("Enter a quantity."))
            if data.get("unit_price") is None:
                self.add_error("unit_price", _("Enter a unit price."))
        return data


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, extra=2, max_num=100)


class AcceptForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
