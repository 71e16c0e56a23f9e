from celery import shared_task
from django.utils import timezone

from .models import IdempotentRequest


@shared_task
def purge_idempotent_requests() -> int:
    """Forget the answers kept for Idempotency-Keys once their time is up."""
    deleted, _ = IdempotentRequest.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
