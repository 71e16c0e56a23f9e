from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self):
        from channels_inbound.chat import register_poll_extension
        from helpdesk.prepared import Prepared
        from tickets.filters import register_related
        from tickets.views.workspace import register_detail_extension

        from . import filters, receivers, tasks  # noqa: F401 (connect the receiver, register tasks)
        from .models import Survey

        for prop in (filters.SURVEY_SENT, filters.RATING, filters.RATED_AT):
            register_related(prop)

        # Asked for every ticket opened: compiled once (helpdesk.prepared).
        latest_rating = Prepared(
            lambda ticket: Survey.objects.filter(ticket=ticket, rated_at__isnull=False).order_by(
                "-rated_at", "-id"
            )[:1],
            int,
        )

        @register_detail_extension
        def rating_badge(user, ticket):
            survey = latest_rating.first(ticket.pk)
            return {"survey": survey, "header_templates": ["surveys/badge.html"] if survey else []}

        @register_poll_extension
        def widget_survey(thread):
            from .widget import widget_survey

            return widget_survey(thread)
