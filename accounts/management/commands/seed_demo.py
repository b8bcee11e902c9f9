"""Load demo data. Idempotent: running it again creates nothing twice and deletes nothing."""

import importlib
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import demo as accounts_demo

# Each app may have a `demo.py` with `seed(stdout, users)`, run in this order, each in its own
# transaction; and `summary(stdout, users)`, run in the same order once everything is seeded,
# to say what the demo shows (its deliberate working-time violations and why, what waits for
# the manager, each person's weeks).
DEMO_APPS = ["leave", "timetracking", "sprockets", "reports", "billing"]


class Command(BaseCommand):
    help = "Create demo users and a month of realistic data up to now (safe to run again)."

    def handle(self, *args, **options):
        began = time.perf_counter()
        self.stdout.write("Seeding demo data ...")
        with transaction.atomic():
            users = accounts_demo.seed(self.stdout)
        modules = []
        for app in DEMO_APPS:
            try:
                modules.append((app, importlib.import_module(f"{app}.demo")))
            except ModuleNotFoundError as error:
                if error.name != f"{app}.demo":
                    raise
        for app, module in modules:
            if hasattr(module, "seed"):
                self.stdout.write(f"Seeding {app} ...")
                started = time.perf_counter()
                with transaction.atomic():
                    module.seed(self.stdout, users)
                self.stdout.write(f"  ({app} in {time.perf_counter() - started:.1f} s)")
        self.stdout.write("What the demo shows:")
        for _app, module in modules:
            if hasattr(module, "summary"):
                module.summary(self.stdout, users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.perf_counter() - began:.1f} s. Log in at http://127.0.0.1:8000/ with:"
            )
        )
        for username, role in accounts_demo.logins():
            self.stdout.write(f"  {username:<8} / {accounts_demo.DEMO_PASSWORD}   ({role})")
