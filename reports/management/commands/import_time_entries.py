"""manage.py import_time_entries FILE --format toggl|clockify|native --user USERNAME"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from core.errors import DomainError
from reports import services
from reports.models import ImportFormat


class Command(BaseCommand):
    help = (
        "Import time entries from a Toggl Track or Clockify detailed-report CSV, or from this app's CSV "
        "export. All or nothing; rows imported before are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV file.")
        parser.add_argument("--format", required=True, choices=ImportFormat.values)
        parser.add_argument("--user", required=True, help="Username (or e-mail) whose time the rows are.")
        parser.add_argument(
            "--create-missing", action="store_true", help="Create projects, tasks and tags that do not exist yet."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check every row and save nothing.")

    def handle(self, *args, **options):
        user = (
            User.objects.filter(username=options["user"]).first()
            or User.objects.filter(email__iexact=options["user"]).first()
        )
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        try:
            rows = services.parse_upload(data=path.read_bytes(), file_format=options["format"], user=user)
            # The command runs as an administrator acting for `user`: HR rules apply to the actor.
            result = services.entries_import(
                actor=user,
                user=user,
                rows=rows,
                create_missing=options["create_missing"],
                dry_run=options["dry_run"],
                progress=lambda count: self.stdout.write(f"  {count} rows ..."),
            )
        except services.ImportRefused as error:
            for row in error.errors:
                self.stderr.write(f"  line {row['row']}: {_describe(row['errors'])}")
            raise CommandError(error.message) from error
        except DomainError as error:
            raise CommandError(error.message) from error
        prefix = "Would import" if options["dry_run"] else "Imported"
        if result["errors"]:
            for row in result["errors"]:
                self.stderr.write(f"  line {row['row']}: {_describe(row['errors'])}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix} {result['created']} entries for {user.username}; "
                f"{result['skipped']} already imported, {len(result['errors'])} refused."
            )
        )


def _describe(errors):
    return "; ".join(
        f"{field}: {' '.join(messages) if isinstance(messages, list) else messages}"
        for field, messages in errors.items()
        if field != "code"
    )
