"""Object- and function-level access across the whole API (issue 7, proofs 3–5).

* IDOR: every object route under /api/v1/ (read from the router itself, so a new route
  without a row in ROUTES fails `test_every_object_route_is_in_the_matrix`) × every method
  × a user who may not touch the object → 404 for someone else's object, 403 for a route
  their role may not use, 405 for a method the route has for nobody — and the row is
  unchanged, column by column. The owner (or HR) gets 200 on the same URL, so a 404 is
  never just a broken URL. Lists, and every `?user=` parameter, never show foreign rows.
* Function-level: an employee (or a manager) on approvals, period decisions, ledger
  adjustments, the audit trail, webhooks, HR exports, other users' keys and /admin/.
* Mass assignment: `user`, `status`, `decided_by`, balances, `is_staff`, secrets and
  timestamps sent to every writable serializer are ignored or refused, never stored.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from django.utils import timezone

from accounts.models import ApiKey, AuditEvent, User
from accounts.services import api_key_create, audit_record
from accounts.tests.factories import HRFactory, PositionFactory
from billing.budget_models import Budget
from billing.models import Invoice, InvoiceLine
from billing.tests.factories import RateFactory
from config.api import router
from leave.models import LeaveRequest, LedgerEntry
from leave.services import balances_for
from leave.tests.factories import LeaveRequestFactory, LeaveTypeFactory, give_allowance
from reports.models import ExportJob, ImportJob
from reports.tests.factories import ImportJobFactory
from sprockets.models import Factory, Location, Sprocket, SprocketType
from sprockets.tests.factories import (
    FactoryFactory,
    LocationFactory,
    PlannerFactory,
    SprocketFactory,
    SprocketTypeFactory,
)
from timetracking.models import Client, Project, TimeEntry, TimesheetPeriod
from timetracking.tests.factories import ClientFactory, ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory
from webhooks.models import Delivery, Endpoint, OutboxEvent

pytestmark = pytest.mark.django_db

LONG_AGO = "2000-01-01T00:00:00Z"
METHODS = ["get", "put", "patch", "delete", "post"]
# What an intruder sends with every write: valid-looking values for every route's fields, so
# that a missing access check would show up as a changed row, not be hidden by a 400.
PAYLOAD = {
    "name": "pwned",
    "description": "pwned",
    "note": "pwned",
    "reason": "pwned",
    "url": "https://attacker.example/hook",
    "events": ["time_entry.created"],
    "is_active": False,
    "active": False,
    "started_at": "2026-01-05T06:00:00Z",
    "ended_at": "2026-01-05T07:00:00Z",
    "sprocket_production_goal": 1,
    "teeth": 3,
}


def snapshot(instance):
    """Every stored column of the row (editable or not) and its many-to-many ids."""
    fresh = type(instance).objects.filter(pk=instance.pk).first()
    if fresh is None:
        return None
    state = {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}
    for field in fresh._meta.many_to_many:
        state[field.name] = sorted(getattr(fresh, field.name).values_list("pk", flat=True))
    return state


# --- The objects behind each route --------------------------------------------------------


def make_period(owner):
    weeks = TimesheetPeriod.objects.filter(user=owner).count()  # one row per user and week
    return TimesheetPeriod.objects.create(
        user=owner,
        week_start=date(2026, 1, 5) + timedelta(weeks=weeks),
        status=TimesheetPeriod.Status.SUBMITTED,
        submitted_at=datetime(2026, 1, 10, tzinfo=UTC),
    )


def make_leave_request(owner, **fields):
    weeks = LeaveRequest.objects.filter(user=owner).count()  # requests of one user never overlap
    start = date(2026, 7, 6) + timedelta(weeks=weeks)
    return LeaveRequestFactory(user=owner, start_date=start, end_date=start + timedelta(days=4), **fields)


def make_export_job(owner):
    job = ExportJob(requested_by=owner, status="done", total_rows=1, processed_rows=1)
    job.file.save("entries.csv", ContentFile(b"started_at,hours\n2026-01-05,1\n"), save=False)
    job.save()
    return job


def make_delivery(_owner):
    endpoint = Endpoint.objects.create(url="https://hooks.example/a", events=["time_entry.created"])
    event = OutboxEvent.objects.create(event_type="time_entry.created", payload={"id": 1})
    return Delivery.objects.create(endpoint=endpoint, event=event)


def make_audit_event(owner):
    audit_record(actor=owner, action="test.event", obj=owner)
    return AuditEvent.objects.latest("id")


def make_rate(owner):
    project = ProjectFactory(members=[owner])
    return RateFactory(kind="cost", level="project", project=project, amount=Decimal("55"))


def make_budget(owner):
    return Budget.objects.create(project=ProjectFactory(members=[owner]), hours=Decimal("10"), currency="EUR")


def make_invoice(owner):
    """A draft invoice of the owner's project's client, with a line (HR and the billing group only)."""
    project = ProjectFactory(members=[owner])
    invoice = Invoice.objects.create(
        client=project.client or ClientFactory(), period_from=date(2026, 1, 1), period_to=date(2026, 1, 31),
        currency="EUR", created_by=owner,
    )  # fmt: skip
    InvoiceLine.objects.create(
        invoice=invoice, position=1, description="Work", quantity=1, unit_price=Decimal("90"), amount=Decimal("90")
    )
    return invoice


OWNED, COMPANY, HR_ONLY, MANAGED, BILLING = "owned", "company-wide", "HR only", "managed", "billing"


@dataclass(frozen=True)
class Route:
    """`make(owner)` builds the object; `scope` says who may reach it:
    OWNED: its owner, their manager and HR (jobs: the requester only) — anyone else 404;
    COMPANY: everyone reads, writes need a role (catalog: managers/HR; production: planners/HR);
    HR_ONLY: HR; everyone else 403, whatever the method;
    MANAGED: HR and the managers of its project (rates); anyone else 404;
    BILLING: HR and the billing group (invoices); anyone else 404."""

    make: object
    scope: str
    private_even_from_hr: bool = False
    basename: str = ""  # the router basename, where the route name is not "<basename>-<action>"


ROUTES = {
    # accounts
    "user-detail": Route(lambda owner: owner, OWNED),
    "api-key-detail": Route(lambda owner: api_key_create(user=owner, name="script")[0], OWNED, True),
    "user-revoke-access": Route(lambda owner: owner, HR_ONLY, basename="user"),
    "user-two-factor-reset": Route(lambda owner: owner, HR_ONLY, basename="user"),
    "user-deactivate": Route(lambda owner: owner, HR_ONLY, basename="user"),
    "user-invite": Route(lambda owner: owner, HR_ONLY, basename="user"),
    "user-revoke-invitation": Route(lambda owner: owner, HR_ONLY, basename="user"),
    "user-reactivate": Route(lambda owner: owner, HR_ONLY, basename="user"),
    "audit-event-detail": Route(make_audit_event, HR_ONLY),
    # Everyone reads titles; only HR writes (and sees salaries: test_a_salary_reaches_nobody_but_hr).
    "position-detail": Route(lambda _owner: PositionFactory(salary=Decimal("98765.43")), COMPANY),
    # timetracking
    "time-entry-detail": Route(lambda owner: TimeEntryFactory(user=owner), OWNED),
    "period-detail": Route(make_period, OWNED),
    "period-approve": Route(make_period, OWNED),
    "period-reject": Route(make_period, OWNED),
    "period-reopen": Route(make_period, OWNED),
    "client-detail": Route(lambda _owner: ClientFactory(), COMPANY),
    "project-detail": Route(lambda _owner: ProjectFactory(), COMPANY),
    "task-detail": Route(lambda _owner: TaskFactory(), COMPANY),
    "tag-detail": Route(lambda _owner: TagFactory(), COMPANY),
    # leave
    "leave-type-detail": Route(lambda _owner: LeaveTypeFactory(), COMPANY),
    "leave-request-detail": Route(make_leave_request, OWNED),
    "leave-request-approve": Route(make_leave_request, OWNED),
    "leave-request-reject": Route(make_leave_request, OWNED),
    "leave-request-cancel": Route(make_leave_request, OWNED),
    "leave-request-attachment": Route(
        lambda owner: make_leave_request(owner, attachment=ContentFile(b"%PDF-1.4 note", name="certificate.pdf")),
        OWNED,
    ),
    # reports
    "report-export-job-detail": Route(make_export_job, OWNED, True),
    "report-export-job-download": Route(make_export_job, OWNED, True),
    "report-import-job-detail": Route(lambda owner: ImportJobFactory(requested_by=owner), OWNED, True),
    # sprockets
    "location-detail": Route(lambda _owner: LocationFactory(), COMPANY),
    "sprocket-type-detail": Route(lambda _owner: SprocketTypeFactory(), COMPANY),
    "factory-detail": Route(lambda _owner: FactoryFactory(), COMPANY),
    "factory-chart": Route(lambda _owner: FactoryFactory(), COMPANY),
    "sprocket-detail": Route(lambda _owner: SprocketFactory(), COMPANY),
    # webhooks
    "webhook-detail": Route(
        lambda _owner: Endpoint.objects.create(url="https://hooks.example/b", events=["time_entry.created"]), HR_ONLY
    ),
    "webhook-delivery-detail": Route(make_delivery, HR_ONLY),
    # billing: the owner's project's cost rate (their manager manages the project)
    "rate-detail": Route(make_rate, MANAGED),
    # billing: the owner's project's budget (their manager manages the project)
    "budget-detail": Route(make_budget, MANAGED),
    # billing: invoices and their actions (HR and the billing group; the owner neither)
    "invoice-detail": Route(make_invoice, BILLING),
    "invoice-add-line": Route(make_invoice, BILLING, basename="invoice"),
    "invoice-issue": Route(make_invoice, BILLING, basename="invoice"),
    "invoice-cancel": Route(make_invoice, BILLING, basename="invoice"),
    "invoice-pdf": Route(make_invoice, BILLING, basename="invoice"),
    "invoice-export": Route(make_invoice, BILLING, basename="invoice"),
}


def object_routes():
    """{url name: allowed methods} of every /api/v1/ route that names one object (has a pk)."""
    routes = {}
    for pattern in router.urls:
        text = str(pattern.pattern)
        # One object: its pk and nothing else (an invoice's line, by two ids, is billing's own test's).
        if isinstance(pattern, URLPattern) and "<pk>" in text and "format" not in text and "line_id" not in text:
            routes[pattern.name] = set(pattern.callback.actions)
    return routes


ALLOWED_METHODS = object_routes()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_every_object_route_is_in_the_matrix():
    assert set(ALLOWED_METHODS) == set(ROUTES)


def call(client, method, url):
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, PAYLOAD, format="json")


def expected_status(route_name, method, intruder):
    route = ROUTES[route_name]
    allowed = method in ALLOWED_METHODS[route_name]
    if route.scope == HR_ONLY:
        return {403}  # permission is checked before the method: nothing about the route leaks
    if route.scope == COMPANY:
        if method == "get":
            return {200}
        # Managers write the catalog; everyone else, and production data for all but planners, 403.
        return {403} if allowed else {403, 405}
    return {404} if allowed else {405}


INTRUDERS = ["colleague", "outsider", "other_manager"]


# Managers write the catalog by design: for company-wide data the intruders are the employees.
MATRIX = [
    (route_name, intruder_name)
    for route_name, route in sorted(ROUTES.items())
    for intruder_name in INTRUDERS
    if not (route.scope == COMPANY and intruder_name == "other_manager")
]


@pytest.mark.parametrize(("route_name", "intruder_name"), MATRIX)
def test_someone_elses_object_is_404_and_unchanged(request, client_for, employee, route_name, intruder_name):
    route = ROUTES[route_name]
    intruder = request.getfixturevalue(intruder_name)
    client = client_for(intruder)
    for method in METHODS:
        instance = route.make(employee)
        url = reverse(f"api:{route_name}", args=[instance.pk])
        before = snapshot(instance)
        response = call(client, method, url)
        assert response.status_code in expected_status(route_name, method, intruder), (
            route_name,
            method,
            response.status_code,
            getattr(response, "content", b"")[:200],
        )
        assert snapshot(instance) == before, (route_name, method)
        if response.status_code in (403, 404, 405):
            assert response["Content-Type"].startswith("application/json"), (route_name, method)


@pytest.mark.parametrize("route_name", sorted(name for name, route in ROUTES.items() if route.scope != COMPANY))
def test_the_same_url_answers_its_owner(client_for, employee, hr, route_name):
    """The positive control: the object and URL the intruders were refused are reachable."""
    route = ROUTES[route_name]
    instance = route.make(employee)
    url = reverse(f"api:{route_name}", args=[instance.pk])
    reader = hr if route.scope in (HR_ONLY, MANAGED, BILLING) else employee
    if "get" not in ALLOWED_METHODS[route_name]:
        # A POST-only action (approve, reject, reopen, cancel): its object's own URL.
        url = reverse(f"api:{route.basename or route_name.rsplit('-', 1)[0]}-detail", args=[instance.pk])
    assert client_for(reader).get(url).status_code == 200, route_name


@pytest.mark.parametrize("route_name", sorted(name for name, route in ROUTES.items() if route.private_even_from_hr))
@pytest.mark.parametrize("reader_name", ["manager", "hr"])
def test_keys_and_jobs_are_private_even_from_the_manager_and_hr(request, client_for, employee, route_name, reader_name):
    instance = ROUTES[route_name].make(employee)
    url = reverse(f"api:{route_name}", args=[instance.pk])
    assert client_for(request.getfixturevalue(reader_name)).get(url).status_code == 404


def test_the_manager_reads_their_reports_entries_but_cannot_change_them(client_for, employee, manager):
    entry = TimeEntryFactory(user=employee)
    url = reverse("api:time-entry-detail", args=[entry.pk])
    before = snapshot(entry)
    client = client_for(manager)
    assert client.get(url).status_code == 200
    assert client.patch(url, {"description": "edited by the manager"}, format="json").status_code == 403
    assert client.delete(url).status_code == 403
    assert snapshot(entry) == before


# --- Lists and `?user=` parameters ---------------------------------------------------------

OWNED_LISTS = {
    "api:user-list": lambda owner: owner,
    "api:api-key-list": lambda owner: api_key_create(user=owner, name="script")[0],
    "api:time-entry-list": lambda owner: TimeEntryFactory(user=owner),
    "api:period-list": make_period,
    "api:leave-request-list": lambda owner: LeaveRequestFactory(user=owner),
    "api:report-export-job-list": make_export_job,
    "api:report-import-job-list": lambda owner: ImportJobFactory(requested_by=owner),
}


@pytest.mark.parametrize("list_route", sorted(OWNED_LISTS))
@pytest.mark.parametrize("intruder_name", INTRUDERS)
def test_lists_never_show_someone_elses_rows(request, client_for, employee, list_route, intruder_name):
    instance = OWNED_LISTS[list_route](employee)
    own = client_for(employee).get(reverse(list_route), {"page_size": 500}).json()["results"]
    assert instance.pk in [row["id"] for row in own], "the positive control: the owner sees it"
    client = client_for(request.getfixturevalue(intruder_name))
    for params in ({"page_size": 500}, {"page_size": 500, "user": employee.pk}):
        response = client.get(reverse(list_route), params)
        if "user" in params and response.status_code == 400:
            # A list without a `user` filter refuses the parameter (core.filters), showing no row at all.
            assert response.json()["code"] == "unknown_parameter" and "user" in response.json(), list_route
            continue
        assert response.status_code == 200, (list_route, params)
        rows = response.json()["results"]
        assert instance.pk not in [row["id"] for row in rows], (list_route, params)
        assert employee.pk not in [row.get("user", row.get("requested_by")) for row in rows], (list_route, params)


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("api:leave-balances", {}),
        ("api:compliance-violations", {}),
        ("api:report-summary", {}),
        ("api:report-overtime", {}),
        ("api:report-export", {"format": "csv"}),
    ],
)
@pytest.mark.parametrize("intruder_name", INTRUDERS)
def test_a_user_parameter_naming_someone_else_is_404(request, client_for, employee, route, params, intruder_name):
    TimeEntryFactory(user=employee)
    assert client_for(employee.manager).get(reverse(route), {**params, "user": employee.pk}).status_code == 200
    response = client_for(request.getfixturevalue(intruder_name)).get(reverse(route), {**params, "user": employee.pk})
    assert response.status_code == 404, (route, response.status_code)


def test_the_team_calendar_never_shows_another_team(client_for, employee, colleague, outsider):
    LeaveRequestFactory(
        user=employee,
        start_date=date(2026, 11, 2),
        end_date=date(2026, 11, 3),
        status="approved",
        decided_at=timezone.now(),
    )
    own_team = client_for(colleague).get(reverse("api:leave-calendar"), {"month": "2026-11"}).json()
    assert employee.pk in [absence["user"] for absence in own_team["absences"]]  # the positive control
    body = client_for(outsider).get(reverse("api:leave-calendar"), {"month": "2026-11"}).json()
    assert employee.pk not in [member["id"] for member in body["members"]]
    assert employee.pk not in [absence["user"] for absence in body["absences"]]


class TestTheTimerIsAlwaysTheCallersOwn:
    @pytest.fixture
    def running(self, employee):
        return TimeEntryFactory(user=employee, started_at=timezone.now() - timedelta(minutes=30), ended_at=None)

    @pytest.mark.parametrize("intruder_name", INTRUDERS)
    def test_another_user_neither_sees_nor_changes_nor_stops_it(self, request, client_for, running, intruder_name):
        client = client_for(request.getfixturevalue(intruder_name))
        before = snapshot(running)
        assert client.get(reverse("api:timer")).status_code == 204
        assert client.patch(reverse("api:timer"), {"description": "pwned"}, format="json").status_code == 409
        assert client.post(reverse("api:timer-stop"), {}, format="json").status_code == 409
        assert snapshot(running) == before
        assert client_for(running.user).get(reverse("api:timer")).json()["id"] == running.pk


# --- Function-level access ------------------------------------------------------------------


class TestFunctionLevelAccess:
    def test_an_employee_cannot_approve_or_reject_a_colleagues_request(self, client_for, employee, colleague):
        leave_request = LeaveRequestFactory(user=colleague)
        client = client_for(employee)
        for action in ("approve", "reject"):
            response = client.post(
                reverse(f"api:leave-request-{action}", args=[leave_request.pk]), {"note": "x"}, format="json"
            )
            assert response.status_code == 404, action
        leave_request.refresh_from_db()
        assert leave_request.status == "pending"

    @pytest.mark.parametrize("requester_name", ["employee", "manager"])
    def test_nobody_decides_their_own_request(self, request, client_for, requester_name):
        requester = request.getfixturevalue(requester_name)
        leave_request = LeaveRequestFactory(user=requester)
        client = client_for(requester)
        for action in ("approve", "reject"):
            response = client.post(
                reverse(f"api:leave-request-{action}", args=[leave_request.pk]), {"note": "x"}, format="json"
            )
            assert response.status_code == 403, (action, response.json())
        leave_request.refresh_from_db()
        assert leave_request.status == "pending" and leave_request.decided_by is None

    def test_an_employee_cannot_decide_or_reopen_their_own_week(self, client_for, employee):
        period = make_period(employee)
        client = client_for(employee)
        for action, body in (("approve", {}), ("reject", {"note": "x"})):
            response = client.post(reverse(f"api:period-{action}", args=[period.pk]), body, format="json")
            assert response.status_code == 403, action
        TimesheetPeriod.objects.filter(pk=period.pk).update(status="approved", decided_at=timezone.now())
        before = snapshot(period)
        response = client.post(reverse("api:period-reopen", args=[period.pk]), {"reason": "x"}, format="json")
        assert response.status_code == 403
        assert snapshot(period) == before

    def test_the_manager_decides_the_week_another_manager_cannot(self, client_for, employee, manager, other_manager):
        period = make_period(employee)
        url = reverse("api:period-approve", args=[period.pk])
        assert client_for(other_manager).post(url, {}, format="json").status_code == 404
        assert client_for(manager).post(url, {}, format="json").status_code == 200
        period.refresh_from_db()
        assert period.status == "approved" and period.decided_by == manager

    @pytest.mark.parametrize("user_name", ["employee", "manager"])
    def test_only_hr_reads_the_audit_trail_and_manages_webhooks(self, request, client_for, hr, user_name):
        client = client_for(request.getfixturevalue(user_name))
        endpoint = Endpoint.objects.create(url="https://hooks.example/c", events=["time_entry.created"])
        for route in ("api:audit-event-list", "api:webhook-list", "api:webhook-delivery-list"):
            assert client.get(reverse(route)).status_code == 403, route
            assert client_for(hr).get(reverse(route)).status_code == 200, route
        response = client.post(
            reverse("api:webhook-list"), {"url": "https://e.com/h", "events": ["time_entry.created"]}, format="json"
        )
        assert response.status_code == 403
        assert list(Endpoint.objects.all()) == [endpoint]
        assert client.get(reverse("api:report-leave-export")).status_code == 403

    def test_the_audit_trail_is_read_only_even_for_hr(self, client_for, hr, employee):
        event = make_audit_event(employee)
        before = snapshot(event)
        client = client_for(hr)
        url = reverse("api:audit-event-detail", args=[event.pk])
        for method in ("put", "patch", "delete"):
            assert call(client, method, url).status_code == 405, method
        assert client.post(reverse("api:audit-event-list"), {"action": "x"}, format="json").status_code == 405
        assert snapshot(event) == before

    @pytest.mark.parametrize(
        ("route", "body"),
        [
            ("api:client-list", {"name": "New client"}),
            ("api:project-list", {"name": "New project"}),
            ("api:location-list", {"name": "Plant", "address_1": "1 Road", "city": "Leeds", "state": "-",
                                   "country_code": "GB", "postal_code": "LS1"}),
            ("api:sprocket-type-list", {"name": "T", "teeth": 3, "pitch_diameter": "1", "pitch": "1",
                                        "outside_diameter": "2"}),
        ],
    )  # fmt: skip
    def test_an_employee_cannot_create_company_data(self, client_for, employee, route, body):
        counts = [model.objects.count() for model in (Client, Project, Location, SprocketType)]
        assert client_for(employee).post(reverse(route), body, format="json").status_code == 403
        assert [model.objects.count() for model in (Client, Project, Location, SprocketType)] == counts

    def test_an_employee_cannot_record_production(self, client_for, employee):
        factory = FactoryFactory()
        sprocket_type = SprocketTypeFactory()
        row = {"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk, "produced_at": "2026-01-05T06:00:00Z"}
        client = client_for(employee)
        assert client.post(reverse("api:sprocket-list"), row, format="json").status_code == 403
        assert client.post(reverse("api:sprocket-bulk"), {"sprockets": [row]}, format="json").status_code == 403
        new_factory = {"name": "F", "location_id": factory.location_id, "sprocket_production_goal": 1}
        assert client.post(reverse("api:factory-list"), new_factory, format="json").status_code == 403
        assert Sprocket.objects.count() == 0
        assert Factory.objects.count() == 1

    @pytest.mark.parametrize("user_name", ["manager", "employee"])
    def test_only_hr_logs_time_for_someone_else(self, request, client_for, employee, colleague, user_name):
        client = client_for(request.getfixturevalue(user_name))
        entry = {"started_at": "2026-03-02T08:00:00Z", "ended_at": "2026-03-02T09:00:00Z", "user": colleague.pk}
        assert client.post(reverse("api:time-entry-list"), entry, format="json").status_code in (400, 403, 404)
        response = client.post(reverse("api:time-entry-bulk"), {"entries": [entry]}, format="json")
        assert response.status_code in (400, 403, 404)
        assert not TimeEntry.objects.filter(user=colleague).exists()

    def test_an_employee_cannot_import_time_for_someone_else(self, client_for, employee, outsider):
        upload = SimpleUploadedFile("entries.csv", b"date,start,end\n2026-01-05,08:00,09:00\n", "text/csv")
        response = client_for(employee).post(
            reverse("api:report-import"), {"file": upload, "format": "native", "user": outsider.pk}, format="multipart"
        )
        assert response.status_code == 404
        assert not ImportJob.objects.exists()
        assert not TimeEntry.objects.filter(user=outsider).exists()

    def test_an_employee_cannot_see_or_revoke_someone_elses_api_key(self, client_for, employee, outsider):
        api_key, _ = api_key_create(user=outsider, name="theirs")
        url = reverse("api:api-key-detail", args=[api_key.pk])
        assert client_for(employee).get(url).status_code == 404
        assert client_for(employee).delete(url).status_code == 404
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None

    @pytest.mark.parametrize(
        "path",
        [
            "/admin/",
            "/admin/leave/ledgerentry/",
            "/admin/leave/ledgerentry/add/",
            "/admin/leave/ledgerentry/assign/",
            "/admin/leave/allowancepolicy/add/",
            "/admin/accounts/auditevent/",
            "/admin/accounts/user/",
            "/admin/webhooks/endpoint/",
        ],
    )
    def test_an_employee_gets_the_admin_login(self, client, employee, path):
        client.force_login(employee)
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response.headers["Location"], path

    def test_a_manager_cannot_adjust_ledgers_in_the_admin(self, client, manager, employee):
        leave_type = LeaveTypeFactory()
        client.force_login(manager)
        assert client.get("/admin/leave/ledgerentry/add/").status_code == 403
        response = client.post(
            "/admin/leave/ledgerentry/add/",
            {"user": employee.pk, "leave_type": leave_type.pk, "year": 2026, "amount": "10", "reason": "gift"},
        )
        assert response.status_code == 403
        response = client.post(
            "/admin/leave/ledgerentry/assign/",
            {"users": [employee.pk], "leave_type": leave_type.pk, "year": 2026, "amount": "10", "reason": "gift"},
        )
        assert response.status_code in (302, 403)
        assert not LedgerEntry.objects.exists()


# --- Mass assignment -----------------------------------------------------------------------


class TestMassAssignment:
    def test_time_entry_create_ignores_what_the_caller_does_not_own(self, client_for, employee, outsider):
        response = client_for(employee).post(
            reverse("api:time-entry-list"),
            {
                "started_at": "2026-03-02T08:00:00Z",
                "ended_at": "2026-03-02T09:00:00Z",
                "created_at": LONG_AGO,
                "updated_at": LONG_AGO,
                "source": "import",
                "is_running": True,
                "hours": "99",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        entry = TimeEntry.objects.get(pk=response.json()["id"])
        assert entry.user == employee
        assert entry.created_at.year != 2000 and entry.updated_at.year != 2000
        assert entry.source == "manual"
        assert entry.duration == timedelta(hours=1)

    @pytest.mark.parametrize("method", ["patch", "put"])
    def test_time_entry_update_changes_only_its_own_fields(self, client_for, employee, outsider, method):
        entry = TimeEntryFactory(user=employee)
        before = snapshot(entry)
        body = {
            "description": "corrected",
            "started_at": before["started_at"].isoformat(),
            "ended_at": before["ended_at"].isoformat(),
            "user": outsider.pk,
            "source": "import",
            "created_at": LONG_AGO,
            "updated_at": LONG_AGO,
        }
        response = getattr(client_for(employee), method)(
            reverse("api:time-entry-detail", args=[entry.pk]), body, format="json"
        )
        assert response.status_code == 200, response.json()
        after = snapshot(entry)
        assert after["description"] == "corrected"  # the write happened
        for field in ("user_id", "source", "created_at"):
            assert after[field] == before[field], field
        assert after["updated_at"].year != 2000

    def test_the_timer_ignores_user_end_and_timestamps(self, client_for, employee, outsider):
        client = client_for(employee)
        forged = {"user": outsider.pk, "created_at": LONG_AGO, "source": "import", "ended_at": LONG_AGO}
        response = client.post(reverse("api:timer-start"), {"description": "work", **forged}, format="json")
        assert response.status_code == 201, response.json()
        entry = TimeEntry.objects.get(pk=response.json()["id"])
        assert (entry.user, entry.ended_at, entry.source) == (employee, None, "timer")
        assert entry.created_at.year != 2000
        response = client.patch(reverse("api:timer"), {"description": "more", **forged}, format="json")
        assert response.status_code == 200, response.json()
        entry.refresh_from_db()
        assert (entry.user, entry.ended_at, entry.description) == (employee, None, "more")
        response = client.post(reverse("api:timer-stop"), {"user": outsider.pk}, format="json")
        assert response.status_code == 200
        assert not TimeEntry.objects.filter(user=outsider).exists()

    def test_leave_request_status_decider_amount_and_balances_are_not_writable(self, client_for, employee, manager):
        leave_type = LeaveTypeFactory(requires_approval=True)
        give_allowance(employee, leave_type, amount="10", year=2031)
        before = balances_for(user=employee, year=2031)
        response = client_for(employee).post(
            reverse("api:leave-request-list"),
            {
                "leave_type": leave_type.pk,
                "start_date": "2031-03-03",
                "end_date": "2031-03-03",
                "status": "approved",
                "decided_by": manager.pk,
                "decided_at": LONG_AGO,
                "created_at": LONG_AGO,
                "amount": "0.5",
                "user": manager.pk,
                "balance": "99",
                "entitled": "99",
                "used": "-5",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        leave_request = LeaveRequest.objects.get(pk=response.json()["id"])
        assert (leave_request.user, leave_request.status, leave_request.decided_by) == (employee, "pending", None)
        assert leave_request.decided_at is None and leave_request.created_at.year != 2000
        assert leave_request.amount == 1
        after = balances_for(user=employee, year=2031)
        assert [(b.entitled, b.used) for b in after] == [(b.entitled, b.used) for b in before]
        assert LedgerEntry.objects.filter(user=employee).count() == 1

    def test_a_decision_is_recorded_as_the_decider_whatever_the_body_says(
        self, client_for, employee, manager, other_manager
    ):
        leave_request = LeaveRequestFactory(user=employee, leave_type=LeaveTypeFactory(deducts_allowance=False))
        response = client_for(manager).post(
            reverse("api:leave-request-approve", args=[leave_request.pk]),
            {"note": "ok", "status": "rejected", "decided_by": other_manager.pk, "decided_at": LONG_AGO},
            format="json",
        )
        assert response.status_code == 200, response.json()
        leave_request.refresh_from_db()
        assert (leave_request.status, leave_request.decided_by) == ("approved", manager)
        assert leave_request.decided_at.year != 2000

    def test_period_submit_ignores_owner_status_and_decision(self, client_for, employee, colleague, manager):
        last_week = timezone.localdate() - timedelta(days=7)
        response = client_for(employee).post(
            reverse("api:period-submit"),
            {
                "week": last_week.isoformat(),
                "user": colleague.pk,
                "status": "approved",
                "decided_by": manager.pk,
                "decided_at": LONG_AGO,
                "submitted_at": LONG_AGO,
                "approved_at": LONG_AGO,
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
        period = TimesheetPeriod.objects.get(pk=response.json()["id"])
        assert (period.user, period.status, period.decided_by, period.decided_at) == (
            employee,
            "submitted",
            None,
            None,
        )
        assert period.submitted_at.year != 2000
        assert not TimesheetPeriod.objects.filter(user=colleague).exists()

    def test_api_key_create_ignores_owner_hash_and_timestamps(self, client_for, employee, outsider):
        response = client_for(employee).post(
            reverse("api:api-key-list"),
            {
                "name": "script",
                "user": outsider.pk,
                "prefix": "forged",
                "key_hash": "0" * 64,
                "revoked_at": LONG_AGO,
                "last_used_at": LONG_AGO,
                "created_at": LONG_AGO,
                "is_active": False,
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        api_key = ApiKey.objects.get(pk=response.json()["id"])
        assert api_key.user == employee
        assert api_key.prefix != "forged" and api_key.key_hash != "0" * 64
        assert api_key.revoked_at is None and api_key.last_used_at is None
        assert api_key.created_at.year != 2000
        assert not ApiKey.objects.filter(user=outsider).exists()

    def test_profile_roles_and_account_state_cannot_be_self_assigned(self, client_for, employee):
        before = snapshot(employee)
        response = client_for(employee).patch(
            reverse("api:user-me"),
            {
                "first_name": "Eve",
                "is_staff": True,
                "is_superuser": True,
                "is_active": False,
                "is_hr": True,
                "manager": None,
                "weekly_hours": "1",
                "username": "root",
                "password": "x",
                "date_joined": LONG_AGO,
                "last_login": LONG_AGO,
                "groups": [1],
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
        after = snapshot(employee)
        assert after.pop("first_name") == "Eve"
        before.pop("first_name")
        assert after == before
        assert not User.objects.get(pk=employee.pk).is_hr

    def test_webhook_secret_and_creator_are_not_writable(self, client_for, hr, employee, settings):
        # Registration resolves the URL's host (webhooks/destinations.py); allowed, this one is not looked up.
        settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example"]
        client = client_for(hr)
        response = client.post(
            reverse("api:webhook-list"),
            {
                "url": "https://hooks.example/new",
                "events": ["time_entry.created"],
                "secret": "chosen-by-the-caller",
                "created_by": employee.pk,
                "created_at": LONG_AGO,
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        endpoint = Endpoint.objects.get(pk=response.json()["id"])
        assert endpoint.secret != "chosen-by-the-caller"
        assert endpoint.created_by == hr and endpoint.created_at.year != 2000
        before = snapshot(endpoint)
        response = client.patch(
            reverse("api:webhook-detail", args=[endpoint.pk]),
            {"description": "edited", "secret": "chosen", "created_by": employee.pk, "created_at": LONG_AGO},
            format="json",
        )
        assert response.status_code == 200
        after = snapshot(endpoint)
        assert after.pop("description") == "edited"
        before.pop("description")
        assert after == before

    def test_catalog_timestamps_are_not_writable(self, client_for, manager, employee):
        # `employee` makes `manager` a manager (someone reports to them): managers write the catalog.
        client = client_for(manager)
        response = client.post(
            reverse("api:project-list"), {"name": "Apollo", "created_at": LONG_AGO, "id": 424242}, format="json"
        )
        assert response.status_code == 201, response.json()
        project = Project.objects.get(name="Apollo")
        assert project.pk != 424242 and project.created_at.year != 2000
        response = client.post(reverse("api:client-list"), {"name": "Initech", "created_at": LONG_AGO}, format="json")
        assert response.status_code == 201
        assert Client.objects.get(name="Initech").created_at.year != 2000

    def test_a_factorys_actual_is_counted_never_written(self, client_for):
        planner = PlannerFactory()
        client = client_for(planner)
        location = LocationFactory()
        response = client.post(
            reverse("api:factory-list"),
            {"name": "Works", "location_id": location.pk, "sprocket_production_goal": 10,
             "sprocket_production_actual": 999, "chart_data": {"time": []}},
            format="json",
        )  # fmt: skip
        assert response.status_code == 201, response.json()
        factory = Factory.objects.get(pk=response.json()["id"])
        assert factory.sprocket_production_actual == 0
        response = client.patch(
            reverse("api:factory-detail", args=[factory.pk]), {"sprocket_production_actual": 999}, format="json"
        )
        assert response.status_code == 200
        factory.refresh_from_db()
        assert factory.sprocket_production_actual == 0

    def test_a_sprocket_id_is_not_chosen_by_the_caller(self, client_for):
        factory = FactoryFactory()
        response = client_for(PlannerFactory()).post(
            reverse("api:sprocket-list"),
            {"id": 424242, "factory_id": factory.pk, "sprocket_type_id": SprocketTypeFactory().pk,
             "produced_at": "2026-01-05T06:00:00Z"},
            format="json",
        )  # fmt: skip
        assert response.status_code == 201, response.json()
        assert not Sprocket.objects.filter(pk=424242).exists()
        factory.refresh_from_db()
        assert factory.sprocket_production_actual == 1

    def test_hr_is_not_granted_by_a_body(self, client_for, employee):
        """Nothing the API accepts can make someone HR: the group is assigned in the admin only."""
        HRFactory(username="real-hr")
        client_for(employee).patch(reverse("api:user-me"), {"groups": ["HR"], "is_hr": True}, format="json")
        assert client_for(employee).get(reverse("api:audit-event-list")).status_code == 403


def test_no_time_entry_list_filter_reaches_another_team(client_for, employee, outsider):
    """`user` and every other filter are applied inside the caller's visible rows."""
    entry = TimeEntryFactory(user=employee, billable=True, description="secret plans")
    client = client_for(outsider)
    for params in ({"user": employee.pk}, {"search": "secret"}, {"billable": "true"}, {"running": "false"}):
        ids = [row["id"] for row in client.get(reverse("api:time-entry-list"), params).json()["results"]]
        assert entry.pk not in ids, params


