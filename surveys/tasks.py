from celery import shared_task

from . import services


@shared_task(acks_late=True)
def send_survey(survey_id: int) -> None:
    services.survey_send(survey_id)


@shared_task
def send_due_surveys() -> None:
    services.surveys_send_due()
