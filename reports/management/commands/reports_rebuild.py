from django.core.management.base import BaseCommand

from reports import facts


class Command(BaseCommand):
    help = "Compute every ticket's report facts and the hourly rollups from scratch."

    def handle(self, *args, **options):
        done = facts.rebuild()
        self.stdout.write(f"{done} tickets")
