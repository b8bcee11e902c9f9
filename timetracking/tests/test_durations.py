"""The one duration grammar through timetracking (the service, the API, the entry page), and the
duration filters in the viewer's format."""

import re
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse

from accounts.tests.factories import UserFactory
from core.durations import DURATION_SYNTAX_MESSAGE, use_duration_format
from timetracking import services
from timetracking.models import TimeEntry
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import TimeEntryFactory, utc

LIST_URL = reverse("api:time-entry-list")
CREATE_URL = reverse("timetracking:entry-create")
WEEK_URL = reverse("timetracking:week")


# --- the service: the grammar, then timetracking's limits on top ---------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1:30", 90),
        ("01:30", 90),
        ("1.5", 90),
        ("1,5", 90),
        ("1.5h", 90),
        ("1,5 h", 90),
        ("1h30m", 90),
        ("1h 30m", 90),
        ("1h30", 90),
        ("90m", 90),
        ("90 min", 90),
        ("2h", 120),
        ("90", 90),  # a bare number of up to 3 digits is minutes (it was 90 hours, refused as too long)
        ("5", 5),
        ("480", 480),
        ("0130", 90),  # 4 digits: HHMM
        ("1230", 750),
        (" 1H30M ", 90),
    ],
)
def test_the_service_reads_the_grammar(text, minutes):
    assert services.parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["abc", "-1", "1:75", "1.5.5", "99999999999", "１:３０", "1" * 50, "1h75m", "0175"])
def test_text_outside_the_grammar_is_refused_with_the_accepted_forms(text):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        services.parse_duration(text, field="cell")
    error = excinfo.value
    assert (error.field, error.code, error.message) == ("cell", "invalid", DURATION_SYNTAX_MESSAGE)


@pytest.mark.parametrize("text", ["", None, "0", "0:00", "0000", "0m", "0.00"])
def test_zero_or_nothing_is_refused(text):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        services.parse_duration(text)
    assert excinfo.value.field == "duration"


@pytest.mark.parametrize("text", ["16:01", "17h", "1700", "999", "16.5", "961m"])
def test_more_than_an_entry_may_last_is_refused(text, settings):
    assert settings.TIME_ENTRY_MAX_HOURS == 16
    with pytest.raises(services.TimeTrackingError) as excinfo:
        services.parse_duration(text)
    assert (excinfo.value.field, excinfo.value.code) == ("duration", "too_long")


def test_the_longest_entry_is_allowed(settings):
    assert services.parse_duration("16:00") == services.parse_duration("960") == timedelta(hours=16)


def test_a_timedelta_skips_the_grammar_but_not_the_limits():
    assert services.parse_duration(timedelta(minutes=5)) == timedelta(minutes=5)
    with pytest.raises(services.TimeTrackingError):
        services.parse_duration(timedelta(0))


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "seconds"), [("1.5h", 5400), ("90", 5400), ("0130", 5400), ("1h 30 min", 5400)])
def test_api_creates_entries_from_the_grammar(client_for, employee, frozen, text, seconds):
    response = client_for(employee).post(LIST_URL, {"started_at": "2026-03-09T08:00:00Z", "duration": text})
    assert response.status_code == 201, response.json()
    assert response.json()["duration_seconds"] == seconds
    assert TimeEntry.objects.get().ended_at == utc(2026, 3, 9, 9, 30)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "code"),
    [("abc", "invalid"), ("1.5.5", "invalid"), ("-90", "invalid"), ("0", "invalid"), ("17h", "too_long")],
)
def test_api_refuses_a_bad_duration_at_the_field(client_for, employee, frozen, text, code):
    response = client_for(employee).post(LIST_URL, {"started_at": "2026-03-09T08:00:00Z", "duration": text})
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["duration", "code"] and body["code"] == code
    assert not TimeEntry.objects.exists()


