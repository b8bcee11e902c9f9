"""`time-entries/` and `time-entries/bulk/`: who sees and changes what, filters, input errors."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from timetracking.models import TimeEntry
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:time-entry-list")


def short_entry(user, start):
    return TimeEntryFactory(user=user, started_at=start, ended_at=start + timedelta(minutes=10))


BULK_URL = reverse("api:time-entry-bulk")


def detail_url(entry):
    return reverse("api:time-entry-detail", args=[entry.pk])


def ids(response):
    assert response.status_code == 200, response.json()
    return sorted(row["id"] for row in response.json()["results"])


# --- visibility -----------------------------------------------------------------------------------


@pytest.fixture
def entries(employee, colleague, outsider, manager):
    return {
        "employee": TimeEntryFactory(user=employee),
        "colleague": TimeEntryFactory(user=colleague),
        "outsider": TimeEntryFactory(user=outsider),
        "manager": TimeEntryFactory(user=manager),
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("employee", {"employee"}),
        ("manager", {"employee", "colleague", "manager"}),
        ("other_manager", {"outsider"}),
        ("outsider", {"outsider"}),
        ("hr", {"employee", "colleague", "outsider", "manager"}),
    ],
)
def test_who_sees_which_entries(request, client_for, entries, other_manager, hr, who, sees):
    user = request.getfixturevalue(who)
    assert ids(client_for(user).get(LIST_URL)) == sorted(entries[name].pk for name in sees)


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_someone_elses_entry_is_404(client_for, entries, outsider, method):
    response = getattr(client_for(outsider), method)(detail_url(entries["employee"]), {})
    assert response.status_code == 404
    assert TimeEntry.objects.filter(pk=entries["employee"].pk, description=entries["employee"].description).exists()


def test_a_manager_reads_a_reports_entry_but_cannot_change_it(client_for, entries, manager):
    client = client_for(manager)
    assert client.get(detail_url(entries["employee"])).status_code == 200
    assert client.patch(detail_url(entries["employee"]), {"description": "x"}).status_code == 403
    assert client.delete(detail_url(entries["employee"])).status_code == 403
    assert TimeEntry.objects.filter(pk=entries["employee"].pk).exists()


def test_hr_changes_anyones_entry(client_for, entries, hr):
    response = client_for(hr).patch(detail_url(entries["outsider"]), {"description": "corrected by HR"})
    assert response.status_code == 200, response.json()
    assert response.json()["description"] == "corrected by HR"


def test_unauthenticated_is_401(api_client):
    assert api_client.get(LIST_URL).status_code == 401


# --- create / update / delete ---------------------------------------------------------------------


def test_create_from_start_and_end(client_for, employee):
    project = ProjectFactory()
    task = TaskFactory(project=project)
    response = client_for(employee).post(
        LIST_URL,
        {
            "started_at": "2026-03-09T08:00:00Z",
            "ended_at": "2026-03-09T09:30:00Z",
            "project": project.pk,
            "task": task.pk,
            "tags": ["review", TagFactory(name="dev").pk],
            "description": "Code review",
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["duration_seconds"] == 5400 and data["hours"] == "1.50" and data["user"] == employee.pk
    assert data["project_name"] == project.name and data["task_name"] == task.name
    assert sorted(tag["name"] for tag in data["tags"]) == ["dev", "review"]
    assert data["billable"] is True and data["source"] == "manual"


def test_quick_check_in_with_a_duration_and_a_tag_name(client_for, employee, frozen):
    response = client_for(employee).post(
        LIST_URL, {"duration": "01:30", "description": "code review", "tags": ["review"]}
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["ended_at"] == NOW.isoformat().replace("+00:00", "Z") and data["duration_seconds"] == 5400
    assert data["tags"][0]["name"] == "review"


def test_a_time_without_offset_is_read_in_the_users_time_zone(client_for, employee):
    response = client_for(employee).post(LIST_URL, {"started_at": "2026-03-09T09:00:00", "duration": "1:00"})
    assert response.status_code == 201, response.json()
    assert TimeEntry.objects.get().started_at == utc(2026, 3, 9, 8)  # 09:00 in Berlin (CET)


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"started_at": "2026-03-09T09:00:00Z", "ended_at": "2026-03-09T08:00:00Z"}, 400, "ended_at"),
        ({"started_at": "2026-03-09T00:00:00Z", "ended_at": "2026-03-09T17:00:00Z"}, 400, "ended_at"),
        ({"started_at": "2026-03-09T08:00:00Z"}, 400, "ended_at"),
        ({"duration": "abc"}, 400, "duration"),
        ({"duration": "1" * 11}, 400, "duration"),
        ({"duration": "1:00", "description": "x" * 1001}, 400, "description"),
        ({"duration": "1:00", "tags": ["x" * 51]}, 400, "tags"),
        ({"duration": "1:00", "tags": [True]}, 400, "tags"),
        ({"duration": "1:00", "tags": [987654]}, 400, "tags"),
        ({"duration": "1:00", "project": 987654}, 400, "project"),
        ({"started_at": "yesterday", "duration": "1:00"}, 400, "started_at"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, employee, frozen, payload, status, field):
    response = client_for(employee).post(LIST_URL, payload)
    assert response.status_code == status, response.json()
    assert field in response.json()
    assert not TimeEntry.objects.exists()


def test_archived_project_and_foreign_task_are_field_errors(client_for, employee):
    client = client_for(employee)
    archived = ProjectFactory(active=False)
    response = client.post(LIST_URL, {"started_at": "2026-03-09T08:00:00Z", "duration": "1:00", "project": archived.pk})
    assert response.status_code == 400 and "project" in response.json()
    response = client.post(
        LIST_URL,
        {
            "started_at": "2026-03-09T08:00:00Z",
            "duration": "1:00",
            "project": ProjectFactory().pk,
            "task": TaskFactory().pk,
        },
    )
    assert response.status_code == 400 and "task" in response.json()


def test_overlap_is_409(client_for, employee):
    client = client_for(employee)
    assert client.post(LIST_URL, {"started_at": "2026-03-09T08:00:00Z", "duration": "2:00"}).status_code == 201
    response = client.post(LIST_URL, {"started_at": "2026-03-09T09:00:00Z", "duration": "2:00"})
    assert response.status_code == 409
    assert response.json()["code"] == "overlap"


def test_mass_assigned_user_is_refused_for_employees_and_managers(client_for, employee, colleague, manager):
    payload = {"started_at": "2026-03-09T08:00:00Z", "duration": "1:00", "user": colleague.pk}
    for actor in (employee, manager):
        response = client_for(actor).post(LIST_URL, payload)
        assert response.status_code == 400 and "user" in response.json()
    assert not TimeEntry.objects.exists()


def test_user_is_never_changed_by_an_update(client_for, employee, colleague):
    entry = TimeEntryFactory(user=employee)
    response = client_for(employee).patch(detail_url(entry), {"user": colleague.pk, "description": "mine"})
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.user == employee and entry.description == "mine"


def test_hr_may_log_for_someone_else(client_for, employee, hr):
    payload = {"started_at": "2026-03-09T08:00:00Z", "duration": "1:00", "user": employee.pk}
    response = client_for(hr).post(LIST_URL, payload)
    assert response.status_code == 201 and response.json()["user"] == employee.pk


def test_patch_and_delete_own_entry(client_for, employee):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8))
    client = client_for(employee)
    response = client.patch(detail_url(entry), {"duration": "2:15", "tags": ["x"]})
    assert response.status_code == 200, response.json()
    assert response.json()["duration_seconds"] == 8100
    response = client.patch(detail_url(entry), {"ended_at": "2026-03-09T07:00:00Z"})
    assert response.status_code == 400 and "ended_at" in response.json()
    assert client.delete(detail_url(entry)).status_code == 204
    assert not TimeEntry.objects.exists()


# --- filters --------------------------------------------------------------------------------------


def test_filters_project_task_tag_billable_user(client_for, employee, colleague, manager):
    task = TaskFactory()
    tag = TagFactory()
    with_task = TimeEntryFactory(user=employee, project=task.project, task=task, billable=True, tags=[tag])
    other = TimeEntryFactory(user=colleague)
    client = client_for(manager)
    assert ids(client.get(LIST_URL, {"project": task.project.pk})) == [with_task.pk]
    assert ids(client.get(LIST_URL, {"task": task.pk})) == [with_task.pk]
    assert ids(client.get(LIST_URL, {"tag": tag.pk})) == [with_task.pk]
    assert ids(client.get(LIST_URL, {"billable": "true"})) == [with_task.pk]
    assert ids(client.get(LIST_URL, {"user": colleague.pk})) == [other.pk]
    # An employee filtering on someone else gets nothing, never their entries.
    assert ids(client_for(employee).get(LIST_URL, {"user": colleague.pk})) == []


def test_local_day_filter_across_the_dst_change(client_for, employee):
    """Berlin leaves summer time on 2026-10-25 (a 25-hour day): the day is 2026-10-24 22:00 UTC
    to 2026-10-25 23:00 UTC, not a fixed 24 hours from either offset."""
    before = short_entry(employee, utc(2026, 10, 24, 21, 30))  # 23:30 CEST on the 24th
    first = short_entry(employee, utc(2026, 10, 24, 22, 30))  # 00:30 CEST on the 25th
    last = short_entry(employee, utc(2026, 10, 25, 22, 30))  # 23:30 CET on the 25th
    after = short_entry(employee, utc(2026, 10, 25, 23, 0))  # 00:00 CET on the 26th
    client = client_for(employee)
    assert ids(client.get(LIST_URL, {"from": "2026-10-25", "to": "2026-10-25"})) == [first.pk, last.pk]
    assert ids(client.get(LIST_URL, {"to": "2026-10-24"})) == [before.pk]
    assert ids(client.get(LIST_URL, {"from": "2026-10-26"})) == [after.pk]


def test_local_days_are_those_of_the_filtered_user(client_for, manager):
    carol = UserFactory(username="carol", manager=manager, timezone="America/Los_Angeles")
    # 2026-03-09 23:30 in Los Angeles (PDT, UTC-7) is already the 10th in UTC and in Berlin.
    entry = TimeEntryFactory(user=carol, started_at=utc(2026, 3, 10, 6, 30))
    client = client_for(manager)
    assert ids(client.get(LIST_URL, {"user": carol.pk, "from": "2026-03-09", "to": "2026-03-09"})) == [entry.pk]
    assert ids(client.get(LIST_URL, {"from": "2026-03-09", "to": "2026-03-09"})) == []


def test_from_after_to_and_bad_dates_are_400(client_for, employee):
    client = client_for(employee)
    assert client.get(LIST_URL, {"from": "2026-03-10", "to": "2026-03-09"}).status_code == 400
    assert client.get(LIST_URL, {"from": "not-a-date"}).status_code == 400


def test_search_in_descriptions(client_for, employee):
    match = TimeEntryFactory(user=employee, description="Code review of the payment webhook")
    TimeEntryFactory(user=employee, description="Sprint planning")
    client = client_for(employee)
    assert ids(client.get(LIST_URL, {"search": "review"})) == [match.pk]
    assert ids(client.get(LIST_URL, {"search": "payment webhook"})) == [match.pk]
    assert client.get(LIST_URL, {"search": "x" * 201}).status_code == 400


def test_ordering_and_pagination(client_for, employee):
    entries = [TimeEntryFactory(user=employee) for _ in range(3)]
    client = client_for(employee)
    data = client.get(LIST_URL, {"ordering": "started_at", "page_size": 2}).json()
    assert data["count"] == 3 and [row["id"] for row in data["results"]] == [entries[0].pk, entries[1].pk]
    assert client.get(LIST_URL).json()["results"][0]["id"] == entries[-1].pk  # newest first


def test_list_query_count_does_not_grow_with_rows(client_for, manager, employee, colleague, django_assert_num_queries):
    def make(count):
        for user in (employee, colleague):
            for _ in range(count):
                task = TaskFactory()
                TimeEntryFactory(user=user, project=task.project, task=task, tags=[TagFactory(), TagFactory()])

    client = client_for(manager)
    make(1)
    client.get(LIST_URL)  # warm up: the role checks of `manager` are cached on the user
    # count, page (entries + project + task names), tags of the page; billing's money of the page
    # (the projects' currency and rounding, the rates: billing/tests/test_api_entries.py)
    with django_assert_num_queries(5):
        assert client.get(LIST_URL).status_code == 200
    make(10)
    with django_assert_num_queries(5):
        assert len(client.get(LIST_URL).json()["results"]) == 22


def own_fields(row):
    """An entry's fields as timetracking's TimeEntrySerializer writes them (an app above may add some)."""
    from timetracking.api import TimeEntrySerializer

    return {name: row[name] for name in TimeEntrySerializer.Meta.fields}


def test_the_lean_list_gives_exactly_what_the_serializer_gives(client_for, employee):
    """The list reads `values()` rows (lean_entries); every field must match TimeEntrySerializer's."""
    from timetracking.api import TimeEntrySerializer

    task = TaskFactory()
    start = utc(2026, 3, 9, 8)
    TimeEntryFactory(
        user=employee,
        project=task.project,
        task=task,
        tags=[TagFactory(name="zeta"), TagFactory(name="alpha")],
        description="=formula & ünïcode",
        billable=True,
        started_at=start,
        ended_at=start + timedelta(hours=1, minutes=20, seconds=59),
    )
    TimeEntryFactory(user=employee, project=task.project, started_at=start + timedelta(hours=3, microseconds=5))
    second = start + timedelta(hours=5)
    TimeEntryFactory(user=employee, started_at=second, ended_at=second + timedelta(seconds=1))
    TimeEntryFactory(user=employee, started_at=start + timedelta(days=1), ended_at=None, source="timer")

    listed = client_for(employee).get(LIST_URL, {"ordering": "started_at"}).json()["results"]
    expected = TimeEntrySerializer(TimeEntry.objects.with_details().order_by("started_at"), many=True).data
    assert len(listed) == 4
    # The fields an app above adds (billing's money) are that app's to test.
    assert [own_fields(row) for row in listed] == [dict(row) for row in expected]
    assert [tag["name"] for tag in listed[0]["tags"]] == ["alpha", "zeta"]
    assert listed[0]["hours"] == "1.35" and listed[3]["is_running"] and listed[3]["hours"] is None


