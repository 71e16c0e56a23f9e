"""What the reports read (issue 21): one row of facts per ticket and hourly
rollups of them, both written only by reports.facts.

- `TicketFact`: a ticket's measures worked out from its timeline, messages
  and SLA calendar (first response, next responses, resolution, reopenings),
  kept for tickets a report counts: not deleted, not spam, not merged into
  another (the survivor counts for both), with their current satisfaction
  survey.
- `Rollup`: counts per UTC hour and team, owner, pipeline, channel and
  priority. Hours rather than days: a day in any time zone whose offset is
  whole hours is a sum of hours, so one table serves every agent's days, and
  the heat map of incoming tickets by hour reads it as it is.
- `DirtyTicket`: tickets changed since the last refresh (a queue).
"""

from django.contrib.postgres.fields import ArrayField, DateTimeRangeField
from django.contrib.postgres.indexes import GistIndex
from django.db import models

DIMENSIONS = ["team", "owner", "pipeline_id", "source", "priority"]


class OpenSpan(models.Func):
    """(created, last close]: every moment a ticket was open lies in it (it
    runs on while the ticket is open). A moment on a close counts as open, as
    the reports' days do: a close at midnight belongs to the day it starts."""

    function = "tstzrange"
    output_field = DateTimeRangeField()

    def __init__(self):
        super().__init__("created_at", "solved_at", models.Value("(]"))


class TicketFact(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    owner = models.ForeignKey(
        "accounts.User",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    pipeline_id = models.BigIntegerField()
    source = models.CharField(max_length=20)
    priority = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField()
    # The close that holds now (None while open) and every close and reopening
    # the timeline records.
    solved_at = models.DateTimeField(null=True)
    closes = ArrayField(models.DateTimeField(), default=list)
    reopens = ArrayField(models.DateTimeField(), default=list)
    # Seconds, in calendar time and in the working time of the team's calendar;
    # None where there is nothing to measure (no customer message, no answer yet).
    first_response_at = models.DateTimeField(null=True)
    first_response = models.IntegerField(null=True)
    first_response_business = models.IntegerField(null=True)
    next_responses = ArrayField(models.IntegerField(), default=list)
    next_responses_business = ArrayField(models.IntegerField(), default=list)
    resolution = models.IntegerField(null=True)
    resolution_business = models.IntegerField(null=True)
    replies = models.IntegerField(default=0)
    # The ticket's current satisfaction survey (surveys: the latest one sent)
    # and its answer: the Satisfaction report counts these, so a ticket counts
    # once, with its team, owner and channel of now, like every other report.
    survey = models.ForeignKey(
        "surveys.Survey",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    survey_sent_at = models.DateTimeField(null=True)
    survey_rated_at = models.DateTimeField(null=True)
    survey_rating = models.CharField(max_length=10, blank=True)
    survey_commented = models.BooleanField(default=False)

    class Meta:
        # Covering indexes: a report's range reads the index only, never the
        # table (a year is a third of a million rows at a million tickets).
        indexes = [
            models.Index(
                fields=["created_at"], name="fact_created", include=["ticket", *DIMENSIONS]
            ),
            models.Index(
                fields=["solved_at"],
                name="fact_solved",
                include=[
                    "ticket",
                    *DIMENSIONS,
                    "replies",
                    "first_response",
                    "first_response_business",
                    "resolution",
                    "resolution_business",
                    "next_responses",
                    "next_responses_business",
                ],
            ),
            models.Index(
                fields=["survey_sent_at"],
                name="fact_survey_sent",
                condition=models.Q(survey_sent_at__isnull=False),
                include=["ticket", *DIMENSIONS, "survey_rated_at"],
            ),
            models.Index(
                fields=["survey_rated_at"],
                name="fact_survey_rated",
                condition=models.Q(survey_rated_at__isnull=False),
                include=["ticket", *DIMENSIONS, "survey_rating", "survey_commented", "survey"],
            ),
            # The tickets ever reopened, a few in a hundred: the Volume report's
            # "Reopened" and its table filter (reports.filters) read just them.
            models.Index(
                fields=["ticket"],
                name="fact_reopened",
                condition=models.Q(reopens__len__gt=0),
                include=[*DIMENSIONS, "reopens"],
            ),
            # The tickets open at a past moment (reports.filters.open_at).
            GistIndex(OpenSpan(), name="fact_open_span"),
            models.Index(
                fields=["team", "owner"],
                name="fact_open",
                condition=models.Q(solved_at__isnull=True),
                include=["ticket", "pipeline_id", "source", "priority"],
            ),
        ]

    def __str__(self) -> str:
        return f"facts of {self.ticket_id}"


class Rollup(models.Model):
    hour = models.DateTimeField()
    team_id = models.BigIntegerField(null=True)
    owner_id = models.BigIntegerField(null=True)
    pipeline_id = models.BigIntegerField()
    source = models.CharField(max_length=20)
    priority = models.CharField(max_length=10, blank=True)
    created = models.IntegerField(default=0)
    # Tickets whose close that holds now falls in the hour.
    solved = models.IntegerField(default=0)
    # Every close and reopening (the backlog walks back from now with them).
    closes = models.IntegerField(default=0)
    reopens = models.IntegerField(default=0)
    # Of the tickets solved in the hour: those answered with one reply, and replies.
    one_touch = models.IntegerField(default=0)
    replies = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "hour",
                "team_id",
                "owner_id",
                "pipeline_id",
                "source",
                "priority",
                name="rollup_unique_cell",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(
                fields=["hour"],
                name="rollup_hour",
                include=[
                    "team_id",
                    "owner_id",
                    "pipeline_id",
                    "source",
                    "priority",
                    "created",
                    "solved",
                    "closes",
                    "reopens",
                ],
            )
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h"


class DirtyTicket(models.Model):
    ticket_id = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return str(self.ticket_id)