# --- Salaries (issue 18, item 2) ---------------------------------------------------------------
SALARY = "98765.43"  # distinctive: anywhere in an answer, it leaked


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("reader_name", ["employee", "manager"])
def test_a_salary_reaches_nobody_but_hr(request, client, client_for, hr, employee, reader_name):
    """The employee and their manager both hold a salaried position: no answer of the API or the
    pages either reads (the position, the users, exports, summaries, the audit trail) has the amount."""
    position = PositionFactory(title="Salaried", salary=Decimal(SALARY))
    for person in (employee, employee.manager):
        person.position = position
        person.save(update_fields=["position"])
    client_for(hr).patch(reverse("api:position-detail", args=[position.pk]), {"salary": SALARY}, format="json")
    client_for(hr).patch(reverse("api:user-detail", args=[employee.pk]), {"position": position.pk}, format="json")
    TimeEntryFactory(user=employee)
    reader = request.getfixturevalue(reader_name)
    api = client_for(reader)
    answers = [
        api.get(reverse("api:position-list")),
        api.get(reverse("api:position-detail", args=[position.pk])),
        api.options(reverse("api:position-list")),
        api.options(reverse("api:position-detail", args=[position.pk])),
        api.get(reverse("api:user-list")),
        api.get(reverse("api:user-me")),
        api.get(reverse("api:user-detail", args=[employee.pk])),
        api.get(reverse("api:audit-event-list")),
        api.get(reverse("api:report-export"), {"format": "csv"}),
        api.get(reverse("api:report-summary"), {"group_by": "user"}),
        api.patch(reverse("api:position-detail", args=[position.pk]), {"title": "x"}, format="json"),
    ]
    client.force_login(reader)
    answers += [client.get("/"), client.get(reverse("accounts:people")), client.get("/admin/accounts/position/")]
    for response in answers:
        assert response.status_code < 500, response
        assert SALARY.encode() not in _body(response), response
        assert b"98765" not in _body(response), response
    assert "salary" not in api.get(reverse("api:position-detail", args=[position.pk])).json()
    assert client_for(hr).get(reverse("api:position-detail", args=[position.pk])).json()["salary"] == SALARY