# --- bulk -----------------------------------------------------------------------------------------


def test_bulk_creates_every_row(client_for, employee):
    rows = [{"started_at": f"2026-03-09T{8 + n:02d}:00:00Z", "duration": "1:00", "tags": ["import"]} for n in range(5)]
    response = client_for(employee).post(BULK_URL, {"entries": rows})
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 5 and len(response.json()["entries"]) == 5
    assert TimeEntry.objects.filter(user=employee, source="import").count() == 5


def test_bulk_is_all_or_nothing_with_per_row_errors(client_for, employee):
    rows = [
        {"started_at": "2026-03-09T08:00:00Z", "duration": "1:00"},
        {"started_at": "2026-03-09T08:30:00Z", "duration": "1:00"},
        {"started_at": "2026-03-09T10:00:00Z", "duration": "1:00", "tags": ["new-tag"]},
    ]
    response = client_for(employee).post(BULK_URL, {"entries": rows})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows"
    assert [(row["index"], row["status"]) for row in body["errors"]] == [(1, 409)]
    assert not TimeEntry.objects.exists()


def test_bulk_shape_errors_are_reported_per_row(client_for, employee):
    rows = [{"started_at": "2026-03-09T08:00:00Z", "duration": "1:00"}, {"started_at": "nope"}]
    response = client_for(employee).post(BULK_URL, {"entries": rows})
    assert response.status_code == 400
    assert [row["index"] for row in response.json()["errors"]] == [1]
    assert not TimeEntry.objects.exists()


