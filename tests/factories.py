import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import Team, User
from crm.models import Company, Contact, Deal
from tickets import services
from tickets.models import Pipeline, PropertyDefinition, Stage, Ticket

PASSWORD = "correct-horse-battery"


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = User.Role.AGENT
    visibility = User.Visibility.ALL
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")


class DealFactory(DjangoModelFactory):
    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"Deal {n}")
    amount = 1200


class PipelineFactory(DjangoModelFactory):
    class Meta:
        model = Pipeline
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Pipeline {n}")

    @factory.post_generation
    def stages(self, create, extracted, **kwargs):
        """Every pipeline gets New, Waiting, Closed (requires a category)."""
        if not create or extracted is False:
            return
        StageFactory(pipeline=self, name="New", position=0)
        StageFactory(pipeline=self, name="Waiting on contact", position=1)
        StageFactory(
            pipeline=self,
            name="Closed",
            position=2,
            is_closed=True,
            required_properties=["category"],
        )


class StageFactory(DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory, stages=False)
    name = factory.Sequence(lambda n: f"Stage {n}")


class PropertyDefinitionFactory(DjangoModelFactory):
    class Meta:
        model = PropertyDefinition

    key = factory.Sequence(lambda n: f"prop_{n}")
    label = factory.Sequence(lambda n: f"Property {n}")


class TicketFactory(factory.Factory):
    """Tickets are made through the create service, like every real ticket."""

    class Meta:
        model = Ticket

    name = factory.Sequence(lambda n: f"Ticket {n}")
    pipeline = factory.SubFactory(PipelineFactory)
    stage = factory.LazyAttribute(lambda t: t.pipeline.stages.order_by("position").first())
    actor = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.ticket_create(**kwargs)

    _build = _create


class EmailAddressFactory(DjangoModelFactory):
    class Meta:
        model = "conversations.EmailAddress"

    email = factory.Sequence(lambda n: f"support{n}@helpdesk.example")
    display_name = "Support"


def inbound_message(
    ticket,
    *,
    contact=None,
    text="Hello, I need help.",
    html="",
    to=("support0@helpdesk.example",),
):
    """A customer's email on the ticket, as ingestion would store it."""
    from conversations.models import Channel, Message, Thread
    from conversations.quoting import inbound_body
    from conversations.services import help_desk_inbox

    thread = ticket.threads.first() or Thread.objects.create(
        ticket=ticket, inbox=help_desk_inbox(), channel=Channel.EMAIL
    )
    contact = contact or ContactFactory()
    return Message.objects.create(
        thread=thread,
        ticket=ticket,
        direction=Message.Direction.INBOUND,
        contact=contact,
        from_name=contact.display_name,
        from_email=contact.email,
        to=list(to),
        subject=ticket.name,
        **inbound_body(html=html, text=text),
        message_id=f"<inbound-{ticket.pk}-{Message.objects.count()}@customer.example>",
    )


class EmailChannelFactory(DjangoModelFactory):
    """A connected team address whose mail lands in `pipeline`'s first status."""

    class Meta:
        model = "channels_inbound.EmailChannel"

    address = factory.SubFactory(EmailAddressFactory)
    pipeline = factory.SubFactory(PipelineFactory)
    stage = factory.LazyAttribute(lambda c: c.pipeline.stages.order_by("position").first())


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = "knowledge.Category"

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


def article(
    *,
    title="How to request a refund",
    body="<p>Open Billing in the settings and choose Refund.</p>",
    language="en",
    state="published",
    category=None,
    section=None,
    author=None,
    tags=(),
    of=None,
):
    """A knowledge base translation saved through the service (revision and
    search vector included); `of` adds it to an existing article."""
    from knowledge import services

    category = category or (of.category if of else CategoryFactory())
    return services.save_translation(
        of,
        services.ArticleData(
            category=category,
            section=section,
            language=language,
            title=title,
            body=body,
            state=state,
            tags=tuple(tags),
        ),
        author or UserFactory(can_write_articles=True),
    )


class DocumentFactory(DjangoModelFactory):
    """A library document (S18) with a small stored file; shared with everyone
    unless told otherwise."""

    class Meta:
        model = "library.Document"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Document {n}")
    file = factory.django.FileField(filename="guide.pdf", data=b"%PDF-1.4 guide")
    filename = "guide.pdf"
    content_type = "application/octet-stream"
    size = 14
    sharing = "everyone"

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.set(extracted)


class QuoteFactory(DjangoModelFactory):
    """A quote on a deal, valid for 30 days; `lines` are (description,
    quantity, unit price) triples."""

    class Meta:
        model = "library.Quote"
        skip_postgeneration_save = True

    deal = factory.SubFactory(DealFactory)
    title = factory.Sequence(lambda n: f"Quote {n}")
    currency = "EUR"
    expires_on = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=30))
    sharing = "everyone"

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        from decimal import Decimal

        from library.models import QuoteLine

        if not create:
            return
        rows = extracted if extracted is not None else [("Seats", "10", "12.50")]
        for position, (description, quantity, price) in enumerate(rows):
            QuoteLine.objects.create(
                quote=self,
                position=position,
                description=description,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
            )

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.set(extracted)


class VideoFactory(DjangoModelFactory):
    """A library video: an uploaded MP4 by default, or pass url= (and file="")."""

    class Meta:
        model = "library.Video"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Video {n}")
    file = factory.django.FileField(
        filename="tour.mp4", data=b"\x00\x00\x00\x18ftypmp42" + b"v" * 20
    )
    filename = "tour.mp4"
    content_type = "video/mp4"
    size = 32
    sharing = "everyone"

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.set(extracted)


class SurveyFactory(DjangoModelFactory):
    """A satisfaction survey sent (and, with `rating`, answered) at set moments."""

    class Meta:
        model = "surveys.Survey"

    ticket = factory.SubFactory(TicketFactory)
    status = "sent"
    send_after = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyAttribute(lambda s: s.send_after)
    answer_until = factory.LazyAttribute(lambda s: s.sent_at + datetime.timedelta(days=7))
    rating = ""
    rated_at = factory.LazyAttribute(lambda s: s.sent_at if s.rating else None)
