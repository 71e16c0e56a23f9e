"""Read one raw email on standard input and store it (for an MTA pipe, such as
Postfix's `support: "|/srv/helpdesk/manage.py ingest_email"`).

Exit status 0 means stored (a worker turns it into a ticket); 75 (EX_TEMPFAIL)
tells the mail server to keep the message and try again later.
"""

import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from channels_inbound.models import InboundItem
from channels_inbound.store import inbound_store

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store one raw email from standard input in the inbound log."

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            self.stderr.write("No message on standard input.")
            sys.exit(EX_TEMPFAIL)
        try:
            item, created = inbound_store(source=InboundItem.Source.PIPE, payload=raw)
        except DatabaseError as error:
            self.stderr.write(f"Not stored ({type(error).__name__}); the mail server will retry.")
            sys.exit(EX_TEMPFAIL)
        state = "stored" if created else "already stored"
        self.stdout.write(f"Inbound item {item.pk} {state}.")
