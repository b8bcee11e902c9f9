"""Every write on production data. API views, pages and admin call these; none re-implements a rule.

The factory row is the lock for its production: every change to its sprockets or goal takes
`select_for_update()` on it first, so the running total (`sprocket_production_actual`) and the
chart point recorded with it are exact even when several recordings arrive at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.services import audit_record
from core.errors import Conflict, DomainError
from sprockets.models import ChartPointReason, Factory, Location, ProductionChartPoint, Sprocket, SprocketType
from webhooks.services import outbox_publish

if TYPE_CHECKING:
    from accounts.models import User

ModelT = TypeVar("ModelT", bound=models.Model)

# A batch larger than this is refused (sprockets/bulk/).
SPROCKETS_BATCH_MAX = 1000
# Clocks of the machines recording production drift a little; beyond this a time is a mistake.
FUTURE_TOLERANCE = timedelta(minutes=5)

LOCATION_FIELDS = ("name", "address_1", "address_2", "city", "state", "country_code", "postal_code")
SPROCKET_TYPE_FIELDS = ("name", "teeth", "pitch_diameter", "pitch", "outside_diameter")
FACTORY_FIELDS = ("name", "location_id", "sprocket_production_goal")
SPROCKET_FIELDS = ("name", "sprocket_type_id", "factory_id", "produced_at", "serial_number")


class SprocketsError(DomainError):
    pass


class SprocketsConflict(Conflict):
    pass


def _unknown_fields(data: Iterable[str], allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise SprocketsError(gettext("These fields cannot be set: {join}.").format(join=", ".join(sorted(unknown))))


def _save(instance: ModelT, *, exclude: list[str] | None = None) -> ModelT:
    """full_clean then save; a race lost on a unique constraint becomes a 409, never a 500."""
    instance.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise SprocketsConflict(
            gettext("This change clashes with a row saved at the same moment; try again.")
        ) from error
    return instance


def _delete(instance: models.Model, *, in_use: bool, message: str) -> None:
    if in_use:
        raise SprocketsConflict(message, code="in_use")
    instance.delete()


def _record_point(*, factory: Factory, reason: str, at: datetime | None = None) -> ProductionChartPoint:
    return ProductionChartPoint.objects.create(
        factory=factory,
        time=at or timezone.now(),
        reason=reason,
        sprocket_production_goal=factory.sprocket_production_goal,
        sprocket_production_actual=factory.sprocket_production_actual,
    )


# --- Locations and sprocket types ---------------------------------------------------------------


NAME_MAX_LENGTH = 100


def location_default_name(*, city: str, postal_code: str) -> str:
    """A location created without a name (Sprocket Corp's have none): "<city> <postal code>",
    e.g. "Springfield 62701", what a planner calls the site. Postal codes are unique, so this
    tells two locations in one city apart."""
    return " ".join(part.strip() for part in (city, postal_code) if part and part.strip())[:NAME_MAX_LENGTH]


@transaction.atomic
def location_create(*, data: Mapping[str, Any]) -> Location:
    """Create a location; without a `name` it is called "<city> <postal code>"."""
    _unknown_fields(data, LOCATION_FIELDS)
    location = Location(**data)
    if "name" not in data:
        location.name = location_default_name(city=location.city, postal_code=location.postal_code)
    return _save(location)


@transaction.atomic
def location_update(*, location: Location, data: Mapping[str, Any]) -> Location:
    _unknown_fields(data, LOCATION_FIELDS)
    for field, value in data.items():
        setattr(location, field, value)
    return _save(location)


@transaction.atomic
def location_delete(*, location: Location) -> None:
    _delete(
        location,
        in_use=location.factories.exists(),
        message="This location still has factories; move or delete them first.",
    )


def _millimetres(value: Any) -> str:
    """5.000 → "5", 12.700 → "12.7" (never "1E+1")."""
    try:
        return f"{Decimal(value).normalize():f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def sprocket_type_default_name(*, teeth: Any, pitch: Any, pitch_diameter: Any, outside_diameter: Any) -> str:
    """A sprocket type created without a name (Sprocket Corp's have none), named after what a planner
    orders it by: "5 teeth, pitch 1 mm, 5 × 6 mm" (pitch diameter × outside diameter). Names are
    unique, so a second type with the same dimensions becomes "... (2)", then "(3)"."""
    base = (
        f"{teeth} teeth, pitch {_millimetres(pitch)} mm, "
        f"{_millimetres(pitch_diameter)} × {_millimetres(outside_diameter)} mm"
    )[: NAME_MAX_LENGTH - 6]
    taken = set(SprocketType.objects.filter(name__startswith=base).values_list("name", flat=True))
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base} ({number})"
    return name


@transaction.atomic
def sprocket_type_create(*, data: Mapping[str, Any]) -> SprocketType:
    """Create a sprocket type; without a `name` it is named after its dimensions
    (sprocket_type_default_name). Two creations racing for one default name: the second is a 409."""
    _unknown_fields(data, SPROCKET_TYPE_FIELDS)
    sprocket_type = SprocketType(**data)
    if "name" not in data:
        sprocket_type.name = sprocket_type_default_name(
            teeth=sprocket_type.teeth,
            pitch=sprocket_type.pitch,
            pitch_diameter=sprocket_type.pitch_diameter,
            outside_diameter=sprocket_type.outside_diameter,
        )
    return _save(sprocket_type)


@transaction.atomic
def sprocket_type_update(*, sprocket_type: SprocketType, data: Mapping[str, Any]) -> SprocketType:
    _unknown_fields(data, SPROCKET_TYPE_FIELDS)
    for field, value in data.items():
        setattr(sprocket_type, field, value)
    return _save(sprocket_type)


@transaction.atomic
def sprocket_type_delete(*, sprocket_type: SprocketType) -> None:
    _delete(
        sprocket_type,
        in_use=sprocket_type.sprockets.exists(),
        message="Sprockets of this type were produced; it cannot be deleted.",
    )


# --- Factories ---------------------------------------------------------------------------------


def _check_location(location_id: int) -> None:
    if not Location.objects.filter(pk=location_id).exists():
        raise SprocketsError(
            gettext("Location {location_id} does not exist.").format(location_id=location_id),
            field="location_id",
            code="does_not_exist",
        )


@transaction.atomic
def factory_create(*, data: Mapping[str, Any]) -> Factory:
    """Create a factory and record its first chart point (goal, actual 0)."""
    _unknown_fields(data, FACTORY_FIELDS)
    if "location_id" in data:
        _check_location(data["location_id"])
    factory = _save(Factory(**data))
    _record_point(factory=factory, reason=ChartPointReason.CREATED)
    return factory


@transaction.atomic
def factory_update(*, factory: Factory, data: Mapping[str, Any], actor: User | None = None) -> Factory:
    """Rename, move or change the goal; a goal change records a chart point (and an audit event)."""
    _unknown_fields(data, FACTORY_FIELDS)
    if "location_id" in data:
        _check_location(data["location_id"])
    # Lock: a recording running now must not save the old goal over the new one (or vice versa).
    locked = Factory.objects.select_for_update().get(pk=factory.pk)
    old_goal = locked.sprocket_production_goal
    for field, value in data.items():
        setattr(locked, field, value)
    _save(locked)
    if locked.sprocket_production_goal != old_goal:
        _record_point(factory=locked, reason=ChartPointReason.GOAL)
        audit_record(
            actor=actor,
            action="factory.goal_changed",
            obj=locked,
            changes={"sprocket_production_goal": [old_goal, locked.sprocket_production_goal]},
        )
    return locked


@transaction.atomic
def factory_delete(*, factory: Factory) -> None:
    _delete(
        factory,
        in_use=factory.sprockets.exists(),
        message="This factory has recorded production; it cannot be deleted.",
    )


# --- Production --------------------------------------------------------------------------------


def _lock_factories(factory_ids: Iterable[int | None]) -> dict[int, Factory]:
    """Lock the factories' rows, always in id order so that two batches never deadlock."""
    return {
        factory.pk: factory for factory in Factory.objects.select_for_update().filter(pk__in=factory_ids).order_by("pk")
    }


def _add_production(
    factories: Mapping[int, Factory], counts: Mapping[int, int], *, reason: str, actor: User | None = None
) -> None:
    """Change each locked factory's running total by its count and record one chart point each,
    with an audit event and a `production.recorded` webhook event in the same transaction."""
    now = timezone.now()
    for factory_id, count in counts.items():
        if not count:
            continue
        factory = factories[factory_id]
        before = factory.sprocket_production_actual
        factory.sprocket_production_actual += count
        factory.save(update_fields=["sprocket_production_actual"])
        _record_point(factory=factory, reason=reason, at=now)
        audit_record(
            actor=actor,
            action=f"production.{reason}",
            obj=factory,
            changes={"sprocket_production_actual": [before, factory.sprocket_production_actual]},
        )
        outbox_publish(
            event_type="production.recorded",
            payload={
                "factory_id": factory.pk,
                "count": count,
                "sprocket_production_goal": factory.sprocket_production_goal,
                "sprocket_production_actual": factory.sprocket_production_actual,
                "recorded_at": now,
            },
        )


def _check_produced_at(produced_at: datetime | None, *, prefix: str = "") -> None:
    if produced_at is None or timezone.is_naive(produced_at):
        raise SprocketsError(
            gettext("{prefix}Give a date and time with a time zone.").format(prefix=prefix), field="produced_at"
        )
    if produced_at > timezone.now() + FUTURE_TOLERANCE:
        raise SprocketsError(
            gettext("{prefix}The production time is in the future.").format(prefix=prefix), field="produced_at"
        )


@transaction.atomic
def sprockets_record(*, items: Sequence[Mapping[str, Any]], actor: User | None = None) -> list[Sprocket]:
    """Record a batch of produced sprockets, all or nothing, and update each factory's actual.

    `items` are dicts of SPROCKET_FIELDS. A factory or type that does not exist, a serial number
    already used in its factory (or twice in the batch) refuses the whole batch. An item without
    `produced_at` (Sprocket Corp records none) was produced now: the moment of this call.
    """
    if not items:
        raise SprocketsError(gettext("Record at least one sprocket."), field="sprockets")
    if len(items) > SPROCKETS_BATCH_MAX:
        raise SprocketsError(
            gettext("Record at most {SPROCKETS_BATCH_MAX} sprockets at once.").format(
                SPROCKETS_BATCH_MAX=SPROCKETS_BATCH_MAX
            ),
            field="sprockets",
        )
    single = len(items) == 1
    for item in items:
        _unknown_fields(item, SPROCKET_FIELDS)

    def prefix(index: int) -> str:
        return "" if single else f"Sprocket {index + 1}: "

    # The race: two batches for one factory both read actual = N and both write N + k, losing a
    # batch. Locking the factory rows first makes the second wait until the first commits, then
    # read N + k. Also keeps a serial number from being taken between our check and our insert.
    factories = _lock_factories({item.get("factory_id") for item in items})
    type_ids = set(
        SprocketType.objects.filter(pk__in={item.get("sprocket_type_id") for item in items}).values_list(
            "pk", flat=True
        )
    )
    sprockets: list[Sprocket] = []
    seen_serials: set[tuple[int, str]] = set()
    now = timezone.now()
    for index, item in enumerate(items):
        if item.get("factory_id") not in factories:
            raise SprocketsError(
                gettext("{prefix}Factory {get} does not exist.").format(
                    prefix=prefix(index), get=item.get("factory_id")
                ),
                field="factory_id",
                code="does_not_exist",
            )
        if item.get("sprocket_type_id") not in type_ids:
            raise SprocketsError(
                gettext("{prefix}Sprocket type {get} does not exist.").format(
                    prefix=prefix(index), get=item.get("sprocket_type_id")
                ),
                field="sprocket_type_id",
                code="does_not_exist",
            )
        if "produced_at" not in item:
            item = {**item, "produced_at": now}
        _check_produced_at(item.get("produced_at"), prefix=prefix(index))
        sprocket = Sprocket(**{"name": "", "serial_number": "", **item})
        sprocket.serial_number = sprocket.serial_number.strip()
        try:
            sprocket.clean_fields(exclude=["factory", "sprocket_type"])
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            raise SprocketsError(
                gettext("{prefix}{join}").format(prefix=prefix(index), join=" ".join(messages)), field=field
            ) from error
        if sprocket.serial_number:
            key = (sprocket.factory_id, sprocket.serial_number)
            if key in seen_serials:
                raise SprocketsError(
                    gettext("{prefix}Serial number {serial_number} appears twice in this batch.").format(
                        prefix=prefix(index), serial_number=sprocket.serial_number
                    ),
                    field="serial_number",
                    code="duplicate",
                )
            seen_serials.add(key)
        sprockets.append(sprocket)
    _check_serials_unused(seen_serials, single=single)
    try:
        with transaction.atomic():
            created = Sprocket.objects.bulk_create(sprockets, batch_size=500)
    except IntegrityError as error:  # the database constraint, should anything bypass the factory lock
        raise SprocketsConflict(gettext("A serial number was taken at the same moment; try again.")) from error
    counts: dict[int, int] = {}
    for sprocket in created:
        counts[sprocket.factory_id] = counts.get(sprocket.factory_id, 0) + 1
    _add_production(factories, counts, reason=ChartPointReason.PRODUCTION, actor=actor)
    return created


def _check_serials_unused(serials: set[tuple[int, str]], *, single: bool, exclude_pk: int | None = None) -> None:
    """One query for the whole batch; the factory locks keep anyone from taking a serial meanwhile."""
    if not serials:
        return
    taken = (
        Sprocket.objects.filter(
            factory_id__in={factory_id for factory_id, _serial in serials},
            serial_number__in={serial for _factory_id, serial in serials},
        )
        .exclude(pk=exclude_pk)  # type: ignore[misc]  # pk=None excludes nothing; the stubs want a value
        .values_list("factory_id", "serial_number")
    )
    clash = next((pair for pair in taken if pair in serials), None)
    if clash:
        where = "" if single else f" (factory {clash[0]})"
        raise SprocketsError(
            gettext("Serial number {value} is already used in this factory{where}.").format(
                value=clash[1], where=where
            ),
            field="serial_number",
            code="duplicate",
        )


def sprocket_record(*, actor: User | None = None, **fields: Any) -> Sprocket:
    """Record one produced sprocket (see `sprockets_record`)."""
    return sprockets_record(items=[fields], actor=actor)[0]


@transaction.atomic
def sprocket_update(*, sprocket: Sprocket, data: Mapping[str, Any]) -> Sprocket:
    """Correct a recorded sprocket. Moving it to another factory moves it between the totals."""
    _unknown_fields(data, SPROCKET_FIELDS)
    new_factory_id = data.get("factory_id", sprocket.factory_id)
    factories = _lock_factories({sprocket.factory_id, new_factory_id})
    if new_factory_id not in factories:
        raise SprocketsError(
            gettext("Factory {new_factory_id} does not exist.").format(new_factory_id=new_factory_id),
            field="factory_id",
            code="does_not_exist",
        )
    if "sprocket_type_id" in data and not SprocketType.objects.filter(pk=data["sprocket_type_id"]).exists():
        raise SprocketsError(
            gettext("Sprocket type {value} does not exist.").format(value=data["sprocket_type_id"]),
            field="sprocket_type_id",
            code="does_not_exist",
        )
    if "produced_at" in data:
        _check_produced_at(data["produced_at"])
    locked = Sprocket.objects.select_for_update().get(pk=sprocket.pk)
    if locked.factory_id not in factories:
        raise SprocketsConflict(
            gettext("This sprocket was moved to another factory meanwhile; reload it and try again.")
        )
    old_factory_id = locked.factory_id
    for field, value in data.items():
        setattr(locked, field, value.strip() if field == "serial_number" else value)
    if locked.serial_number:
        _check_serials_unused({(locked.factory_id, locked.serial_number)}, single=True, exclude_pk=locked.pk)
    _save(locked, exclude=["factory", "sprocket_type"])
    if old_factory_id != locked.factory_id:
        _add_production(factories, {old_factory_id: -1, locked.factory_id: 1}, reason=ChartPointReason.CORRECTION)
    return locked


@transaction.atomic
def sprocket_delete(*, sprocket: Sprocket) -> None:
    """Remove a sprocket recorded by mistake; its factory's total goes down by one."""
    factories = _lock_factories({sprocket.factory_id})
    # Only while it is still in the factory we locked (and will count down).
    deleted, _ = Sprocket.objects.filter(pk=sprocket.pk, factory_id=sprocket.factory_id).delete()
    if not deleted and Sprocket.objects.filter(pk=sprocket.pk).exists():
        raise SprocketsConflict(
            gettext("This sprocket was moved to another factory meanwhile; reload it and try again.")
        )
    if deleted:
        _add_production(factories, {sprocket.factory_id: -1}, reason=ChartPointReason.CORRECTION)