def test_bulk_limits(client_for, employee):
    client = client_for(employee)
    assert client.post(BULK_URL, {"entries": []}).status_code == 400
    rows = [{"duration": "0:01"}] * 501
    assert client.post(BULK_URL, {"entries": rows}).status_code == 400
    assert not TimeEntry.objects.exists()


def test_bulk_cannot_log_for_someone_else(client_for, employee, colleague):
    rows = [{"started_at": "2026-03-09T08:00:00Z", "duration": "1:00", "user": colleague.pk}]
    response = client_for(employee).post(BULK_URL, {"entries": rows})
    assert response.status_code == 400 and response.json()["errors"][0]["errors"]["user"]


def test_bulk_from_a_day_ago_with_durations(client_for, employee, frozen):
    start = NOW - timedelta(days=1)
    rows = [{"started_at": (start + timedelta(hours=n)).isoformat(), "duration": "0:30"} for n in range(3)]
    assert client_for(employee).post(BULK_URL, {"entries": rows}).status_code == 201


def test_write_answers_equal_a_fresh_read_of_the_entry(client_for, employee):
    """Writes answer from the saved instance (written_entry), not a re-read: it must be what a GET gives."""
    timer_urls = reverse("api:timer"), reverse("api:timer-start"), reverse("api:timer-stop")
    client = client_for(employee)
    task = TaskFactory()
    TagFactory(name="zeta")

    def same_as_read(response, expected_status):
        assert response.status_code == expected_status, response.json()
        data = response.json()
        assert data.pop("warnings", []) == []
        read = client.get(detail_url(TimeEntry.objects.get(pk=data["id"]))).json()
        assert own_fields(data) == own_fields(read)
        return data

    body = {"started_at": "2026-03-09T08:00:00.123456Z", "duration": "1:05", "task": task.pk, "tags": ["zeta", "beta"]}
    created = same_as_read(client.post(LIST_URL, body), 201)
    assert [tag["name"] for tag in created["tags"]] == ["beta", "zeta"] and created["project"] == task.project.pk
    same_as_read(client.patch(detail_url(TimeEntry.objects.get(pk=created["id"])), {"description": "tags kept"}), 200)
    changed = same_as_read(client.patch(detail_url(TimeEntry.objects.get(pk=created["id"])), {"tags": []}), 200)
    assert changed["tags"] == []
    bare = same_as_read(client.post(LIST_URL, {"started_at": "2026-03-09T10:00:00Z", "duration": "0:30"}), 201)
    # A partial update of an entry without project or task still names them (as null): found by Schemathesis.
    bare_patched = same_as_read(
        client.patch(detail_url(TimeEntry.objects.get(pk=bare["id"])), {"description": "b"}), 200
    )
    assert bare_patched["project_name"] is None and bare_patched["task_name"] is None

    started = same_as_read(client.post(timer_urls[1], {"description": "timer", "tags": ["zeta"]}), 201)
    assert started["is_running"] and started["hours"] is None
    patched = client.patch(timer_urls[0], {"project": task.project.pk})
    assert patched.status_code == 200 and patched.json() == client.get(timer_urls[0]).json()
    stopped = same_as_read(client.post(timer_urls[2], {}), 200)
    assert not stopped["is_running"] and stopped["tags"] == [{"id": started["tags"][0]["id"], "name": "zeta"}]
