"""Parsing what people type: durations ("1:30", "90m") and tag names."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core.durations import DurationSyntaxError, duration_from_text
from timetracking.models import (
    Tag,
)
from timetracking.services.common import MAX_TAGS_PER_ENTRY, TAG_NAME_MAX_LENGTH, TimeTrackingError, max_entry_duration

# --- Input helpers --------------------------------------------------------------------------


def parse_duration(value: object, *, field: str = "duration") -> timedelta:
    """A timedelta, or text in core.durations' grammar ("1:30", "1.5h", "90m", "90" = 90 minutes,
    "0130" = HHMM) -> timedelta, more than zero and at most TIME_ENTRY_MAX_HOURS."""
    if isinstance(value, timedelta):
        duration = value
    else:
        try:
            duration = duration_from_text(str(value or ""))
        except DurationSyntaxError as error:
            raise TimeTrackingError(error.message, field=field) from None
    if duration <= timedelta(0):
        raise TimeTrackingError(gettext("The duration must be more than zero."), field=field)
    if duration > max_entry_duration():
        raise TimeTrackingError(
            gettext("An entry can last at most {TIME_ENTRY_MAX_HOURS} hours.").format(
                TIME_ENTRY_MAX_HOURS=settings.TIME_ENTRY_MAX_HOURS
            ),
            field=field,
            code="too_long",
        )
    return duration


def tag_name_collapsed(name: object) -> str:
    """A tag name as stored and compared: trimmed, each run of whitespace one space ("Q3  review" →
    "Q3 review"). The one clean-up of tag names, for the services and the API's fields alike."""
    return " ".join(str(name).split())


def _normalize_tag_name(name: object) -> str:
    name = tag_name_collapsed(name)
    if not name:
        raise TimeTrackingError(gettext("A tag name cannot be empty."), field="tags")
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise TimeTrackingError(
            gettext("A tag name has at most {TAG_NAME_MAX_LENGTH} characters.").format(
                TAG_NAME_MAX_LENGTH=TAG_NAME_MAX_LENGTH
            ),
            field="tags",
        )
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
        raise TimeTrackingError(
            gettext("An entry has at most {MAX_TAGS_PER_ENTRY} tags.").format(MAX_TAGS_PER_ENTRY=MAX_TAGS_PER_ENTRY),
            field="tags",
        )
    tags: dict[int, Tag] = {}
    tag: Tag | None
    for ref in refs:
        if isinstance(ref, Tag):
            tag = ref
        elif isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            tag = Tag.objects.filter(pk=int(ref)).first()
            if tag is None:
                raise TimeTrackingError(gettext("There is no tag with id {int}.").format(int=int(ref)), field="tags")
        else:
            tag = tag_get_or_create(name=ref)
        tags[tag.pk] = tag
    return list(tags.values())
