"""The translation catalogs' CI check (issue 20), run by `make test`:

- every message of locale/{de,fr,es}/LC_MESSAGES/django.po and djangojs.po is translated and none
  is fuzzy (a fuzzy entry is a guess msgmerge made; gettext does not use it);
- every catalog is up to date with the sources: makemessages run now, into a copy of the project,
  finds exactly the catalog's messages (a new string not yet in the catalogs, or one removed from the
  code but still there, fails);
- no template shows text that is not marked for translation (config.tests.i18n_scan), and no code
  hands a user text that is not (error messages, messages, labels, choices: config.tests.i18n_code_scan);
- the compiled .mo files are there and as new as their .po (a fresh machine may lack gettext: the
  app serves the committed .mo).

The fr and es catalogs are filled by their translators; their completeness runs like German's."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from config.tests import i18n_code_scan
from config.tests.i18n_scan import scan, scan_source

BASE_DIR = Path(settings.BASE_DIR)
LOCALE = BASE_DIR / "locale"
TRANSLATED = ["de", "fr", "es"]
DOMAINS = ["django", "djangojs"]
CATALOGS = [(language, domain) for language in TRANSLATED for domain in DOMAINS]
# What makemessages reads (the project's code, templates and scripts), copied to run it elsewhere.
SOURCES = ("*.py", "*.html", "*.txt", "*.js")
NOT_SOURCES = {".venv", "node_modules", "staticfiles", "locale", ".git", "screenshots", "__pycache__", "media"}


def catalog(language, domain):
    path = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
    assert path.exists(), f"{path.relative_to(BASE_DIR)} is missing: run `make messages`"
    return polib.pofile(str(path))


def keys(po):
    return {(entry.msgctxt, entry.msgid, entry.msgid_plural or None) for entry in po if not entry.obsolete}


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_every_message_is_translated_and_none_is_fuzzy(language, domain):
    po = catalog(language, domain)
    untranslated = [entry.msgid for entry in po.untranslated_entries() if not entry.obsolete]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries() if not entry.obsolete]
    assert (untranslated, fuzzy) == ([], []), (
        f"locale/{language}/LC_MESSAGES/{domain}.po: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy "
        f"of {len(po)}; first: {(untranslated + fuzzy)[:5]}"
    )


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_the_compiled_catalog_is_there_and_not_older_than_its_source(language, domain):
    po_path = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path.relative_to(BASE_DIR)} is missing: run `make messages`"
    compiled = polib.mofile(str(mo_path))
    source = polib.pofile(str(po_path))
    translated = {(entry.msgctxt, entry.msgid, entry.msgid_plural or None) for entry in source.translated_entries()}
    assert translated <= keys(compiled), "the .mo lacks messages of its .po: run `make messages`"


@pytest.fixture(scope="module")
def fresh_catalogs(tmp_path_factory):
    """makemessages run now over a copy of the project's sources (the repository's catalogs untouched)."""
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext (xgettext) is not installed: apt-get install gettext")
    copy = tmp_path_factory.mktemp("project")
    for pattern in SOURCES:
        for path in BASE_DIR.rglob(pattern):
            relative = path.relative_to(BASE_DIR)
            if NOT_SOURCES.intersection(relative.parts):
                continue
            target = copy / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    (copy / "locale").mkdir()
    for domain in DOMAINS:
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-d", domain, "-l", "de", "--no-obsolete"]
            + [f"--ignore={name}" for name in sorted(NOT_SOURCES)],
            cwd=copy,
            check=True,
            capture_output=True,
            text=True,
        )
    fresh = copy / "locale" / "de" / "LC_MESSAGES"
    return {domain: keys(polib.pofile(str(fresh / f"{domain}.po"))) for domain in DOMAINS}


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_the_catalog_is_up_to_date_with_the_sources(fresh_catalogs, language, domain):
    expected, found = fresh_catalogs[domain], keys(catalog(language, domain))
    missing, stale = sorted(expected - found, key=str), sorted(found - expected, key=str)
    assert (missing, stale) == ([], []), (
        f"locale/{language}/LC_MESSAGES/{domain}.po is out of date with the sources (run `make messages`): "
        f"{len(missing)} new messages not in it {missing[:5]}, {len(stale)} no longer in the sources {stale[:5]}"
    )


def test_no_template_shows_text_not_marked_for_translation():
    findings = scan()
    assert findings == [], "text not marked for translation:\n" + "\n".join(map(str, findings[:40]))


# --- The scanner itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<p>Hello world</p>",
        '<button aria-label="Close the dialog">x</button>',
        "<p>{% if a %}Approved{% endif %}</p>",
        "<p>Week of {{ monday }}</p>",
        '<input placeholder="{% if a %}Search{% endif %}">',
    ],
)
def test_the_scanner_finds_unmarked_text(source):
    assert len(scan_source(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        '{% load i18n %}<p>{% translate "Hello world" %}</p>',
        "{% load i18n %}<p>{% blocktranslate %}Week of {{ monday }}{% endblocktranslate %}</p>",
        '<button aria-label="{% translate "Close" %}">✕</button>',
        "<p>{{ user.name }} · 12:30 – 42 %</p>",
        "<p>Timetrack · CSV</p>",
        "{# A comment #}{% comment %}Not shown{% endcomment %}<script>const a = 'text';</script>",
        "<pre>email,first_name</pre>",
    ],
)
def test_the_scanner_passes_marked_text_variables_and_the_allowlist(source):
    assert scan_source(source) == []


def test_the_scanner_reads_e_mail_text_templates_without_html():
    assert [finding.text for finding in scan_source("Hello {{ name }},\n", html=False)] == ["Hello {{ name }},"]


# --- The code's scanner ---------------------------------------------------------------------------


def test_no_code_hands_a_user_text_not_marked_for_translation():
    findings = i18n_code_scan.scan()
    assert findings == [], "text not marked for translation:\n" + "\n".join(map(str, findings[:40]))


def test_the_code_scanner_reads_every_app():
    read = {path.relative_to(i18n_code_scan.ROOT).parts[0] for path in i18n_code_scan.product_modules()}
    assert read == set(i18n_code_scan.APPS)


@pytest.mark.parametrize(
    "source",
    [
        'raise BillingError("A rate is never negative.", field="amount")',
        'raise TimeTrackingConflict(f"{name} overlaps")',
        'raise serializers.ValidationError({"month": ["A month as YYYY-MM."]})',
        'raise ValidationError(message="Too long")',
        'raise PermissionDenied("Managers only")',
        'messages.success(request, "Saved.")',
        'name = models.CharField(max_length=5, verbose_name="name")',
        'field = forms.CharField(label="Your name", max_length=5)',
        'field = forms.CharField(help_text=f"At most {n}")',
        "class Meta:\n    verbose_name_plural = 'invoiced entries'",
        'class Status(models.TextChoices):\n    PENDING = "pending", "Pending"',
    ],
)
def test_the_code_scanner_finds_unmarked_text(source):
    assert len(i18n_code_scan.scan_source(source, "app/services.py")) == 1


@pytest.mark.parametrize(
    "source",
    [
        'raise BillingError(_("A rate is never negative."), field="amount")',
        'raise TimeTrackingConflict(gettext("{name} overlaps").format(name=name))',
        "raise BillingForbidden(NOT_ALLOWED)",
        'raise ValueError(f"{value!r} is not an IP address")',  # a programmer's error
        'raise BillingError("", field="amount")',
        'name = models.CharField(max_length=5, verbose_name=gettext_lazy("name"))',
        'class Status(models.TextChoices):\n    PENDING = "pending", _("Pending")',
        'class Status(models.TextChoices):\n    PENDING = "pending"',
        "messages.success(request, message)",
    ],
)
def test_the_code_scanner_passes_marked_text_constants_and_programmers_errors(source):
    assert i18n_code_scan.scan_source(source, "app/services.py") == []


def test_the_code_scanner_leaves_the_api_documentation_to_openapi():
    documentation = 'amount = serializers.DecimalField(help_text="Per hour", max_digits=9, decimal_places=2)'
    assert i18n_code_scan.scan_source(documentation, "billing/api.py") == []
    assert len(i18n_code_scan.scan_source(documentation, "billing/forms.py")) == 1
    error = 'raise serializers.ValidationError("Give a month.")'
    assert len(i18n_code_scan.scan_source(error, "billing/api.py")) == 1
