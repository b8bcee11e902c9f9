"""A scanner of the Python code for text a user reads that is not marked for translation.

The templates have their own scanner (config.tests.i18n_scan); this one reads the code's syntax
tree (the `ast` module) for the places where code hands text to a person:

- the message of an error a user is shown: a domain error (`core.errors` subclasses, named
  `...Error`, `...Conflict`, `...Forbidden`, `...NotFound`, `...Refused`), a Django or DRF
  `ValidationError`, `PermissionDenied`, `Http404`;
- a message of `django.contrib.messages` (`messages.success(request, "...")`);
- a model's or a form's `verbose_name`, `verbose_name_plural`, `help_text`, `label` and
  `empty_label`, and the labels of `TextChoices`/`IntegerChoices` (the admin and the forms show them).

A plain string or an f-string there is a finding; `_("...")`, `gettext(...)`, a constant or a
variable is not (a variable is checked where its text is written). Python's own exceptions
(`ValueError`, `RuntimeError`, ...) are for programmers and not read: where one's text reaches a
user (billing.rounding, leave.calendars.month_bounds) it is marked by hand. The API's modules
(`api.py`, `api_*.py`, `api/`, the schema) document the API in OpenAPI, in English by contract,
so their `help_text` and `label` are not read; their error messages are.

`python -m config.tests.i18n_code_scan` prints the findings (file:line: text)."""

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "accounts", "config", "timetracking", "leave", "sprockets", "webhooks", "reports", "billing")
# Not product code: tests, migrations (their labels are copies of the models'), the operator's commands.
SKIPPED_PARTS = {"tests", "migrations", "management"}
ERROR_SUFFIXES = ("Error", "Conflict", "Forbidden", "NotFound", "Refused", "Denied")
ERROR_NAMES = {"Http404", "PermissionDenied", "ValidationError"}
PROGRAMMER_ERRORS = {
    "ValueError",
    "TypeError",
    "RuntimeError",
    "OSError",
    "KeyError",
    "LookupError",
    "AttributeError",
    "NotImplementedError",
    "AssertionError",
    "RecursionError",
    "ImproperlyConfigured",
}
LABEL_KEYWORDS = {"verbose_name", "verbose_name_plural", "help_text", "label", "empty_label"}
CHOICES_BASES = {"TextChoices", "IntegerChoices", "Choices"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def _is_text(node: ast.AST) -> bool:
    """A plain string with a word in it, or an f-string: text nobody marked."""
    if isinstance(node, ast.JoinedStr):
        return True
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and sum(character.isalpha() for character in node.value) >= 2
    )


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_user_error(name: str) -> bool:
    return name not in PROGRAMMER_ERRORS and (name in ERROR_NAMES or name.endswith(ERROR_SUFFIXES))


def _is_api_module(path: str) -> bool:
    parts = Path(path).parts
    name = parts[-1]
    return name == "api.py" or name.startswith("api_") or "api" in parts[:-1] or name in ("schema.py", "docs.py")


def scan_source(source: str, path: str = "<source>") -> list[Finding]:
    tree = ast.parse(source)
    api_module = _is_api_module(path)
    findings: list[Finding] = []

    def found(node: ast.AST) -> None:
        findings.append(Finding(path, getattr(node, "lineno", 0), ast.unparse(node)[:100]))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _called_name(node.func)
            if _is_user_error(name):
                messages = node.args[:1] + [kw.value for kw in node.keywords if kw.arg in ("message", "detail")]
                for message in messages:
                    if _is_text(message):
                        found(message)
                    elif isinstance(message, ast.Dict):  # ValidationError({"field": ["..."]})
                        for value in message.values:
                            items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
                            for item in items:
                                if item is not None and _is_text(item):
                                    found(item)
            if (
                isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "messages"
                and len(node.args) > 1
                and _is_text(node.args[1])
            ):
                found(node.args[1])
            if not api_module:
                for keyword in node.keywords:
                    if keyword.arg in LABEL_KEYWORDS and _is_text(keyword.value):
                        found(keyword.value)
        elif isinstance(node, ast.ClassDef) and {_called_name(base) for base in node.bases} & CHOICES_BASES:
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                    label = statement.value.elts[-1]
                    if len(statement.value.elts) > 1 and _is_text(label):
                        found(label)
        elif isinstance(node, ast.ClassDef) and node.name == "Meta" and not api_module:
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and any(
                        isinstance(target, ast.Name) and target.id in LABEL_KEYWORDS for target in statement.targets
                    )
                    and _is_text(statement.value)
                ):
                    found(statement.value)
    return findings


def product_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if not SKIPPED_PARTS & set(path.relative_to(ROOT).parts)
    ]


def scan() -> list[Finding]:
    findings: list[Finding] = []
    for path in product_modules():
        findings += scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return findings


if __name__ == "__main__":
    results = scan()
    print("\n".join(map(str, results)))
    sys.exit(1 if results else 0)
