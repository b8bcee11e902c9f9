from django.core.management.base import BaseCommand

from billing.services.prices import prices_sync_settings


class Command(BaseCommand):
    help = (
        "Reprice every time entry and store its money (its `price_*` columns). `migrate` does it by itself when "
        "BILLING_DEFAULT_CURRENCY or BILLING_ROUNDING changed; run this after changing rates or roundings "
        "outside the app (SQL, fixtures)."
    )

    def handle(self, *args, **options):
        written = prices_sync_settings(force=True)
        self.stdout.write(f"Repriced {written} entries.")
