"""Actions registered next to the first ones (workflows.actions): tags, which
macros and rules both take, and those only a rule takes (email the customer
from a template, notify people, mark as spam, close, assign by routing, send
a webhook).
Each runs through a service, inside the rule's or macro's `acting_as`, so the
timeline says "by rule “…”"."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team, User, member_of
from conversations.inserts import fill_placeholders
from conversations.models import Notification
from conversations.notifications import notify
from conversations.services import AutoReplyRefused, auto_reply_send
from routing.services import route
from tickets.access import users_who_see
from tickets.models import Stage, Ticket
from tickets.services import tag_clean_name, ticket_mark_spam, ticket_set_stage, ticket_tag
from webhooks import events as webhook_events
from webhooks.models import RULE_ACTION, Subscription

from .actions import (
    MAX_HTML,
    Action,
    Input,
    Row,
    Run,
    _clean_html,
    _id,
    _plain,
    active_user_ids,
    clean_translations,
    editable,
    in_contact_language,
    read_translations,
    register,
    translations_input,
)


def _customer_values(ticket: Ticket) -> dict[str, str]:
    """Placeholders an automatic email may use: no agent writes it."""
    contact = ticket.contacts.order_by("id").first()
    return {
        "contact_first_name": contact.first_name if contact else "",
        "contact_name": contact.display_name if contact else "",
        "ticket_number": f"#{ticket.pk}",
        "ticket_name": ticket.name,
    }


@register
class SendEmail(Action):
    """Email the customer (an acknowledgement, a reminder). Never to an
    automatic sender, a bounced address or a spam ticket, and at most once an
    hour per address (conversations.services.auto_reply_send)."""

    type = "send_email"
    label = gettext_lazy("Email the customer")
    in_bulk = False
    order = 50

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        if for_macro:
            raise ValidationError(_("A macro puts reply text in the editor instead."))
        html = _clean_html(row.get("html"))
        if not html:
            raise ValidationError(_("Write the email."))
        subject = " ".join(str(row.get("subject") or "").split())[:200]
        translations = clean_translations(row)
        return {"type": self.type, "subject": subject, "html": html, "translations": translations}

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        return [f"{_('Email to the customer')}: {_plain(row['html'])}"]

    def apply(self, row: Row, run: Run) -> None:
        html = in_contact_language(row, run.ticket)
        values = _customer_values(run.ticket)
        try:
            auto_reply_send(
                ticket=run.ticket,
                subject=fill_placeholders(row.get("subject", ""), values),
                html=fill_placeholders(html, values)[:MAX_HTML],
                by=run.name,
            )
        except AutoReplyRefused as refused:
            run.result.skipped.append(str(refused))

    def inputs(self, row: Row) -> list[Input]:
        return [
            Input(
                "subject",
                gettext_lazy("Subject (empty: “Re:” the ticket's)"),
                "text",
                value=row.get("subject", ""),
            ),
            Input("html", gettext_lazy("Email"), "html", value=editable(row.get("html", ""))),
            translations_input(row),
        ]

    def read(self, get, getlist) -> Row:
        return {
            "subject": get("subject"),
            "html": get("html"),
            "translations": read_translations(get),
        }


@register
class Notify(Action):
    """Tell people in the app and by email: chosen users, a team's members,
    or the ticket's owner; only those who may see the ticket (S3)."""

    type = "notify"
    label = gettext_lazy("Notify people")
    order = 60

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        users = active_user_ids(row.get("users") or [])
        team = _id(row.get("team"))
        if team is not None and not Team.objects.filter(pk=team).exists():
            raise ValidationError(_("This team does not exist."))
        owner = bool(row.get("owner"))
        if not (users or team or owner):
            raise ValidationError(_("Choose whom to notify."))
        text = " ".join(str(row.get("text") or "").split())[:200]
        if not text:
            raise ValidationError(_("Write what the notification says."))
        return {"type": self.type, "users": users, "team": team, "owner": owner, "text": text}

    def _people(self, row: Row, ticket: Ticket):
        wanted = User.objects.filter(pk__in=row["users"])
        if row.get("team"):
            wanted = wanted | User.objects.filter(member_of(row["team"]))
        if row.get("owner") and ticket.owner_id:
            wanted = wanted | User.objects.filter(pk=ticket.owner_id)
        seeing = users_who_see(ticket)
        return seeing.filter(pk__in=wanted.values("pk")).distinct()

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        names = ", ".join(u.display_name for u in self._people(row, ticket)[:10])
        return [f"{_('Notify')}: {names or '—'} · {row['text']}"]

    def apply(self, row: Row, run: Run) -> None:
        notify(
            [
                Notification(
                    user=user, ticket=run.ticket, kind=Notification.Kind.RULE, detail=row["text"]
                )
                for user in self._people(row, run.ticket)
            ]
        )

    def inputs(self, row: Row) -> list[Input]:
        people = User.objects.filter(is_active=True).exclude(role=User.Role.COLLABORATOR)
        return [
            Input("text", gettext_lazy("Notification text"), "text", value=row.get("text", "")),
            Input(
                "users",
                gettext_lazy("Users"),
                "multiselect",
                [(str(u.pk), u.display_name) for u in people],
                [str(v) for v in row.get("users", [])],
            ),
            Input(
                "team",
                gettext_lazy("Team"),
                "select",
                [("", "—"), *((str(t.pk), t.local_name) for t in Team.objects.all())],
                str(row.get("team") or ""),
            ),
            Input(
                "owner",
                gettext_lazy("The ticket's owner"),
                "select",
                [("", _("No")), ("1", _("Yes"))],
                "1" if row.get("owner") else "",
            ),
        ]

    def read(self, get, getlist) -> Row:
        return {
            "text": get("text"),
            "users": getlist("users"),
            "team": get("team"),
            "owner": get("owner"),
        }


