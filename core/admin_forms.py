"""Admin forms that answer a foreign key which is not an id with a form error, never a 500.

Django's admin trusts a posted foreign key to be an id when it draws the form again: the
autocomplete widget filters `id__in=["string"]` (ValueError), and a number beyond the database's
integers reaches the query (OverflowError on SQLite, an error from PostgreSQL) in the choice fields
and widgets alike. `SafeForeignKeysAdmin` gives every foreign key and many-to-many field of an admin
form choice fields that refuse such a value as an invalid choice, and autocomplete widgets that
leave it out of their query. Mix it into a ModelAdmin before `admin.ModelAdmin`.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.http import HttpRequest

if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin[Any]
    _AutocompleteBase = AutocompleteSelect
else:
    _AdminBase = object
    _AutocompleteBase = object


def id_is_possible(target: "models.Field[Any, Any]", value: Any, *, using: str | None = None) -> bool:
    """Whether `value` can be a value of `target` (the field a foreign key points to): of its type
    and, for an integer, within the database's range. Whether such a row exists is another matter."""
    try:
        python = target.to_python(value)
    except ValidationError:
        return False
    if isinstance(python, int) and not isinstance(python, bool):
        low, high = connections[using or DEFAULT_DB_ALIAS].ops.integer_field_range(target.get_internal_type())
        return (low is None or python >= low) and (high is None or python <= high)
    return True


def _target(queryset: Any, to_field_name: str | None) -> "models.Field[Any, Any]":
    opts = queryset.model._meta
    target: models.Field[Any, Any] = opts.get_field(to_field_name) if to_field_name else opts.pk
    return target


class SafeModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        possible = (
            value in self.empty_values
            or isinstance(value, models.Model)
            or id_is_possible(_target(self.queryset, self.to_field_name), value, using=_db(self.queryset))
        )
        if not possible:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def _db(queryset: Any) -> str | None:
    return queryset.db if queryset is not None else None


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        target = _target(self.queryset, self.to_field_name)
        for pk in value if isinstance(value, list | tuple) else []:
            if not isinstance(pk, models.Model) and not id_is_possible(target, pk, using=_db(self.queryset)):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)  # type: ignore[misc]  # Django's own, not in the stubs


class _SafeAutocompleteMixin(_AutocompleteBase):
    """Only values that can be ids go into the query that labels the chosen options."""

    def optgroups(self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None) -> Any:
        remote = self.field.remote_field
        target = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
        possible = [item for item in value if item in ("", None) or id_is_possible(target, item, using=self.db)]
        return super().optgroups(name, possible, attr)


class SafeAutocompleteSelect(_SafeAutocompleteMixin, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_SafeAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class SafeForeignKeysAdmin(_AdminBase):
    """ModelAdmin mixin: the safe choice fields and autocomplete widgets above on every form."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("form_class", SafeModelChoiceField)
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("form_class", SafeModelMultipleChoiceField)
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = SafeAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
