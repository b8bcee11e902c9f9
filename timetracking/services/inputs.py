"""Parsing what people type: durations ("1:30", "90m") and tag names."""

import re
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction

from core.durations import seconds_from_hours
from timetracking.models import (
    Tag,
)
from timetracking.services.common import MAX_TAGS_PER_ENTRY, TAG_NAME_MAX_LENGTH, TimeTrackingError, max_entry_duration

# --- Input helpers --------------------------------------------------------------------------

_DURATION_PATTERNS = [
    re.compile(r"^(?P<hours>\d{1,2}):(?P<minutes>[0-5]\d)$"),  # 1:30, 01:30
    re.compile(r"^(?:(?P<hours>\d{1,2})\s*h)?\s*(?:(?P<minutes>\d{1,4})\s*m(?:in)?)?$"),  # 1h30m, 90m, 2h
]


def parse_duration(value: object, *, field: str = "duration") -> timedelta:
    """'01:30', '1:30', '1h30m', '90m', '2h' or decimal hours '1.5' -> timedelta (> 0)."""
    duration: timedelta | None
    if isinstance(value, timedelta):
        duration = value
    else:
        text = str(value or "").strip().lower()
        duration = None
        if len(text) <= 10:
            for pattern in _DURATION_PATTERNS:
                match = pattern.match(text)
                if match and any(match.groupdict().values()):
                    duration = timedelta(
                        hours=int(match["hours"] or 0),
                        minutes=int(match["minutes"] or 0),
                    )
                    break
            if duration is None and re.fullmatch(r"\d{1,2}([.,]\d{1,2})?", text):
                try:
                    hours = Decimal(text.replace(",", "."))
                except InvalidOperation:  # pragma: no cover - the regex already checked the shape
                    hours = None
                if hours is not None:
                    duration = timedelta(seconds=seconds_from_hours(hours))
        if duration is None:
            raise TimeTrackingError("Give a duration as HH:MM (e.g. 01:30) or hours (e.g. 1.5).", field=field)
    if duration <= timedelta(0):
        raise TimeTrackingError("The duration must be more than zero.", field=field)
    if duration > max_entry_duration():
        raise TimeTrackingError(
            f"An entry can last at most {settings.TIME_ENTRY_MAX_HOURS} hours.", field=field, code="too_long"
        )
    return duration


def tag_name_collapsed(name: object) -> str:
    """A tag name as stored and compared: trimmed, each run of whitespace one space ("Q3  review" →
    "Q3 review"). The one clean-up of tag names, for the services and the API's fields alike."""
    return " ".join(str(name).split())


def _normalize_tag_name(name: object) -> str:
    name = tag_name_collapsed(name)
    if not name:
        raise TimeTrackingError("A tag name cannot be empty.", field="tags")
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise TimeTrackingError(f"A tag name has at most {TAG_NAME_MAX_LENGTH} characters.", field="tags")
    return name


def tag_get_or_create(*, name: str) -> Tag:
    """The tag called `name` (case-insensitively), created if it does not exist yet."""
    name = _normalize_tag_name(name)
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag:
        return tag
    try:
        # Savepoint: two requests creating the same new tag at once both miss it above;
        # the unique index refuses the second, which then reads the winner's row.
        with transaction.atomic():
            return Tag.objects.create(name=name)
    except IntegrityError:
        return Tag.objects.get(name__iexact=name)


def tags_resolve(*, refs: Iterable[Tag | int | str] | None) -> list[Tag]:
    """Tags given by id (int or digits) or by name; an unknown name creates the tag."""
    refs = list(refs or [])
    if len(refs) > MAX_TAGS_PER_ENTRY:
        raise TimeTrackingError(f"An entry has at most {MAX_TAGS_PER_ENTRY} tags.", field="tags")
    tags: dict[int, Tag] = {}
    tag: Tag | None
    for ref in refs:
        if isinstance(ref, Tag):
            tag = ref
        elif isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            tag = Tag.objects.filter(pk=int(ref)).first()
            if tag is None:
                raise TimeTrackingError(f"There is no tag with id {int(ref)}.", field="tags")
        else:
            tag = tag_get_or_create(name=ref)
        tags[tag.pk] = tag
    return list(tags.values())
