"""HR imports people from a CSV: a preview first, then all or nothing.

One row per person, matched on the e-mail address (case-insensitive): a known address updates
that person, a new one creates them (no usable password: they are invited). Managers are named by
e-mail and may be anywhere in the file or already in the database, in any order; a chain that
loops back is refused. `position` names an existing position by its title (any case; empty: none).
`start_date` becomes the day they joined (leave pro-rating reads it).
Every refused line is reported with its line number and field, and then nothing is written.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Position, User
from accounts.services import AccountsError, audit_changes, audit_record

COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "username",
    "manager_email",
    "position",
    "country",
    "subdivision",
    "timezone",
    "weekly_hours",
    "working_weekdays",
    "start_date",
)
MAX_ROWS = 5000
MAX_BYTES = 2_000_000
# Columns whose empty cell keeps what the person has (or the model's default for a new one).
_OPTIONAL = {"first_name", "last_name", "username", "country", "subdivision", "timezone", "weekly_hours"}


class PeopleImportRefused(AccountsError):
    """400 with every refused line: [{"line", "field", "message"}]."""

    default_code = "import_refused"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the file: nothing was imported.")
        self.errors = errors

    def as_dict(self) -> dict[str, Any]:
        return {"detail": self.message, "code": self.code, "errors": self.errors}


@dataclass
class ImportedPerson:
    line: int
    email: str
    action: str  # "create" | "update" | "unchanged"
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class PeopleImportResult:
    dry_run: bool
    people: list[ImportedPerson]

    def count(self, action: str) -> int:
        return sum(1 for person in self.people if person.action == action)


class _Rollback(Exception):
    pass


def _read(text: str) -> list[tuple[int, dict[str, str]]]:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise PeopleImportRefused(
            [
                {
                    "line": 0,
                    "field": gettext("file"),
                    "message": gettext("The file is over {MAX_BYTES} bytes.").format(MAX_BYTES=MAX_BYTES),
                }
            ]
        )
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "email" not in header:
        raise PeopleImportRefused(
            [{"line": 1, "field": gettext("email"), "message": gettext("The header row needs an email column.")}]
        )
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        message = f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. Known: {', '.join(COLUMNS)}."
        raise PeopleImportRefused([{"line": 1, "field": unknown[0], "message": message}])
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if None in row:  # more cells than the header names
                raise PeopleImportRefused(
                    [
                        {
                            "line": reader.line_num,
                            "field": gettext("file"),
                            "message": gettext("More cells than the header has columns."),
                        }
                    ]
                )
            cells = {name: (value or "").strip() for name, value in row.items()}
            if any(cells.values()):
                rows.append((reader.line_num, cells))
            if len(rows) > MAX_ROWS:
                raise PeopleImportRefused(
                    [
                        {
                            "line": reader.line_num,
                            "field": gettext("file"),
                            "message": gettext("At most {MAX_ROWS} people per file.").format(MAX_ROWS=MAX_ROWS),
                        }
                    ]
                )
    except csv.Error as error:
        raise PeopleImportRefused(
            [{"line": reader.line_num, "field": gettext("file"), "message": str(error)}]
        ) from None
    if not rows:
        raise PeopleImportRefused([{"line": 2, "field": gettext("file"), "message": gettext("The file names nobody.")}])
    return rows


def _username_for(email: str, taken: set[str]) -> str:
    base = "".join(ch for ch in email.split("@")[0] if ch.isalnum() or ch in "._-")[:140] or "user"
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{base}{number}"
    taken.add(candidate.lower())
    return candidate


def _joined(start: str, user: User) -> datetime:
    day = date.fromisoformat(start)
    try:
        zone = zoneinfo.ZoneInfo(user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")  # the time zone's own error is reported at its field
    return datetime.combine(day, time.min, tzinfo=zone)


def _errors_of(line: int, error: ValidationError) -> list[dict[str, Any]]:
    if hasattr(error, "error_dict"):
        return [
            {"line": line, "field": name, "message": " ".join(message for message in messages)}
            for name, messages in error.message_dict.items()
        ]
    return [{"line": line, "field": "file", "message": " ".join(error.messages)}]


def _manager_cycles(managers: dict[int, int | None]) -> set[int]:
    """The ids whose manager chain (in `managers`: id -> manager id) comes back to them."""
    looping = set()
    for start in managers:
        seen = {start}
        current = managers.get(start)
        while current is not None:
            if current == start:
                looping.add(start)
                break
            if current in seen:
                break
            seen.add(current)
            current = managers.get(current)
    return looping


def people_import(*, actor: User, text: str, dry_run: bool) -> PeopleImportResult:
    """Read, check and (unless `dry_run`) write the people of `text`, all or nothing. Raises
    PeopleImportRefused listing every refused line."""

    rows = _read(text)
    try:
        with transaction.atomic():
            result = _import(actor=actor, rows=rows, dry_run=dry_run)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result


def _import(*, actor: User, rows: list[tuple[int, dict[str, str]]], dry_run: bool) -> PeopleImportResult:
    errors: list[dict[str, Any]] = []
    by_email: dict[str, tuple[int, dict[str, str]]] = {}
    for line, cells in rows:
        email = cells["email"].lower()
        if not email:
            errors.append({"line": line, "field": "email", "message": "Every person needs an e-mail address."})
        elif email in by_email:
            errors.append({"line": line, "field": "email", "message": f"{email} is on line {by_email[email][0]} too."})
        else:
            by_email[email] = (line, cells)
    # Everyone the file or its managers name, in one query (locked: a second import at the same
    # time waits, so two files cannot both create the same address).
    named = set(by_email) | {cells.get("manager_email", "").lower() for _line, cells in rows} - {""}
    existing = {
        user.email.lower(): user
        for user in User.objects.select_for_update()
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=sorted(named))
    }
    taken = {name.lower() for name in User.objects.values_list("username", flat=True)}
    # Positions are few: all of them, once (the titles read by the preview; never a salary).
    positions = list(Position.objects.only("pk", "title"))
    position_by_title = {position.title.lower(): position for position in positions}
    titles = {position.pk: position.title for position in positions}

    people: list[ImportedPerson] = []
    saved: dict[str, User] = {}
    for email, (line, cells) in by_email.items():
        user = existing.get(email)
        action = "update" if user else "create"
        user = user or User(email=email)
        before = _snapshot(user, titles) if action == "update" else {}
        for name in ("first_name", "last_name", "country", "subdivision", "timezone", "weekly_hours"):
            value = cells.get(name, "")
            if value or name not in _OPTIONAL:
                setattr(user, name, value.upper() if name in ("country", "subdivision") else value)
        if cells.get("working_weekdays"):
            user.working_weekdays = cells["working_weekdays"]
        if cells.get("username"):
            user.username = cells["username"]
        elif not user.username:
            user.username = _username_for(email, taken)
        if "position" in cells:
            title = cells["position"].strip()
            position = position_by_title.get(title.lower()) if title else None
            if title and position is None:
                errors.append({"line": line, "field": "position", "message": f"No position is titled {title!r}."})
                continue
            user.position = position
        if cells.get("start_date"):
            try:
                user.date_joined = _joined(cells["start_date"], user)
            except ValueError:
                errors.append({"line": line, "field": "start_date", "message": "Give the start date as YYYY-MM-DD."})
                continue
        user.email = email
        try:
            user.full_clean(exclude=["password", "manager"])
        except ValidationError as error:
            errors.extend(_errors_of(line, error))
            continue
        if action == "create":
            user.set_unusable_password()
        user.save()
        saved[email] = user
        people.append(ImportedPerson(line=line, email=email, action=action, changes=before))

    # Managers, now that everyone in the file exists.
    managers: dict[int, int | None] = {}
    for person in people:
        cells = by_email[person.email][1]
        user = saved[person.email]
        if "manager_email" not in cells:
            managers[user.pk] = user.manager_id
            continue
        manager_email = cells["manager_email"].lower()
        if not manager_email:
            user.manager = None
        else:
            manager = saved.get(manager_email) or existing.get(manager_email)
            if manager is None:
                errors.append(
                    {
                        "line": person.line,
                        "field": "manager_email",
                        "message": f"Nobody has the address {manager_email}.",
                    }
                )
                continue
            if not manager.is_active:
                errors.append(
                    {"line": person.line, "field": "manager_email", "message": f"{manager_email} is deactivated."}
                )
                continue
            user.manager = manager
        managers[user.pk] = user.manager_id
    # A chain may also run through people the file does not name.
    outside = User.objects.exclude(pk__in=list(managers)).filter(manager__isnull=False)
    chain = {**dict(outside.values_list("pk", "manager_id")), **managers}
    line_of = {saved[person.email].pk: person.line for person in people}
    for user_id in sorted(_manager_cycles(chain) & set(line_of), key=lambda user_id: line_of[user_id]):
        errors.append(
            {
                "line": line_of[user_id],
                "field": "manager_email",
                "message": "This manager chain loops back to the person.",
            }
        )
    if errors:
        raise PeopleImportRefused(sorted(errors, key=lambda error: (error["line"], error["field"])))

    for person in people:
        user = saved[person.email]
        user.save(update_fields=["manager"])
        after = _snapshot(user, titles)
        changes = audit_changes(person.changes, after)
        person.changes = changes  # {field: [before, after]}: nothing for someone unchanged
        if person.action == "update" and not changes:
            person.action = "unchanged"
            continue
        if not dry_run:
            audit_record(actor=actor, action=f"accounts.user_{person.action}d", obj=user, changes=changes)
    if not dry_run:
        audit_record(
            actor=actor,
            action="accounts.people_imported",
            object_type="accounts.user",
            object_id="import",
            changes={
                "created": [None, sum(p.action == "create" for p in people)],
                "updated": [None, sum(p.action == "update" for p in people)],
            },
        )
    return PeopleImportResult(dry_run=dry_run, people=people)


def _snapshot(user: User, titles: dict[int, str]) -> dict[str, Any]:
    values = {name: getattr(user, name) for name in COLUMNS if name not in ("manager_email", "position", "start_date")}
    values["manager"] = user.manager_id
    values["position"] = titles.get(user.position_id) if user.position_id else None
    values["weekly_hours"] = f"{Decimal(user.weekly_hours):.2f}"  # "40" read from a file is 40.00 stored
    try:
        values["start_date"] = timezone.localtime(user.date_joined, user.tzinfo).date().isoformat()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        values["start_date"] = user.date_joined.date().isoformat()
    return values
