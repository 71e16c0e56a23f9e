"""Load the demo dataset: the week of a three-team support desk.

Idempotent: when the demo is already there it says so and changes nothing, so
`make run` can call it every time.
"""

import datetime
import json
import logging
import random
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from html import escape

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Team, User
from channels_inbound.models import (
    ChatBotAnswer,
    ChatWidget,
    EmailChannel,
    InboundItem,
    MessengerPage,
    WebForm,
    WebFormField,
)
from conversations import services as conversation_services
from conversations.models import (
    Channel,
    EmailAddress,
    Inbox,
    KnowledgeArticle,
    MeetingLink,
    Message,
    Notification,
    OutboundEmail,
    ReplyTemplate,
    Snippet,
)
from conversations.services import help_desk_inbox
from crm.models import Company, Contact, Deal
from helpdesk.demo import data as demo_data
from helpdesk.demo import files as demo_files
from helpdesk.demo import rules as demo_rules
from surveys.models import Survey, SurveySettings
from tickets import services
from tickets.models import (
    Category,
    Pipeline,
    Priority,
    PropertyDefinition,
    SavedView,
    Source,
    Stage,
    Tag,
    Ticket,
    TicketEvent,
)
from workflows.actions import validate as validate_actions
from workflows.models import Macro

DEMO_PASSWORD = "demo-helpdesk"
TICKETS = 300


