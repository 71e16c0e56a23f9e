from celery import shared_task

from . import emails, links


@shared_task(acks_late=True)
def send_sign_in_email(link_id: int) -> None:
    emails.sign_in_email_send(link_id)


@shared_task
def purge_sign_in_links() -> None:
    links.links_purge()