@register
class MarkSpam(Action):
    type = "mark_spam"
    label = gettext_lazy("Move to Spam")
    order = 70

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        return {"type": self.type}

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        return [] if ticket.is_spam else [_("Moved to Spam")]

    def apply(self, row: Row, run: Run) -> None:
        run.ticket = ticket_mark_spam(actor=run.actor, ticket=run.ticket)


@register
class Close(Action):
    """Close the ticket: the first closed status of its own pipeline (whatever
    the pipeline, so one rule serves all of them)."""

    type = "close"
    label = gettext_lazy("Close the ticket")
    order = 80

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        return {"type": self.type}

    def _stage(self, ticket: Ticket) -> Stage | None:
        return ticket.pipeline.stages.filter(is_closed=True, required_properties=[]).first()

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        stage = self._stage(ticket)
        if ticket.is_closed or stage is None:
            return []
        return [f"{_('Status')}: {ticket.stage.local_name} → {stage.local_name}"]

    def apply(self, row: Row, run: Run) -> None:
        if run.ticket.is_closed:
            return
        stage = self._stage(run.ticket)
        if stage is None:
            run.result.skipped.append(_("This pipeline has no closed status that needs nothing."))
            return
        run.ticket = ticket_set_stage(actor=run.actor, ticket=run.ticket, stage=stage)


@register
class AssignByRouting(Action):
    """Give an unassigned ticket to the agent its team's routing picks
    (round-robin or fewest open tickets, among available agents who speak the
    ticket's language); when nobody can take it, it waits for routing."""

    type = "assign_by_routing"
    label = gettext_lazy("Assign by the team's routing")
    order = 5  # after the team is set, before statuses that may need an owner

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        return {"type": self.type}

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        if ticket.owner_id:
            return []
        return [_("Owner: the next agent by the team's routing")]

    def apply(self, row: Row, run: Run) -> None:
        if run.ticket.owner_id:
            return
        route(run.ticket)
        run.ticket = (
            Ticket.objects.locked(run.ticket.pk)
            .select_related("pipeline", "stage", "owner", "team")
            .get()
        )


class TagAction(Action):
    """Add or remove tags by name; a name not yet used becomes a tag."""

    order = 25
    key = ""

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        raw = row.get("tags") or []
        if isinstance(raw, str):
            raw = raw.split(",")
        names = list(dict.fromkeys(n for n in (tag_clean_name(str(v)) for v in raw) if n))
        if not names:
            raise ValidationError(_("Name at least one tag."))
        return {"type": self.type, "tags": names}

    def _changed(self, row: Row, ticket: Ticket) -> list[str]:
        have = {name.casefold() for name in ticket.tags.values_list("name", flat=True)}
        adding = self.key == "add"
        return [name for name in row["tags"] if (name.casefold() in have) != adding]

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        changed = self._changed(row, ticket)
        if not changed:
            return []
        sign = "+" if self.key == "add" else "-"
        return [f"{_('Tags')}: {sign} {', '.join(changed)}"]

    def apply(self, row: Row, run: Run) -> None:
        run.ticket = ticket_tag(actor=run.actor, ticket=run.ticket, **{self.key: row["tags"]})

    def inputs(self, row: Row) -> list[Input]:
        return [
            Input(
                "tags",
                gettext_lazy("Tags, separated by commas"),
                "text",
                value=", ".join(row.get("tags", [])),
            )
        ]


@register
class AddTags(TagAction):
    type, key = "add_tags", "add"
    label = gettext_lazy("Add tags")


@register
class RemoveTags(TagAction):
    type, key = "remove_tags", "remove"
    label = gettext_lazy("Remove tags")


@register
class SendWebhook(Action):
    """Post the ticket to a webhook's URL (issue 18), whatever events the
    webhook is subscribed to: queued with the change, signed and sent by the
    worker like every delivery, in order with the ticket's other events."""

    type = "send_webhook"
    label = gettext_lazy("Send a webhook")
    in_bulk = False
    order = 90  # after the changes, so the body shows the ticket as the rule left it

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        if for_macro:
            raise ValidationError(_("Only rules send webhooks."))
        pk = _id(row.get("subscription"))
        if pk is None:
            raise ValidationError(_("Choose a webhook."))
        if not Subscription.objects.filter(pk=pk).exists():
            raise ValidationError(_("This webhook no longer exists."))
        return {"type": self.type, "subscription": pk}

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        subscription = Subscription.objects.filter(pk=row["subscription"]).first()
        return [f"{_('Webhook')}: {subscription.name if subscription else '—'}"]

    def apply(self, row: Row, run: Run) -> None:
        subscription = Subscription.objects.filter(pk=row["subscription"]).first()
        if subscription is None:
            raise ValidationError(_("This webhook no longer exists."))
        sent = webhook_events.send_to(
            subscription, RULE_ACTION, ticket=run.ticket, data={"rule": {"name": run.name}}
        )
        if not sent:
            run.result.skipped.append(
                _("The webhook “%(name)s” is off.") % {"name": subscription.name}
            )

    def inputs(self, row: Row) -> list[Input]:
        return [
            Input(
                "subscription",
                gettext_lazy("Webhook"),
                "select",
                [("", "—"), *((str(s.pk), s.name) for s in Subscription.objects.all())],
                str(row.get("subscription") or ""),
            )
        ]
