"""Set up a real company (no demo data): the first HR account and a starter set of leave types.

    manage.py setup                      # asks for what is missing (on a terminal)
    manage.py setup --noinput --company-name "Acme GmbH" --country DE --subdivision BY \\
        --time-zone Europe/Berlin --hr-username hr --hr-email hr@acme.example   # SETUP_HR_PASSWORD=...
    manage.py setup --file setup.json    # the same keys: company_name, country, ...

Safe to run again: what exists is kept (see leave/services/setup.py)."""

import getpass
import json
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from core.errors import DomainError
from leave.services import company_setup
from leave.services.setup import DEFAULT_VACATION_DAYS, SetupResult

# key, prompt, default (None: required)
FIELDS: list[tuple[str, str, str | None]] = [
    ("company_name", "Company name", None),
    ("country", "Country for public holidays (ISO 3166, e.g. DE)", None),
    ("subdivision", "State or region for public holidays (e.g. BY; empty: none)", ""),
    ("time_zone", "Time zone (IANA, e.g. Europe/Berlin)", None),
    ("working_weekdays", "Working weekdays (1 = Monday ... 7 = Sunday)", "12345"),
    ("weekly_hours", "Contract hours per week", "40"),
    ("hr_username", "First HR account: username", None),
    ("hr_email", "First HR account: e-mail address", None),
]
FILE_KEYS = {key for key, _prompt, _default in FIELDS} | {"hr_password", "leave_types", "vacation_days"}


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()


class Command(BaseCommand):
    help = (
        "Set up the company: default country/region, time zone and working week, the first HR account and a "
        "starter set of leave types with allowances. No demo data; safe to run again (existing data is kept)."
    )

    def add_arguments(self, parser):
        for key, prompt, default in FIELDS:
            suffix = f" (default {default!r})" if default else ""
            parser.add_argument(_flag(key), dest=key, help=prompt + suffix)
        parser.add_argument(
            "--hr-password", dest="hr_password", help="Password of the HR account (or env SETUP_HR_PASSWORD)."
        )
        parser.add_argument("--vacation-days", dest="vacation_days", help=f"Default {DEFAULT_VACATION_DAYS}.")
        parser.add_argument(
            "--no-leave-types", dest="leave_types", action="store_false", help="Do not create the starter leave types."
        )
        parser.add_argument("--file", help="A JSON file with the same keys (company_name, country, ...).")
        parser.add_argument("--noinput", "--no-input", dest="noinput", action="store_true", help="Never prompt.")

    def handle(self, *args, **options):
        values = self._from_file(options["file"]) if options["file"] else {}
        for key in FILE_KEYS - {"leave_types"}:
            if options.get(key) not in (None, ""):
                values[key] = options[key]  # a flag wins over the file
        if not options["leave_types"]:
            values["leave_types"] = False
        if not values.get("hr_password") and os.environ.get("SETUP_HR_PASSWORD"):
            values["hr_password"] = os.environ["SETUP_HR_PASSWORD"]

        interactive = not options["noinput"] and stdin_is_tty()
        prompts = {key: (prompt, default) for key, prompt, default in FIELDS}
        asked = set()  # what the person typed is asked again when refused; a refused flag ends the command
        for key, (prompt, default) in prompts.items():
            if values.get(key) not in (None, ""):
                continue
            if interactive:
                values[key] = self._ask(prompt, default)
                asked.add(key)
            elif default is not None:
                values[key] = default
            else:
                raise CommandError(f"{_flag(key)} is required (or {key!r} in --file), e.g. {_flag(key)}=...")
        if not values.get("hr_password") and interactive and not self._hr_account_exists(values["hr_username"]):
            # An HR account kept from an earlier run keeps its password: nothing to ask.
            values["hr_password"] = self._ask_password()
            asked.add("hr_password")

        while True:
            try:
                result = self._setup(values)
                break
            except DomainError as error:
                if error.field not in asked:
                    where = f"{_flag(error.field)}: " if error.field else ""
                    raise CommandError(f"{where}{error.message} Nothing was written.") from error
                self.stderr.write(f"  {error.message}")
                if error.field == "hr_password":
                    values["hr_password"] = self._ask_password()
                else:
                    values[error.field] = self._ask(*prompts[error.field])

        for line in result.created:
            self.stdout.write(f"  created {line}")
        for line in result.kept:
            self.stdout.write(f"  kept    {line}")
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"{values['company_name']} is set up."))
        else:
            self.stdout.write("Nothing to do: everything already exists (nothing was changed).")

    def _setup(self, values: dict) -> SetupResult:
        return company_setup(
            company_name=str(values["company_name"]),
            country=str(values["country"]),
            subdivision=str(values["subdivision"]),
            time_zone=str(values["time_zone"]),
            working_weekdays=str(values["working_weekdays"]),
            weekly_hours=str(values["weekly_hours"]),
            hr_username=str(values["hr_username"]),
            hr_email=str(values["hr_email"]),
            hr_password=values.get("hr_password") or None,
            leave_types=values.get("leave_types", True),
            vacation_days=str(values.get("vacation_days", DEFAULT_VACATION_DAYS)),
        )

    @staticmethod
    def _hr_account_exists(username: object) -> bool:
        return User.objects.filter(username__iexact=str(username).strip()).exists()

    def _from_file(self, path: str) -> dict:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"--file: cannot read {path}: {error.strerror or error}") from error
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CommandError(f"--file: {path} is not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise CommandError(f"--file: {path} must hold a JSON object with keys such as company_name.")
        unknown = sorted(set(data) - FILE_KEYS)
        if unknown:
            raise CommandError(f"--file: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(FILE_KEYS))}.")
        if "leave_types" in data and not isinstance(data["leave_types"], bool):
            raise CommandError("--file: leave_types must be true or false.")
        for key, value in data.items():
            if key != "leave_types" and (isinstance(value, bool) or not isinstance(value, str | int | float)):
                raise CommandError(f"--file: {key} must be a string or a number.")
        return dict(data)

    def _ask(self, prompt: str, default: str | None) -> str:
        while True:
            shown = f" [{default}]" if default else ""
            answer = input(f"{prompt}{shown}: ").strip()
            if answer:
                return answer
            if default is not None:
                return default
            self.stderr.write("  This is required.")

    def _ask_password(self) -> str:
        while True:
            password = getpass.getpass("First HR account: password: ")
            if not password:
                self.stderr.write("  This is required.")
                continue
            if getpass.getpass("Password (again): ") == password:
                return password
            self.stderr.write("  The passwords do not match; try again.")
