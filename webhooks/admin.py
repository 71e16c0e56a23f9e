"""Webhooks in the settings (issue 18): subscriptions with their signing
secret, and the delivery log of each, from which a delivery is sent again."""

import datetime
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy, ngettext
from django.utils.translation import gettext_lazy as _

from . import delivery as sending
from . import events, safehttp, signing
from .models import PING, Delivery, EventType, Subscription

# How long the previous secret still signs after a rotation.
ROTATION = datetime.timedelta(hours=24)


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=gettext_lazy("URL"),
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "webhook-url"}),
        help_text=gettext_lazy("Where events are posted (HTTPS recommended)."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "What is posted to the URL. A rule's “Send a webhook” action posts to it too."
        ),
        required=False,
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "events", "is_active"]

    def clean_url(self):
        """Refused when saved rather than at every delivery: an address that
        is not http(s) or that points inside our network. A name that does
        not resolve yet is kept (its deliveries will say so)."""
        url = self.cleaned_data["url"]
        try:
            safehttp.resolve(url)
        except safehttp.Refused as refused:
            if refused.code != "unresolved":
                raise ValidationError(str(refused)) from refused
        return url


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["name", "url_shown", "event_names", "health", "log_link"]
    empty_value_display = "—"
    search_fields = ["name", "url"]
    readonly_fields = [
        "secret_shown",
        "previous_secret_shown",
        "failures",
        "failing_since",
        "disabled_shown",
        "log_link",
    ]
    actions = ["rotate_secret", "send_test_event"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": ["name", "url", "events", "is_active"]})]
        if obj is not None:
            fieldsets += [
                (
                    _("Signing"),
                    {
                        "fields": ["secret_shown", "previous_secret_shown"],
                        "description": _(
                            "Each request is signed as the Standard Webhooks specification "
                            "describes (headers webhook-id, webhook-timestamp and "
                            "webhook-signature). Keep the secret on the receiving side only."
                        ),
                    },
                ),
                (
                    _("Deliveries"),
                    {"fields": ["log_link", "failures", "failing_since", "disabled_shown"]},
                ),
            ]
        return fieldsets

    @admin.display(description=_("URL"), ordering="url")
    def url_shown(self, subscription):
        return Truncator(subscription.url).chars(60)

    @admin.display(description=_("events"))
    def event_names(self, subscription):
        labels = dict(EventType.choices)
        names = [str(labels.get(e, e)) for e in subscription.events]
        return Truncator(", ".join(names)).chars(80) or "—"

    @admin.display(description=_("state"))
    def health(self, subscription):
        if subscription.disabled_text():
            return subscription.disabled_text()
        if subscription.failures:
            return ngettext(
                "%(count)d failed try in a row",
                "%(count)d failed tries in a row",
                subscription.failures,
            ) % {"count": subscription.failures}
        return _("Working") if subscription.is_active else _("Off")

    @admin.display(description=_("delivery log"))
    def log_link(self, subscription):
        if subscription.pk is None:
            return "—"
        url = reverse("admin:webhooks_delivery_changelist") + (
            f"?subscription__id__exact={subscription.pk}"
        )
        return format_html('<a href="{}">{}</a>', url, _("Delivery log"))

    @admin.display(description=_("why it was switched off"))
    def disabled_shown(self, subscription):
        return subscription.disabled_text() or "—"

    @admin.display(description=_("signing secret"))
    def secret_shown(self, subscription):
        return format_html('<code class="webhook-secret">{}</code>', subscription.secret)

    @admin.display(description=_("previous secret"))
    def previous_secret_shown(self, subscription):
        if not subscription.previous_secret or subscription.secrets() == [subscription.secret]:
            return "—"
        until = timezone.localtime(subscription.previous_secret_until)
        return format_html(
            '<code class="webhook-secret">{}</code><div class="help">{}</div>',
            subscription.previous_secret,
            _("Still signs until %(time)s: requests carry both signatures.")
            % {"time": until.strftime("%Y-%m-%d %H:%M")},
        )

    def save_model(self, request, obj, form, change):
        if obj.is_active and "is_active" in form.changed_data:
            # Switched back on: the count starts again, waiting deliveries go out.
            obj.failures, obj.failing_since, obj.disabled_reason = 0, None, ""
            transaction.on_commit(sending.send_due)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secret(self, request, queryset):
        now = timezone.now()
        for subscription in queryset:
            subscription.previous_secret = subscription.secret
            subscription.previous_secret_until = now + ROTATION
            subscription.secret = signing.generate_secret()
            subscription.save()
            self.log_change(request, subscription, "Rotated the signing secret")
        self.message_user(
            request,
            _(
                "New secrets made. For 24 hours requests are signed with both the old and "
                "the new secret."
            ),
            messages.SUCCESS,
        )

    @admin.action(description=_("Send a test event"))
    def send_test_event(self, request, queryset):
        subscriptions = list(queryset.filter(is_active=True))
        events.record(subscriptions, PING, {"test": True}, None)
        for subscription in subscriptions:
            self.log_change(request, subscription, "Sent a test event")
        self.message_user(
            request,
            ngettext(
                "A test event is on its way to %(count)d webhook: see its delivery log.",
                "A test event is on its way to %(count)d webhooks: see their delivery logs.",
                len(subscriptions),
            )
            % {"count": len(subscriptions)},
            messages.SUCCESS,
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what was sent where, and what came back."""

    list_display = [
        "created",
        "subscription",
        "event",
        "ticket_link",
        "status_shown",
        "answer",
        "response_start",
    ]
    list_filter = ["status", "subscription", "event"]
    list_select_related = ["subscription"]
    search_fields = ["message_id", "ticket_id"]
    date_hierarchy = "created_at"
    fields = [
        "subscription",
        "event",
        "ticket_link",
        "message_id",
        "status",
        "attempts",
        "next_try",
        "last_status_code",
        "last_duration_ms",
        "last_response",
        "last_error",
        "resent_from",
        "created_at",
        "finished_at",
        "tries_shown",
        "payload_shown",
    ]
    readonly_fields = fields
    empty_value_display = "—"
    actions = ["send_again"]
    change_form_template = "webhooks/delivery_change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        if "subscription__id__exact" in request.GET:
            shown.remove("subscription")  # one webhook's log: its name is the filter's
        return shown

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, delivery):
        return format_html(
            '<span class="nowrap">{}</span>',
            timezone.localtime(delivery.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        )

    @admin.display(description=_("tries"))
    def tries_shown(self, delivery):
        rows = [
            (
                timezone.localtime(a.at).strftime("%Y-%m-%d %H:%M:%S"),
                a.status_code or "—",
                a.duration_ms if a.duration_ms is not None else "—",
                Truncator(" ".join((a.response or a.error).split())).chars(120) or "—",
            )
            for a in delivery.tries.all()
        ]
        if not rows:
            return "—"
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            capfirst(_("time")),
            capfirst(_("response status")),
            capfirst(_("response time (ms)")),
            capfirst(_("response body start")),
        )
        body = format_html_join(
            "", '<tr><td class="nowrap">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>', rows
        )
        return format_html('<table class="webhook-tries">{}{}</table>', head, body)

    @admin.display(description=_("ticket"))
    def ticket_link(self, delivery):
        if not delivery.ticket_id:
            return "—"
        url = reverse("tickets:ticket_open", args=[delivery.ticket_id])
        return format_html('<a href="{}">#{}</a>', url, delivery.ticket_id)

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, delivery):
        """The status, how many tries it took when more than one, and when a
        pending one is tried next."""
        notes = []
        if delivery.attempts > 1:
            notes.append(
                ngettext("%(count)d try", "%(count)d tries", delivery.attempts)
                % {"count": delivery.attempts}
            )
        if delivery.status == Delivery.Status.PENDING and delivery.attempts:
            notes.append(f"{capfirst(_('next try'))}: {self.next_try(delivery)}")
        return format_html(
            '{}<div class="help">{}</div>', delivery.get_status_display(), " · ".join(notes)
        )

    @admin.display(description=_("response status"))
    def answer(self, delivery):
        """The last try's status and time, as "500 · 39 ms"."""
        if delivery.last_duration_ms is None and delivery.last_status_code is None:
            return "—"
        return format_html(
            '<span class="nowrap">{} · {} ms</span>',
            delivery.last_status_code or "—",
            delivery.last_duration_ms if delivery.last_duration_ms is not None else "—",
        )

    @admin.display(description=_("response body start"))
    def response_start(self, delivery):
        text = delivery.last_response or delivery.last_error
        return Truncator(" ".join(text.split())).chars(32) or "—"

    @admin.display(description=_("next try"))
    def next_try(self, delivery):
        if delivery.status != Delivery.Status.PENDING:
            return "—"
        if not delivery.subscription.is_active:
            return _("Waits: the webhook is off")
        at = timezone.localtime(delivery.next_attempt_at)
        today = at.date() == timezone.localdate()
        return at.strftime("%H:%M:%S" if today else "%Y-%m-%d %H:%M")

    @admin.display(description=_("payload"))
    def payload_shown(self, delivery):
        try:
            text = json.dumps(json.loads(delivery.payload), indent=2, ensure_ascii=False)
        except ValueError:
            text = delivery.payload
        return format_html('<pre class="webhook-payload">{}</pre>', text)

    def get_urls(self):
        again = path(
            "<int:pk>/send-again/",
            self.admin_site.admin_view(self.send_again_view),
            name="webhooks_delivery_send_again",
        )
        return [again, *super().get_urls()]

    def send_again_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        delivery = get_object_or_404(Delivery, pk=pk)
        with transaction.atomic():
            again = sending.send_again(delivery)
        self.log_change(request, delivery, "Sent again")
        self.message_user(request, _("Sent again: this is the new delivery."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:webhooks_delivery_change", args=[again.pk]))

    @admin.action(description=_("Send the selected deliveries again"), permissions=["view"])
    def send_again(self, request, queryset):
        chosen = list(queryset.order_by("id"))
        with transaction.atomic():
            for delivery in chosen:
                sending.send_again(delivery)
                self.log_change(request, delivery, "Sent again")
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.",
                "%(count)d deliveries queued again.",
                len(chosen),
            )
            % {"count": len(chosen)},
            messages.SUCCESS,
        )