@pytest.mark.django_db
def test_api_refuses_an_unknown_form_naming_the_accepted_ones(client_for, employee, frozen):
    response = client_for(employee).post(LIST_URL, {"duration": "abc"})
    assert response.json()["duration"] == [DURATION_SYNTAX_MESSAGE]


@pytest.mark.django_db
def test_api_update_reads_the_same_grammar(client_for, employee, frozen):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    response = client_for(employee).patch(reverse("api:time-entry-detail", args=[entry.pk]), {"duration": "45"})
    assert response.status_code == 200, response.json()
    entry.refresh_from_db()
    assert entry.ended_at == utc(2026, 3, 9, 8, 45)
    response = client_for(employee).patch(reverse("api:time-entry-detail", args=[entry.pk]), {"duration": "1:75"})
    assert response.status_code == 400 and "duration" in response.json()


@pytest.mark.django_db
def test_the_schema_documents_the_grammar(client):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    description = schema["components"]["schemas"]["TimeEntryCreateRequest"]["properties"]["duration"]["description"]
    for form in ("1:30", "1.5h", "1h30m", "90m", "1 to 3 digits are minutes", "HHMM"):
        assert form in description


# --- the entry page -------------------------------------------------------------------------------


def field_error(html, field):
    match = re.search(rf'id="id_{field}_error"[^>]*>([^<]*)<', html)
    return match.group(1) if match else None


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["1.5h", "90", "1h30"])
def test_the_entry_page_reads_the_grammar(client, employee, frozen, text):
    client.force_login(employee)
    response = client.post(CREATE_URL, {"date": "2026-03-09", "start": "09:00", "duration": text})
    assert response.status_code == 302
    assert TimeEntry.objects.get().duration == timedelta(minutes=90)


@pytest.mark.django_db
def test_the_entry_page_shows_a_bad_duration_at_the_field(client, employee, frozen):
    client.force_login(employee)
    response = client.post(CREATE_URL, {"date": "2026-03-09", "start": "09:00", "duration": "1.5.5"})
    assert response.status_code == 400
    assert "Give a duration like 1:30, 1.5" in field_error(response.content.decode(), "duration")
    assert not TimeEntry.objects.exists()


# --- the filters, in the viewer's format -----------------------------------------------------------


def render(source, **values):
    return Template("{% load timesheet %}" + source).render(Context(values))


def test_the_filters_default_to_hours_and_minutes():
    assert render("{{ s|hm }} {{ d|signed_hm }} {{ h|hours_hm }}", s=5400, d=-5400, h="129.00") == "1:30 −1:30 129:00"


def test_the_filters_follow_the_format_in_force():
    with use_duration_format("decimal"):
        assert render("{{ s|hm }} {{ d|signed_hm }} {{ h|hours_hm }}", s=5400, d=5400, h="129.00") == (
            "1.50 h +1.50 h 129.00 h"
        )


@pytest.mark.parametrize("value", [None, ""])
def test_the_filters_show_nothing_for_nothing(value):
    assert render("[{{ v|hm }}][{{ v|hours_hm }}]", v=value) == "[][]"
    assert render("[{{ v|hours_hm }}]", v="not a number") == "[]"


@pytest.mark.django_db
def test_the_week_page_shows_each_viewers_format(client, frozen):
    decimal = UserFactory(username="decimal", duration_format="decimal")
    hours_minutes = UserFactory(username="hours_minutes")
    for user in (decimal, hours_minutes):
        TimeEntryFactory(user=user, started_at=NOW - timedelta(hours=3), ended_at=NOW - timedelta(hours=1, minutes=30))
    as_clock = re.compile(r"(?<![\d:])1:30(?!\d)")  # the duration, not the end time "11:30"
    client.force_login(decimal)
    page = client.get(WEEK_URL).content.decode()
    assert "1.50 h" in page and not as_clock.search(page)
    client.force_login(hours_minutes)
    page = client.get(WEEK_URL).content.decode()
    assert as_clock.search(page) and "1.50 h" not in page
