"""Run the allowance policies now: carry-over, accrual and expiry (idempotent)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leave import services


class Command(BaseCommand):
    help = "Book carry-over, accruals and carry-over expiry up to a date (default today). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default: today (UTC)")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else timezone.now().date()
        except ValueError as error:
            raise CommandError(f"--date must be YYYY-MM-DD: {error}") from error
        booked = services.leave_run_policies(today=today)
        self.stdout.write(
            f"{today}: {booked['carry_over']} carry-over, {booked['accruals']} accrual, "
            f"{booked['expiry']} expiry row(s) booked."
        )