class Command(BaseCommand):
    help = (
        "Load the demo dataset (teams, agents of every role, pipelines, 300 tickets, "
        "and every channel: email, web form, chat, Messenger)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
        if User.objects.filter(username="admin").exists() and Pipeline.objects.exists():
            # Settings added since the demo was loaded reach it too.
            self.routing()
            self.rules()
            self.macros()
            self.help_center()
            if not Survey.objects.exists():
                self.surveys()
            self.stdout.write("Demo data is already loaded.")
            return
        # The history's replies and notifications are recorded as sent, so the
        # tasks queued for them find nothing to do: no need to log each one.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        with transaction.atomic():
            self.load()
            self.sla()
            self.views()
            self.macros()
            self.channels()
            # Last: the history's unassigned tickets were made before their
            # teams routed; the beat hands them out once the demo runs.
            self.routing()
            # After the history: its messages set off no rule.
            self.rules()
            self.help_center()
            self.surveys()
        # The beat keeps the report figures; a demo without one has them at once.
        from reports import facts

        facts.rebuild()
        self.stdout.write(self.style.SUCCESS(f"Loaded the demo: {Ticket.objects.count()} tickets."))

    def help_center(self):
        """Categories and articles in every language (issue 20), once."""
        from helpdesk.demo import knowledge as kb
        from knowledge import services as kb_services
        from knowledge.models import Category, Section

        if Category.objects.exists():
            return
        author = User.objects.get(username="admin")
        categories, sections = {}, {}
        for position, (slug, name, labels, icon, description, descriptions) in enumerate(
            kb.CATEGORIES
        ):
            categories[slug] = Category.objects.create(
                slug=slug,
                name=name,
                labels=labels,
                icon=icon,
                description=description,
                descriptions=descriptions,
                position=position,
            )
            for n, (section, section_labels) in enumerate(kb.SECTIONS[slug]):
                sections[section] = Section.objects.create(
                    category=categories[slug], name=section, labels=section_labels, position=n
                )
        for slug, section, tags, versions in kb.ARTICLES:
            article = None
            for language, (title, summary, body) in versions.items():
                saved = kb_services.save_translation(
                    article,
                    kb_services.ArticleData(
                        category=categories[slug],
                        section=sections[section],
                        language=language,
                        title=title,
                        body=body,
                        summary=summary,
                        state="published",
                        tags=tuple(tags),
                    ),
                    author,
                )
                article = saved.article

    def load(self):
        rng = random.Random(2026)
        labels = demo_data.LABELS
        teams = {
            name: Team.objects.create(name=name, labels=labels[name]) for name in demo_data.TEAMS
        }
        users = []
        for username, first, last, role, visibility, main, extra, language in demo_data.USERS:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@helpdesk.example",
                role=role,
                visibility=visibility,
                main_team=teams[main],
                language=language,
                has_account_access=role == User.Role.SUPER_ADMIN,
                can_manage_views=role != User.Role.COLLABORATOR,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.teams.set([teams[t] for t in extra])
            users.append(user)
        agents = [u for u in users if u.role != User.Role.COLLABORATOR]

        for position, (key, label, kind, choices, on_form) in enumerate(demo_data.PROPERTIES):
            PropertyDefinition.objects.create(
                key=key,
                label=label,
                labels=labels[label],
                type=kind,
                choices=choices,
                choice_labels={c: labels[c] for c in choices if c in labels},
                on_create_form=on_form,
                position=position,
            )
        pipelines = []
        for position, (name, stages) in enumerate(demo_data.PIPELINES):
            pipeline = Pipeline.objects.create(name=name, labels=labels[name], position=position)
            for order, (stage_name, closed, required) in enumerate(stages):
                Stage.objects.create(
                    pipeline=pipeline,
                    name=stage_name,
                    labels=labels[stage_name],
                    position=order,
                    is_closed=closed,
                    required_properties=required,
                )
            pipelines.append(pipeline)

        companies = [Company.objects.create(name=n, domain=d) for n, d in demo_data.COMPANIES]
        contacts = []
        for index, (first, last, company) in enumerate(demo_data.CONTACTS):
            domain = companies[company].domain if company is not None else "mail.example"
            handle = f"contact{index + 1}"
            contacts.append(
                Contact.objects.create(
                    first_name=first,
                    last_name=last,
                    email=f"{handle}@{domain}",
                    phone=f"+1 555 01{index:02d}",
                    mobile=f"+1 555 02{index:02d}" if index % 3 == 0 else "",
                    company=companies[company] if company is not None else None,
                )
            )
        deals = [
            Deal.objects.create(name=n, amount=a, stage=s, company=companies[c])
            for n, a, s, c in demo_data.DEALS
        ]

        help_desk_inbox()  # the help desk's own inbox comes first
        # Inboxes outside the help desk, for moving conversations (S14).
        for name in demo_data.OTHER_INBOXES:
            Inbox.objects.create(name=name)
        addresses = []
        for email, name, default_for in demo_data.ADDRESSES:
            address = EmailAddress.objects.create(email=email, display_name=name)
            address.default_for_teams.set([teams[t] for t in default_for])
            addresses.append(address)
            # Mail to the address becomes tickets of its main team, e.g.
            #   manage.py ingest_email < message.eml
            EmailChannel.objects.create(
                address=address,
                pipeline=pipelines[0],
                stage=pipelines[0].stages.filter(is_closed=False, required_properties=[]).first(),
                team=teams[default_for[0]],
            )

        # A chat widget with its chatbot: open /chat/<key>/ to try it.
        widget = ChatWidget.objects.create(
            name="Northwind help",
            pipeline=pipelines[0],
            stage=pipelines[0].stages.filter(is_closed=False, required_properties=[]).first(),
            team=teams[demo_data.ADDRESSES[0][2][0]],
            bot_enabled=True,
        )
        for position, (question, keywords, answer) in enumerate(demo_data.BOT_ANSWERS):
            ChatBotAnswer.objects.create(
                widget=widget,
                position=position,
                question=question,
                keywords=keywords,
                answer=answer,
            )

        for name, shortcut, body in demo_data.SNIPPETS:
            Snippet.objects.create(name=name, shortcut=shortcut, body=body)
        for name, body in demo_data.TEMPLATES:
            ReplyTemplate.objects.create(name=name, body=body)
        for title, body, url in demo_data.ARTICLES:
            KnowledgeArticle.objects.create(title=title, body=body, url=url)
        for name, url in demo_data.MEETINGS:
            MeetingLink.objects.create(name=name, url=url)

        for name, colour in demo_data.TAGS:
            Tag.objects.update_or_create(name=name, defaults={"colour": colour})
        # Tags draw from their own sequence: the tickets stay those of before.
        tag_rng = random.Random(17)

        now = timezone.now()
        for number in range(TICKETS):
            index = rng.randrange(len(contacts))
            contact = contacts[index]
            language = demo_data.CONTACT_LANGUAGES[index]
            subject, body = rng.choice(demo_data.REQUESTS[language])
            pipeline = pipelines[0] if rng.random() < 0.8 else pipelines[1]
            stages = list(pipeline.stages.all())
            created = now - datetime.timedelta(minutes=rng.randrange(10, 7 * 24 * 60))
            # A week's mix: most recent tickets still open, older ones mostly closed.
            age = (now - created) / datetime.timedelta(days=7)
            stage = (
                rng.choice([s for s in stages if s.is_closed])
                if rng.random() < age * 0.8
                else (rng.choice([s for s in stages if not s.is_closed]))
            )
            owner = rng.choice(agents) if rng.random() < 0.75 or stage.is_closed else None
            properties = {"product_area": rng.choice(demo_data.PROPERTIES[0][3])}
            if "resolution" in stage.required_properties:
                properties["resolution"] = rng.choice(demo_data.PROPERTIES[2][3])
            ticket = services.ticket_create(
                actor=None,
                name=subject,
                description=body,
                pipeline=pipeline,
                stage=stage,
                owner=owner,
                team=owner.main_team if owner else rng.choice(list(teams.values())),
                priority=rng.choice(
                    Priority.values
                    if "priority" in stage.required_properties
                    else [*Priority.values, ""]
                ),
                category=rng.choice(Category.values),
                source=rng.choice([Source.EMAIL] * 5 + [Source.CHAT, Source.FORM, Source.PHONE]),
                properties=properties,
                contacts=[contact],
                companies=[contact.company] if contact.company else [],
                deals=[d for d in deals if d.company_id == contact.company_id][:1],
            )
            tags = []
            if tag_rng.random() < demo_data.TAGGED_SHARE:
                tags += demo_data.TAGS_BY_SUBJECT.get(subject, [])
            if contact.company and contact.company.name in demo_data.VIP_COMPANIES:
                tags.append("vip")
            services.ticket_tag(actor=owner, ticket=ticket, add=tags)
            activity = created + min(now - created, datetime.timedelta(days=2)) * rng.random()
            stamps = self.conversation(
                rng, ticket, contact, language, subject, body, created, owner, addresses[0]
            )
            ticket.refresh_from_db(fields=["stage"])
            if ticket.stage_id != stage.pk:
                # The customer's thanks reopened it; its owner closes it again.
                services.ticket_set_stage(actor=owner, ticket=ticket, stage=stage)
            self.place_in_the_past(
                ticket, stamps, created, activity, closed=stage.is_closed, spam=number % 97 == 5
            )

    def surveys(self):
        """Satisfaction surveys on, and a realistic share of the week's closed
        tickets asked an hour after closing: about half answered, most of
        them good, some with a comment in the customer's language. A data
        load like place_in_the_past: the rows are written as they would be."""
        rng = random.Random(21)
        for pipeline in Pipeline.objects.all():
            SurveySettings.objects.get_or_create(pipeline=pipeline)
        now = timezone.now()
        languages = dict(
            zip(
                Contact.objects.order_by("id").values_list("pk", flat=True),
                demo_data.CONTACT_LANGUAGES,
                strict=False,
            )
        )
        closed = (
            Ticket.objects.filter(is_open=False, is_spam=False, closed_at__isnull=False)
            .prefetch_related("contacts")
            .order_by("id")
        )
        surveys = []
        for ticket in closed:
            sent = ticket.closed_at + datetime.timedelta(hours=1)
            contact = next(iter(ticket.contacts.all()), None)
            if contact is None or sent > now or rng.random() > 0.65:
                continue
            survey = Survey(
                ticket=ticket,
                contact=contact,
                email=contact.email,
                status=Survey.Status.SENT,
                send_after=sent,
                sent_at=sent,
                answer_until=sent + datetime.timedelta(days=7),
            )
            rated = sent + datetime.timedelta(minutes=rng.randrange(5, 600))
            if rng.random() < 0.55 and rated < now:
                survey.rating = "good" if rng.random() < 0.82 else "bad"
                survey.rated_at = rated
                if rng.random() < 0.45:
                    words = demo_data.SURVEY_COMMENTS[languages.get(contact.pk, "en")]
                    survey.comment = rng.choice(words[survey.rating])
            surveys.append(survey)
        Survey.objects.bulk_create(surveys)

    def place_in_the_past(self, ticket, stamps, created, activity, *, closed, spam):
        """A data load, not a user action: the services stamped everything now,
        the demo spreads it over the week (the answer halfway, the rest at the
        last activity). Notifications of the past are read and were emailed."""
        halfway = created + (activity - created) / 2
        moments = {"customer": activity, "reply": halfway, "comment": activity}
        for n, (message, kind) in enumerate(stamps):
            moment = created if n == 0 else moments[kind]
            Message.objects.filter(pk=message.pk).update(created_at=moment)
        Notification.objects.filter(ticket=ticket).update(
            created_at=activity, read_at=activity, emailed_at=activity
        )
        OutboundEmail.objects.filter(message__ticket=ticket).update(sent_at=halfway)
        ticket.events.filter(kind=TicketEvent.Kind.CREATED).update(created_at=created)
        ticket.events.exclude(kind=TicketEvent.Kind.CREATED).update(created_at=activity)
        last = [message for message, kind in stamps if kind != "comment"][-1]
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            last_activity_at=activity,
            closed_at=activity if closed else None,
            preview=last.text[:200],
            is_spam=spam,
        )

    def channels(self):
        """A web form and a Messenger page beside the email addresses and the
        chat widget, and one customer item arriving through each channel, the
        way customers send them: stored in the inbound log, then processed, so
        the demo shows attachments (an inline screenshot, PDFs), a chatbot
        hand-off and Messenger exactly as they work."""
        from channels_inbound.chatbot import PERSON, bot_session, bot_turn
        from channels_inbound.ingest import inbound_process
        from channels_inbound.store import inbound_store
        from channels_inbound.webforms import _store, form_class

        pipeline = Pipeline.objects.order_by("position").first()
        stage = pipeline.stages.filter(is_closed=False, required_properties=[]).first()
        teams = {team.name: team for team in Team.objects.all()}
        users = {user.username: user for user in User.objects.all()}
        support = teams["Customer Support"]
        stored = []

        # A web form, published at /forms/support/, and a submission with a PDF.
        webform = WebForm.objects.create(
            **demo_data.WEB_FORM, pipeline=pipeline, stage=stage, team=support
        )
        properties = {p.key: p for p in PropertyDefinition.objects.all()}
        for position, (kind, label, required, key) in enumerate(demo_data.WEB_FORM_FIELDS):
            WebFormField.objects.create(
                form=webform,
                kind=kind,
                label=label,
                required=required,
                property=properties.get(key),
                position=position,
            )
        fields = {field.kind: f"f{field.pk}" for field in webform.fields.all()}
        name, title, lines = demo_data.WEB_FORM_FILE
        form = form_class(webform)(
            {fields[kind]: value for kind, value in demo_data.WEB_FORM_SUBMISSION.items()},
            {
                fields["file"]: SimpleUploadedFile(
                    name, demo_files.pdf_document(title, lines), "application/pdf"
                )
            },
        )
        if not form.is_valid():
            raise CommandError(f"The demo's form submission is invalid: {form.errors.as_text()}")
        stored.append(_store(webform, form, request=None))

        # An email with an inline screenshot and a PDF invoice, as a mail server pipes it.
        stored.append(
            inbound_store(source=InboundItem.Source.PIPE, payload=self.email_with_files())[0]
        )

        # The chat widget: a visitor asks the chatbot, then for a person.
        widget = ChatWidget.objects.order_by("pk").first()
        visitor = "7e1f0c2a9b8d4e6f8a1b2c3d4e5f6a7b"
        question, handoff = demo_data.CHAT_TURNS
        bot_turn(bot_session(widget, visitor), question, "", demo_data.CHAT_VISITOR)
        session = bot_session(widget, visitor)
        bot_turn(session, handoff, PERSON, demo_data.CHAT_VISITOR)
        stored.append(session.handoff)

        # A Messenger page (its token is read from the environment variable it
        # names) and a message from a person who wrote to it.
        page = MessengerPage.objects.create(
            **demo_data.MESSENGER_PAGE, pipeline=pipeline, stage=stage, team=support
        )
        stored.append(
            inbound_store(
                source=InboundItem.Source.MESSENGER,
                payload=self.messenger_event(page),
                content_type="application/json",
            )[0]
        )

        # What a worker does with each stored item; its queued run finds it done.
        for item in stored:
            inbound_process(item.pk)
        tickets = {
            item.source: item.ticket
            for item in InboundItem.objects.filter(pk__in=[i.pk for i in stored])
        }
        # Agents take three of the new tickets; the Messenger one waits in Unassigned.
        jonas, kasia, weiling = users["jonas"], users["kasia"], users["weiling"]
        for source, actor, owner, team in (
            (InboundItem.Source.FORM, jonas, kasia, teams["Billing"]),
            (InboundItem.Source.PIPE, jonas, jonas, support),
            (InboundItem.Source.CHAT, weiling, weiling, teams["Technical Support"]),
        ):
            services.ticket_update(actor=actor, ticket=tickets[source], owner=owner, team=team)

    def email_with_files(self) -> bytes:
        """A customer's email as their mail program sends it: text and HTML
        with the screenshot inline (cid:), and an invoice attached."""
        spec = demo_data.EMAIL_WITH_FILES
        first, last = spec["contact"]
        contact = Contact.objects.get(first_name=first, last_name=last)
        domain = contact.email.partition("@")[2]
        mail = EmailMessage()
        mail["From"] = formataddr((contact.display_name, contact.email))
        mail["To"] = demo_data.ADDRESSES[0][0]
        mail["Subject"] = spec["subject"]
        mail["Date"] = formatdate()
        mail["Message-ID"] = f"<demo-screenshot@{domain}>"
        mail.set_content(spec["text"])
        paragraphs = "".join(
            "<p>{}</p>".format(escape(p).replace("\n", "<br>")) for p in spec["text"].split("\n\n")
        )
        cid = f"screenshot@{domain}"
        mail.add_alternative(
            f'<html><body>{paragraphs}<p><img src="cid:{cid}" alt=""></p></body></html>',
            subtype="html",
        )
        mail.get_payload()[1].add_related(
            demo_files.png_screenshot(),
            "image",
            "png",
            cid=f"<{cid}>",
            filename=spec["screenshot"],
            disposition="inline",
        )
        name, title, lines = spec["invoice"]
        mail.add_attachment(
            demo_files.pdf_document(title, lines), "application", "pdf", filename=name
        )
        return mail.as_bytes()

    def messenger_event(self, page: MessengerPage) -> bytes:
        """The body Meta posts to the webhook for one message to the page."""
        sender, text = demo_data.MESSENGER_MESSAGE
        now = int(timezone.now().timestamp() * 1000)
        event = {
            "sender": {"id": sender},
            "recipient": {"id": page.page_id},
            "timestamp": now,
            "message": {"mid": f"m_demo_{sender}", "text": text},
        }
        body = {
            "object": "page",
            "entry": [{"id": page.page_id, "time": now, "messaging": [event]}],
        }
        return json.dumps(body).encode()

    def routing(self):
        """Routing methods and caps, agents' languages and skills: set, never
        added, so running it again changes nothing."""
        for name, (method, cap) in demo_data.TEAM_ROUTING.items():
            Team.objects.filter(name=name).update(routing=method, routing_cap=cap)
        for username, (languages, skills) in demo_data.AGENT_SKILLS.items():
            User.objects.filter(username=username).update(languages=languages, skills=skills)
        for name, usernames in demo_data.TEAM_LEADS.items():
            team = Team.objects.filter(name=name).first()
            if team is not None:
                team.leads.add(*User.objects.filter(username__in=usernames))

    def rules(self):
        """The rules a team sets up first (issue 17), each made once, by name:
        acknowledge new email, close what waits on the customer for five
        business days, route Korean requests to a Korean-speaking agent,
        escalate overdue tickets."""
        from workflows.models import Event, Moment, Rule

        support = Team.objects.get(name="Customer Support")
        waiting = [
            str(pk)
            for pk in Stage.objects.filter(name="Waiting on contact").values_list("pk", flat=True)
        ]
        acknowledge = demo_rules.ACKNOWLEDGE
        wanted = [
            (
                "Acknowledge new email requests",
                {
                    "events": [Event.CREATED],
                    "conditions_all": [["source", "any_of", "email"]],
                    "actions": [
                        {
                            "type": "send_email",
                            "subject": "",
                            "html": acknowledge[""],
                            "translations": {k: v for k, v in acknowledge.items() if k},
                        }
                    ],
                },
            ),
            (
                "Close tickets waiting on the customer for 5 business days",
                {
                    "trigger": Rule.Trigger.TIME,
                    "moment": Moment.STATUS,
                    "hours": 5 * 8,
                    "business_hours": True,
                    "conditions_all": [["stage", "any_of", ",".join(waiting)]],
                    "actions": [
                        {"type": "comment", "html": demo_rules.STALE_COMMENT},
                        {"type": "close"},
                    ],
                },
            ),
            (
                "Korean requests to a Korean-speaking agent",
                {
                    "events": [Event.CUSTOMER_MESSAGE],
                    "conditions_all": [["language", "any_of", "ko"], ["owner", "unknown", ""]],
                    "actions": [
                        {"type": "set_team", "team": support.pk},
                        {"type": "add_tags", "tags": ["korean"]},
                        {"type": "assign_by_routing"},
                    ],
                },
            ),
            (
                "Escalate overdue tickets",
                {
                    "events": [Event.SLA_OVERDUE],
                    "conditions_all": [["priority", "any_of", "low,medium"]],
                    "actions": [
                        {"type": "set_priority", "value": "high"},
                        {
                            "type": "notify",
                            "users": [],
                            "team": None,
                            "owner": True,
                            "text": "SLA overdue: priority raised to High",
                        },
                    ],
                },
            ),
        ]
        for position, (name, fields) in enumerate(wanted):
            rule = Rule(name=name, position=position, **fields)
            rule.full_clean(exclude=["created_by"])
            Rule.objects.get_or_create(
                name=name, defaults={**fields, "position": position, "actions": rule.actions}
            )

    def views(self):
        """Custom views (S27): one for everyone, one for a team, one private."""
        admin, jonas = User.objects.get(username="admin"), User.objects.get(username="jonas")
        support, billing = (
            Team.objects.get(name="Customer Support"),
            Team.objects.get(name="Billing"),
        )
        SavedView.objects.create(
            name="Urgent and high, still open",
            labels=demo_data.LABELS["Urgent and high, still open"],
            owner=admin,
            sharing=SavedView.Sharing.EVERYONE,
            filters=[["priority", "any_of", "urgent,high"], ["closed_at", "unknown", ""]],
        )
        SavedView.objects.create(
            name="SLA at risk",
            labels=demo_data.LABELS["SLA at risk"],
            owner=admin,
            sharing=SavedView.Sharing.TEAMS,
            filters=[["sla", "any_of", "overdue,due_soon"]],
            sort="-priority",
        ).teams.set([support])
        SavedView.objects.create(
            name="My billing tickets",
            labels=demo_data.LABELS["My billing tickets"],
            owner=jonas,
            filters=[["owner", "any_of", "me"], ["team", "any_of", str(billing.pk)]],
        )

    def macros(self):
        """Shared macros (issue 17), created or brought back to their demo
        actions: running the command again changes nothing else."""
        admin = User.objects.get(username="admin")
        pipeline = Pipeline.objects.get(name="Support pipeline")
        for name, team, steps in demo_data.MACROS:
            rows = []
            for kind, value, *more in steps:
                if kind == "set_status":
                    rows.append({"type": kind, "stage": pipeline.stages.get(name=value).pk})
                elif kind == "set_team":
                    rows.append({"type": kind, "team": Team.objects.get(name=value).pk})
                elif kind in ("comment", "reply_text"):
                    translations = more[0] if more else {}
                    rows.append({"type": kind, "html": value, "translations": translations})
                else:
                    rows.append({"type": kind, "value": value})
            macro, _created = Macro.objects.update_or_create(
                owner=admin,
                name=name,
                defaults={
                    "labels": demo_data.LABELS[name],
                    "sharing": Macro.Sharing.TEAMS if team else Macro.Sharing.EVERYONE,
                    "actions": validate_actions(rows, for_macro=True),
                    "position": [m[0] for m in demo_data.MACROS].index(name),
                },
            )
            macro.teams.set([Team.objects.get(name=team)] if team else [])

    def sla(self):
        """SLAs on working hours (Helsinki office, Finnish holidays), goals by
        priority, and the open tickets' clocks as their history started them."""
        from django.db.models import Min

        from sla.clocks import Clocks
        from sla.models import Calendar, SlaGoal, SlaSettings, WorkingPeriod

        SlaSettings.objects.update_or_create(
            pk=1,
            defaults={
                "enabled": True,
                "mode": SlaSettings.Mode.WORKING_HOURS,
                "goals_by": "priority",
            },
        )
        settings = SlaSettings.current()
        calendar = Calendar.objects.create(
            name="Helsinki office", time_zone="Europe/Helsinki", is_default=True,
            holiday_country="FI",
        )  # fmt: skip
        for weekday in range(5):
            WorkingPeriod.objects.create(
                calendar=calendar, weekday=weekday, start=datetime.time(8), end=datetime.time(18)
            )
        for value, first, following, close, soon in demo_data.SLA_GOALS:
            SlaGoal.objects.create(
                value=value,
                first_response_minutes=first,
                next_response_minutes=following,
                close_minutes=close,
                due_soon_minutes=soon,
            )
        # The week's history as outcomes, for the SLA report.
        from sla.clocks import calendar_schedule
        from sla.models import SlaOutcome

        schedule = calendar_schedule(calendar)
        goals = {g.value: g for g in SlaGoal.objects.all()}
        history = Ticket.objects.annotate(
            answered=Min("messages__created_at", filter=Q(messages__direction="outbound"))
        )
        outcomes = []
        for ticket in history:
            goal = goals[ticket.priority]
            for name, minutes, done in (
                ("first_response", goal.first_response_minutes, ticket.answered),
                ("close", goal.close_minutes, ticket.closed_at),
            ):
                if done:
                    due = schedule.add(ticket.created_at, datetime.timedelta(minutes=minutes))
                    outcomes.append(
                        SlaOutcome(
                            ticket=ticket, team_id=ticket.team_id, goal=name,
                            due_at=due, done_at=done, met=done <= due,
                        )
                    )  # fmt: skip
        SlaOutcome.objects.bulk_create(outcomes)
        Stage.objects.filter(name="Waiting on contact").update(pauses_sla=True)
        tickets = (
            Ticket.objects.filter(is_open=True)
            .select_related("stage")
            .annotate(
                answered=Min("messages__created_at", filter=Q(messages__direction="outbound"))
            )
        )
        for ticket in tickets:
            if ticket.stage.name == "Waiting on contact":
                ticket.sla_paused_at = ticket.last_activity_at
            clock = Clocks(ticket, settings)
            clock.customer_message(ticket.created_at)
            ticket.sla_first_response_at = ticket.answered  # answered: first response done
            clock.changed = True
            clock.save()

    def conversation(self, rng, ticket, contact, language, subject, body, created, owner, address):
        """The ticket's email thread as the services build it: the customer's
        message, maybe an answer from the owner (recorded as sent, nothing goes
        out) and the customer's thanks, maybe an internal comment. Returns the
        messages in order, each with what it is."""
        domain = contact.email.partition("@")[2]
        customer = {
            "ticket": ticket,
            "channel": Channel.EMAIL,
            "contact": contact,
            "from_name": contact.display_name,
            "from_email": contact.email,
            "to": [address.email],
            "cc": [],
            "html": "",
        }
        inbound = conversation_services.message_receive(
            **customer, thread=None, subject=subject, text=body,
            message_id=f"<demo-{ticket.pk}@{domain}>", new_ticket=True,
        )  # fmt: skip
        stamps = [(inbound, "customer")]
        if owner and rng.random() < 0.6:
            reply = conversation_services.reply_send(
                actor=owner,
                ticket=ticket,
                html=f"<p>{escape(demo_data.REPLIES[language])}</p>",
                to=[contact.email],
                from_address=address,
                reply_to=inbound,
                stage=ticket.stage,
            )
            # Recorded as sent before the commit: the send task finds nothing to do.
            OutboundEmail.objects.filter(message=reply).update(status=OutboundEmail.Status.SENT)
            stamps.append((reply, "reply"))
            if rng.random() < 0.35:
                thanks, attribution = demo_data.FOLLOW_UPS[language]
                quote = attribution.format(
                    date=created.date().isoformat(), agent=owner.display_name
                )
                follow_up = conversation_services.message_receive(
                    **customer, thread=inbound.thread, subject=f"Re: {subject}",
                    text=f"{thanks}\n\n{quote}\n> {reply.text}\n",
                    message_id=f"<demo-thanks-{ticket.pk}@{domain}>",
                    in_reply_to=reply.message_id,
                    references=f"{inbound.message_id} {reply.message_id}",
                )  # fmt: skip
                stamps.append((follow_up, "customer"))
        if owner and rng.random() < 0.25:
            comment = conversation_services.comment_add(
                actor=owner, ticket=ticket, html=f"<p>{escape(rng.choice(demo_data.COMMENTS))}</p>"
            )
            stamps.append((comment, "comment"))
        return stamps
