"""Load demo data. Idempotent: running it again creates nothing twice and deletes nothing."""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import demo as accounts_demo

# Each app may have a `demo.py` with `seed(stdout, users)`; they run in this order.
DEMO_APPS = ["leave", "timetracking", "sprockets", "reports"]


class Command(BaseCommand):
    help = "Create demo users and a few weeks of realistic data (safe to run again)."

    def handle(self, *args, **options):
        self.stdout.write("Seeding demo data ...")
        with transaction.atomic():
            users = accounts_demo.seed(self.stdout)
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as error:
                if error.name != f"{app}.demo":
                    raise
                continue
            self.stdout.write(f"Seeding {app} ...")
            with transaction.atomic():
                module.seed(self.stdout, users)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/ with:"))
        for username, role in accounts_demo.logins():
            self.stdout.write(f"  {username:<8} / {accounts_demo.DEMO_PASSWORD}   ({role})")
