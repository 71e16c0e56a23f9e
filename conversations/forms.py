from email.utils import getaddresses

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from tickets.forms import StageChangeForm
from tickets.models import Stage

from .models import EmailAddress

MAX_RECIPIENTS = 50


def parse_recipients(value: str) -> list[str]:
    """Addresses typed as "a@x.com, B <b@y.com>; c@z.com": each one validated, no
    header tricks (CR/LF) accepted, duplicates dropped."""
    if any(c in value for c in "\r\n\x00"):
        raise ValidationError(_("Addresses cannot contain line breaks."))
    addresses = []
    for _name, address in getaddresses([value.replace(";", ",")]):
        address = address.strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("“%(address)s” is not a valid email address."), params={"address": address}
            ) from None
        if address.lower() not in (a.lower() for a in addresses):
            addresses.append(address)
    if len(addresses) > MAX_RECIPIENTS:
        raise ValidationError(
            _("Send to at most %(count)d addresses."), params={"count": MAX_RECIPIENTS}
        )
    return addresses


class RecipientsField(forms.CharField):
    def to_python(self, value):
        return parse_recipients(super().to_python(value) or "")


class EditorForm(forms.Form):
    html = forms.CharField(required=False, max_length=2_000_000)
    seen = forms.IntegerField(required=False, min_value=0)
    force = forms.BooleanField(required=False)


class ReplyForm(EditorForm):
    """The reply editor (S16-S20)."""

    to = RecipientsField(label=_("To"), required=False, max_length=5000)
    cc = RecipientsField(label=_("CC"), required=False, max_length=5000)
    bcc = RecipientsField(label=_("BCC"), required=False, max_length=5000)
    from_address = forms.ModelChoiceField(
        label=_("From"), queryset=EmailAddress.objects.all(), required=False
    )
    reply_to = forms.IntegerField(required=False, min_value=1)
    stage = forms.ModelChoiceField(queryset=Stage.objects.all(), required=False)


class RecordEmailForm(forms.Form):
    """A new email to a contact or company, which starts a ticket (S13)."""

    from_address = forms.ModelChoiceField(
        label=_("From"), queryset=EmailAddress.objects.all(), required=False
    )
    to = RecipientsField(label=_("To"), required=False, max_length=5000)
    cc = RecipientsField(label=_("CC"), required=False, max_length=5000)
    bcc = RecipientsField(label=_("BCC"), required=False, max_length=5000)
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    html = forms.CharField(required=False, max_length=2_000_000)


class DraftForm(forms.Form):
    kind = forms.ChoiceField(choices=[("reply", "reply"), ("comment", "comment")])
    html = forms.CharField(required=False, max_length=2_000_000)
    to = forms.CharField(required=False, max_length=2000)
    cc = forms.CharField(required=False, max_length=2000)
    bcc = forms.CharField(required=False, max_length=2000)
    from_address = forms.ModelChoiceField(queryset=EmailAddress.objects.all(), required=False)
    reply_to = forms.IntegerField(required=False, min_value=1)
    # The latest message the editor's page showed (see services.draft_save).
    seen = forms.IntegerField(required=False, min_value=0)


class NewContactForm(forms.Form):
    """A contact made from an unknown visitor (S22): a name or an email at least."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)

    def clean(self):
        data = super().clean()
        if not any(data.get(k) for k in ("first_name", "last_name", "email")):
            raise ValidationError(_("Give the contact a name or an email address."))
        return data


class SplitForm(StageChangeForm):
    """Split (S11): the messages to move, the new ticket's name, and its
    pipeline and status with what a conditional status requires."""

    SPLIT_FIELDS = ("stage", "name", "messages")

    def __init__(self, *args, ticket, message_ids, **kwargs):
        super().__init__(*args, ticket=ticket, **kwargs)
        self.fields["name"] = forms.CharField(label=_("New ticket name"), max_length=255)
        self.fields["messages"] = forms.TypedMultipleChoiceField(
            coerce=int,
            choices=[(pk, pk) for pk in message_ids],
            error_messages={"required": _("Choose at least one message to split off.")},
        )

    def asked_fields(self):
        """What the chosen status requires, shown under it."""
        return [self[name] for name in self.fields if name not in self.SPLIT_FIELDS]
