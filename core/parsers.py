"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): a body is refused with a 400
parse error, naming where in the document, unless its shape is one a field can safely read.

What is refused here, and why here:
- Nesting deeper than MAX_DEPTH. Python's json recurses once per level, so a body nested 100,000
  deep raised RecursionError (a 500); that is caught, and what parses is walked with an explicit
  stack (never recursion) to refuse anything deeper than any body of this API (a bulk row's tag
  is at depth 4).
- Numbers no column can hold: NaN and Infinity (also spelled as an overflowing literal such as
  1e999, which json reads as inf), and integers beyond ±(2**63 - 1), PostgreSQL's bigint.
- NUL characters and lone surrogates in object keys: no field reads a key, so no field could
  name the error.

What is left to the fields: NUL characters and lone surrogates in string values. DRF's CharField
refuses both (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator), so the
answer names the field, e.g. `{"tags": {"0": ["Null characters are not allowed."]}}`, or the row
of a bulk request, where a parse error could only name a JSON path. Every string a serializer
stores goes through a CharField (timetracking's tag references included); a value that only has
to match (a choice, an id, a date) is refused as not matching. Error messages that echo the input
are made printable by config.api. config/tests/test_hostile_input.py throws these values at
every write operation of the schema.
"""

import codecs
import json
import math
from collections.abc import Mapping
from typing import IO, Any, NoReturn, TypeAlias

from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.parsers import get_encoding  # type: ignore[attr-defined]  # DRF's helper, missing from its stubs

MAX_DEPTH = 32
LARGEST_INTEGER = 2**63 - 1

# Where a value sits in the document: object keys and array indexes from the top.
Path: TypeAlias = tuple[str | int, ...]


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(gettext("{name} is not a number this API accepts").format(name=name))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(gettext("{number} is too large a number").format(number=text))
    return value


def _has_forbidden_characters(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= character <= "\udfff" for character in text)


def _where(path: Path) -> str:
    """`entries[1].tags[0]`, or `the body` for the top level."""
    if not path:
        return "the body"
    parts: list[str] = []
    for step in path:
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}" if parts else str(step))
    return "".join(parts)


def check_document(data: Any) -> None:
    """Raise ParseError for the first value of `data` (parsed JSON) this API refuses to read."""
    stack: list[tuple[Any, Path, int]] = [(data, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise ParseError(
                    gettext("JSON parse error - {where} is nested deeper than {MAX_DEPTH} levels.").format(
                        where=_where(path), MAX_DEPTH=MAX_DEPTH
                    )
                )
            if isinstance(value, dict):
                for key, item in value.items():
                    if _has_forbidden_characters(key):
                        raise ParseError(
                            gettext(
                                "JSON parse error - a key in {where} holds a NUL character or a lone surrogate."
                            ).format(where=_where(path))
                        )
                    stack.append((item, (*path, key), depth + 1))
            else:
                stack.extend((item, (*path, index), depth + 1) for index, item in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST_INTEGER:
            raise ParseError(
                gettext("JSON parse error - the number at {where} is beyond ±(2**63 - 1).").format(where=_where(path))
            )


class JSONParser(DRFJSONParser):
    """DRF's JSONParser, with the limits above (a 400 `parse_error`, never a 500)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            data = json.load(
                codecs.getreader(encoding)(stream), parse_constant=_refuse_constant, parse_float=_finite_float
            )
        except RecursionError:
            raise ParseError(
                gettext("JSON parse error - the body is nested deeper than {MAX_DEPTH} levels.").format(
                    MAX_DEPTH=MAX_DEPTH
                )
            ) from None
        except ValueError as exc:  # includes UnicodeDecodeError and an integer of over 4300 digits
            raise ParseError(gettext("JSON parse error - {exc}").format(exc=exc)) from None
        check_document(data)
        return data
