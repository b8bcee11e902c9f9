"""Every page of the product, the status each demo role gets from it, and data like the demo's to
fill them: shared by the accessibility (axe) and the phone-layout browser tests."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import HRFactory, UserFactory
from billing.budget_models import Budget
from billing.models import Invoice, InvoiceLine
from leave.models import LeaveStatus
from leave.tests.factories import (
    HourlyLeaveTypeFactory,
    LeaveRequestFactory,
    LeaveTypeFactory,
    SickLeaveTypeFactory,
    give_allowance,
)
from reports.models import JobStatus
from reports.tests.factories import ExportJobFactory, ImportJobFactory
from sprockets.tests.factories import FactoryFactory, LocationFactory, SprocketFactory, SprocketTypeFactory
from timetracking.tests.factories import ClientFactory, ProjectFactory, TaskFactory, TimeEntryFactory

# The demo's users: three employees, their manager, HR.
ROLES = ["alice", "bob", "carol", "manager", "hr"]
EMPLOYEES = ["alice", "bob", "carol"]
API_DOCS = ["/api/v1/docs/", "/api/v1/redoc/"]
# Paths known once the data exists: a factory's own page, the viewer's own export and import jobs.
FACTORY, EXPORT_JOB, IMPORT_JOB = "<factory>", "<export job>", "<import job>"
# HR's page of a person (the employee's), and its deactivation's confirmation.
PERSON, PERSON_DEACTIVATE = "<person>", "<person deactivate>"
# A draft invoice's page (HR and the billing group; anyone else: 404).
INVOICE = "<invoice>"
# A page that fails, so the 500 page is seen as a browser gets it (config/tests/urls_failing.py).
FAILING_URLCONF = "config.tests.urls_failing"
FAILING_PAGE = "/tests/fail/"
# (path, status for an employee, the manager, HR). An employee gets the team week's and the
# approval queue's 403 page (with the reason), inside the layout.
PAGES = [
    ("/", 200, 200, 200),
    ("/time/", 200, 200, 200),
    ("/time/team/", 403, 200, 200),
    ("/leave/", 200, 200, 200),
    ("/leave/calendar/", 200, 200, 200),
    ("/leave/approvals/", 403, 200, 200),
    ("/reports/", 200, 200, 200),
    (EXPORT_JOB, 200, 200, 200),
    ("/reports/import/", 200, 200, 200),
    (IMPORT_JOB, 200, 200, 200),
    ("/projects/", 200, 200, 200),
    ("/factories/", 200, 200, 200),
    (FACTORY, 200, 200, 200),
    ("/accounts/preferences/", 200, 200, 200),
    ("/accounts/password/", 200, 200, 200),
    ("/accounts/two-factor/", 200, 200, 200),
    ("/accounts/two-factor/setup/", 200, 200, 200),
    ("/accounts/people/", 403, 403, 200),
    ("/accounts/people/new/", 403, 403, 200),
    ("/accounts/people/import/", 403, 403, 200),
    (PERSON, 404, 404, 200),
    (PERSON_DEACTIVATE, 404, 404, 200),
    ("/invoices/", 403, 403, 200),
    (INVOICE, 404, 404, 200),
    ("/api/v1/docs/", 200, 200, 200),
    ("/api/v1/redoc/", 200, 200, 200),
    ("/no-such-page/", 404, 404, 404),
    (FAILING_PAGE, 500, 500, 500),
]
# The long names of the demo's worst case: a phone must still fit them.
LONG_PROJECT = "Website relaunch for a client with a rather long name"
TEAM = [
    ("alice", "Alice", "Adams"),
    ("bob", "Bob", "Brown"),
    ("carol", "Carol", "Chen"),
    ("dora", "Maximiliane", "Zimmermann-Oberhauser"),
    ("emil", "Emil", "Fischer"),
    ("fatma", "Fatma", "Yılmaz"),
]
# Two rows of our own import layout, for an import waiting to be confirmed (its preview page).
IMPORT_CSV = (
    "User,Email,Client,Project,Task,Description,Billable,Start,End,Tags\n"
    ",,Example Corporation International,Internal,Meetings,Sprint planning with the whole team,No,"
    "2026-03-02T09:00:00+01:00,2026-03-02T10:30:00+01:00,meeting\n"
    f",,Example Corporation International,{LONG_PROJECT},Frontend,Checkout form,Yes,"
    "2026-03-02T10:45:00+01:00,2026-03-02T12:15:00+01:00,\n"
)


@dataclass
class Cast:
    users: dict  # username -> user, for every role
    factory_path: str
    job_paths: dict = field(default_factory=dict)  # username -> {EXPORT_JOB: path, IMPORT_JOB: path}
    person_path: str = "/accounts/people/0/"
    invoice_path: str = "/invoices/0/"

    def user(self, role):
        return self.users[role]

    def pages(self, role, api_docs=True):
        """(path, expected status) of every page, for this role (without the API docs if asked)."""
        column = 0 if role in EMPLOYEES else ROLES.index(role) - len(EMPLOYEES) + 1
        known = {
            FACTORY: self.factory_path,
            PERSON: self.person_path,
            PERSON_DEACTIVATE: self.person_path + "deactivate/",
            INVOICE: self.invoice_path,
            **self.job_paths[role],
        }
        return [
            (known.get(path, path), statuses[column]) for path, *statuses in PAGES if api_docs or path not in API_DOCS
        ]


def demo_like_cast():
    """A team like the demo's: a manager with six reports (one with a very long name, so the month
    calendar is wide and tall), HR, a month of time entries with a running timer for the employee,
    leave approved, pending (days and hours) and a company closure's worth of types, a factory
    producing, and for each role an export ready to download and an import waiting to be confirmed.
    Written with the factories, not seed_demo: the demo data changes with the product (tools/screenshots.py
    shows seed_demo's own)."""
    manager = UserFactory(username="manager", first_name="Max", last_name="Mustermann", is_staff=True)
    hr = HRFactory(username="hr", first_name="Hanna", last_name="Richter")
    team = [
        UserFactory(username=username, first_name=first, last_name=last, manager=manager)
        for username, first, last in TEAM
    ]
    employee = team[0]
    vacation = LeaveTypeFactory()
    sick = SickLeaveTypeFactory()
    overtime = HourlyLeaveTypeFactory(color="#8e24aa")
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    for person in [*team, manager]:
        give_allowance(person, vacation, year=today.year)
        give_allowance(person, overtime, amount="16", year=today.year)
    LeaveRequestFactory(
        user=employee,
        leave_type=vacation,
        start_date=first_of_month + timedelta(days=7),
        end_date=first_of_month + timedelta(days=11),
        amount=Decimal("5"),
        status=LeaveStatus.APPROVED,
        decided_by=manager,
        decided_at=timezone.now(),
        decision_note="Enjoy!",
        reason="Family visit",
    )
    LeaveRequestFactory(
        user=team[1],
        leave_type=vacation,
        start_date=first_of_month + timedelta(days=14),
        end_date=first_of_month + timedelta(days=16),
        amount=Decimal("3"),
        reason="Brother's wedding in a town with a long name",
    )
    LeaveRequestFactory(
        user=team[2],
        leave_type=overtime,
        start_date=first_of_month + timedelta(days=3),
        end_date=first_of_month + timedelta(days=3),
        amount=Decimal("4"),
        reason="Afternoon off from overtime",
    )
    LeaveRequestFactory(
        user=team[3],
        leave_type=sick,
        start_date=first_of_month + timedelta(days=1),
        end_date=first_of_month + timedelta(days=2),
        amount=Decimal("2"),
        status=LeaveStatus.APPROVED,
        decided_at=timezone.now(),
    )

    client = ClientFactory(name="Example Corporation International")
    projects = [
        ProjectFactory(client=client, name=LONG_PROJECT, code="WEB"),
        ProjectFactory(client=client, name="Internal", code="INT", billable=False),
    ]
    tasks = [TaskFactory(project=projects[0], name="Frontend"), TaskFactory(project=projects[1], name="Meetings")]
    # Budgets: a money one per month, an hours one in total (the projects page's and HR's dashboard's bars).
    Budget.objects.create(
        project=projects[0], hours=Decimal("120"), amount=Decimal("15000"), currency="EUR", period="month"
    )
    Budget.objects.create(project=projects[1], hours=Decimal("40"), currency="EUR", refuse_when_exceeded=False)
    now = timezone.now()
    for person in [employee, team[1], manager]:
        for days_ago in range(1, 15):
            start = (now - timedelta(days=days_ago)).replace(hour=7, minute=30, second=0, microsecond=0)
            if start.isoweekday() > 5:
                continue
            for project, task, hours in ((projects[0], tasks[0], 5), (projects[1], tasks[1], 3)):
                TimeEntryFactory(
                    user=person,
                    project=project,
                    task=task,
                    started_at=start,
                    ended_at=start + timedelta(hours=hours),
                    description=f"{task.name} work on {project.name}",
                )
                start += timedelta(hours=hours, minutes=30)
    TimeEntryFactory(
        user=employee,
        project=projects[0],
        task=tasks[0],
        started_at=now - timedelta(minutes=40),
        ended_at=None,
        description="Accessibility fixes for the checkout form",
    )

    factory = FactoryFactory(
        name="Munich Sprocket Works", location=LocationFactory(city="Munich"), sprocket_production_goal=280
    )
    sprocket_type = SprocketTypeFactory(name="Roller sprocket 24T")
    for minutes in range(5, 65, 5):
        SprocketFactory(
            factory=factory,
            sprocket_type=sprocket_type,
            produced_at=now - timedelta(minutes=minutes),
            serial_number=f"MUC-{minutes:07d}",
        )
    users = {person.username: person for person in [*team, manager, hr]}
    job_paths = {}
    for role in ROLES:
        export = ExportJobFactory(
            requested_by=users[role],
            status=JobStatus.DONE,
            total_rows=120,
            processed_rows=120,
            finished_at=now,
            file=ContentFile(b"Date,Hours\n", name="time-entries.csv"),
        )
        imported = ImportJobFactory(
            requested_by=users[role],
            file=ContentFile(IMPORT_CSV.encode(), name="entries.csv"),
            file_name="entries.csv",
            create_missing=True,
        )
        job_paths[role] = {
            EXPORT_JOB: reverse("reports:export-job", args=[export.pk]),
            IMPORT_JOB: reverse("reports:import-job", args=[imported.pk]),
        }
    # A draft invoice of the long-named client: a time line and a fixed one (models, as a fixture).
    invoice = Invoice.objects.create(
        client=ClientFactory(name="Example Corporation International Holding"),
        period_from=first_of_month,
        period_to=today,
        currency="EUR",
        tax_rate=Decimal("19"),
        net=Decimal("1335.00"),
        tax=Decimal("253.65"),
        gross=Decimal("1588.65"),
        created_by=hr,
    )
    InvoiceLine.objects.create(
        invoice=invoice, position=1, kind="time", description=LONG_PROJECT, quantity=Decimal("14.5"),
        unit_price=Decimal("90"), amount=Decimal("1305.00"), tracked_seconds=52000, billed_seconds=52200,
    )  # fmt: skip
    InvoiceLine.objects.create(
        invoice=invoice, position=2, description="Hosting", quantity=Decimal("1"), unit_price=Decimal("30"),
        amount=Decimal("30.00"),
    )  # fmt: skip
    return Cast(
        users=users,
        factory_path=factory.get_absolute_url(),
        job_paths=job_paths,
        person_path=reverse("accounts:person", args=[employee.pk]),
        invoice_path=reverse("invoices:detail", args=[invoice.pk]),
    )


def settle(page):
    """The page and what it loads next (htmx panels, the API schema, charts) are done."""
    page.wait_for_load_state("networkidle")
