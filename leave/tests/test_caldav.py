"""CalDAV push against a real Radicale server on 127.0.0.1 (started by these tests), read back with
the `caldav` client: approved leave appears, cancelled leave goes, retries and outages neither lose
nor duplicate an event, calendars are routed per team or per person, and bad configuration and
credentials are handled."""

import base64
import logging
import socket
import subprocess
import sys
import time
from datetime import date

import caldav
import pytest
from caldav.lib import error

from leave import services
from leave.models import CalDAVPush, CalDAVTarget, LeaveStatus
from leave.services.caldav import caldav_sweep, caldav_target_resync
from leave.tasks import caldav_deliver
from leave.tests.factories import LeaveTypeFactory

USERNAME = "sync"
PASSWORD = "radicale-Secret-7731"
MONDAY = date(2027, 3, 1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Radicale:
    """A Radicale process on 127.0.0.1 with its storage in a temporary folder and one account
    (htpasswd, plain), which a test may stop and start again on the same port and storage."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        users = folder / "users"
        users.write_text(f"{USERNAME}:{PASSWORD}\n")
        self.command = [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{self.port}",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(users),
            "--auth-htpasswd-encryption",
            "plain",
            "--auth-delay",
            "0",  # no pause after the client's first, unauthenticated request
            "--rights-type",
            "authenticated",
            "--logging-level",
            "error",
        ]
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _attempt in range(300):  # polls the port: up ~15 s, answered usually within 1 s
            if self.process.poll() is not None:
                raise RuntimeError(f"Radicale exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("Radicale did not answer on its port")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def client(self, password=PASSWORD):
        return caldav.DAVClient(
            url=self.url + "/", username=USERNAME, password=password, enable_rfc6764=False, timeout=5
        )

    def events(self, path):
        """The events of the calendar at `path` (under the server's root), as icalendar VEVENTs."""
        client = self.client()
        calendar = client.calendar(url=f"{self.url}/{path.strip('/')}/")
        try:
            return [item.icalendar_component for item in calendar.events()]
        except error.NotFoundError:
            return []


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    server = Radicale(tmp_path_factory.mktemp("radicale"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def radicale_up(radicale):
    if radicale.process is None:
        radicale.start()
    return radicale


_calendar_names = iter(range(10**6))


@pytest.fixture
def calendar_path(db):
    """A calendar of its own for each test: the server lives for the whole module."""
    return f"{USERNAME}/leave-{next(_calendar_names)}-{time.monotonic_ns()}"


def make_target(radicale, path, mode=CalDAVTarget.Mode.COMPANY, **fields):
    fields = {
        "name": "Company leave",
        "url": f"{radicale.url}/{path}/",
        "username": USERNAME,
        "password": PASSWORD,
    } | fields
    return CalDAVTarget.objects.create(mode=mode, **fields)


@pytest.fixture
def day_off(db):
    """A type that books no allowance: these tests are about calendars, not balances."""
    return LeaveTypeFactory(name="Day off", code="day_off", deducts_allowance=False)


def submit(user, leave_type, start=MONDAY, end=None, **parts):
    return services.leave_request_submit(
        user=user, leave_type=leave_type, start_date=start, end_date=end or start, **parts
    )


def approve(leave_request, actor, capture):
    with capture(execute=True):
        return services.leave_request_approve(leave_request_id=leave_request.pk, actor=actor)


def test_approving_creates_an_all_day_event(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks
):
    make_target(radicale_up, calendar_path)
    leave_request = submit(employee, day_off, MONDAY, date(2027, 3, 3))
    assert radicale_up.events(calendar_path) == []  # pending leave is not pushed

    approve(leave_request, manager, django_capture_on_commit_callbacks)

    [event] = radicale_up.events(calendar_path)
    assert str(event["uid"]) == f"leave-request-{leave_request.pk}@timetrack"
    assert str(event["summary"]) == f"{employee}: Away"  # a shared calendar does not tell the kind
    assert event.decoded("dtstart") == MONDAY  # a date: all day
    assert event.decoded("dtend") == date(2027, 3, 4)  # exclusive
    push = CalDAVPush.objects.get()
    assert (push.action, push.status, push.attempts) == ("put", "done", 1)


def test_half_days_are_said_in_the_summary_and_description(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks
):
    make_target(radicale_up, calendar_path, show_leave_type=True)
    morning = submit(employee, day_off, MONDAY, MONDAY, end_part="morning")
    approve(morning, manager, django_capture_on_commit_callbacks)
    longer = submit(employee, day_off, date(2027, 3, 3), date(2027, 3, 5), start_part="afternoon", end_part="morning")
    approve(longer, manager, django_capture_on_commit_callbacks)

    events = {str(event["uid"]): event for event in radicale_up.events(calendar_path)}
    first = events[f"leave-request-{morning.pk}@timetrack"]
    assert str(first["summary"]) == f"{employee}: Day off (morning)"
    assert first.decoded("dtstart") == MONDAY and first.decoded("dtend") == date(2027, 3, 2)
    second = events[f"leave-request-{longer.pk}@timetrack"]
    assert str(second["summary"]) == f"{employee}: Day off"
    assert "afternoon of Wed 03 Mar 2027" in str(second["description"])
    assert "noon on Fri 05 Mar 2027" in str(second["description"])


def test_cancelling_deletes_the_event(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks
):
    make_target(radicale_up, calendar_path)
    leave_request = submit(employee, day_off)
    approve(leave_request, manager, django_capture_on_commit_callbacks)
    assert len(radicale_up.events(calendar_path)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.leave_request_cancel(leave_request_id=leave_request.pk, actor=employee)

    assert radicale_up.events(calendar_path) == []
    assert list(CalDAVPush.objects.order_by("id").values_list("action", "status")) == [
        ("put", "done"),
        ("delete", "done"),
    ]


def test_rejected_or_withdrawn_pending_leave_pushes_nothing(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks
):
    make_target(radicale_up, calendar_path)
    rejected = submit(employee, day_off)
    withdrawn = submit(employee, day_off, date(2027, 3, 8))
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_request_reject(leave_request_id=rejected.pk, actor=manager, note="Busy week")
        services.leave_request_cancel(leave_request_id=withdrawn.pk, actor=employee)
    assert not CalDAVPush.objects.exists()
    assert radicale_up.events(calendar_path) == []


def test_a_retried_delivery_does_not_duplicate(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks
):
    target = make_target(radicale_up, calendar_path)
    leave_request = submit(employee, day_off)
    approve(leave_request, manager, django_capture_on_commit_callbacks)
    push = CalDAVPush.objects.get()

    # The task run twice (a redelivered message): the second does nothing.
    assert caldav_deliver.apply(args=[push.pk]).get() is True
    push.refresh_from_db()
    assert push.attempts == 1
    # The same push sent again after all (a worker died after the PUT, before marking it done):
    # the same UID at the same URL is an update, not a second event.
    CalDAVPush.objects.filter(pk=push.pk).update(status=CalDAVPush.Status.PENDING)
    assert caldav_deliver.apply(args=[push.pk]).get() is True
    # And a resync of the calendar pushes it once more, still one event.
    with django_capture_on_commit_callbacks(execute=True):
        assert caldav_target_resync(target=target) == 1

    events = radicale_up.events(calendar_path)
    assert [str(event["uid"]) for event in events] == [f"leave-request-{leave_request.pk}@timetrack"]


def test_deleting_an_event_that_is_gone_is_done(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks
):
    make_target(radicale_up, calendar_path)
    leave_request = submit(employee, day_off)
    approve(leave_request, manager, django_capture_on_commit_callbacks)
    [event] = radicale_up.client().calendar(url=f"{radicale_up.url}/{calendar_path}/").events()
    event.delete()  # someone removed it in their calendar app
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_request_cancel(leave_request_id=leave_request.pk, actor=employee)
    assert CalDAVPush.objects.latest("id").status == CalDAVPush.Status.DONE


def test_a_server_outage_leaves_the_push_pending_and_a_later_delivery_succeeds(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks, caplog
):
    make_target(radicale_up, calendar_path)
    leave_request = submit(employee, day_off)
    radicale_up.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="leave.services.caldav"):
            approve(leave_request, manager, django_capture_on_commit_callbacks)  # no 500: the leave is approved
        leave_request.refresh_from_db()
        assert leave_request.status == LeaveStatus.APPROVED
        push = CalDAVPush.objects.get()
        assert push.status == CalDAVPush.Status.PENDING
        assert push.attempts == 1 and "ConnectionError" in push.last_error
        assert push.next_attempt_at > push.created_at  # backed off
        assert "not delivered" in caplog.text
        assert caldav_sweep() == 0  # not due yet
    finally:
        radicale_up.start()

    CalDAVPush.objects.filter(pk=push.pk).update(next_attempt_at=push.created_at)  # the back-off has passed
    assert caldav_sweep() == 1
    push.refresh_from_db()
    assert (push.status, push.attempts, push.last_error) == (CalDAVPush.Status.DONE, 2, "")
    assert len(radicale_up.events(calendar_path)) == 1


def test_a_cancellation_while_the_put_is_pending_supersedes_it(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks
):
    make_target(radicale_up, calendar_path)
    leave_request = submit(employee, day_off)
    with django_capture_on_commit_callbacks(execute=False):  # the broker lost the message
        services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_request_cancel(leave_request_id=leave_request.pk, actor=employee)
    put = CalDAVPush.objects.get(action="put")
    assert put.status == CalDAVPush.Status.SUPERSEDED
    assert caldav_deliver.apply(args=[put.pk]).get() is True  # a late run of the lost task sends nothing
    assert radicale_up.events(calendar_path) == []


def test_a_rolled_back_approval_pushes_nothing(radicale_up, calendar_path, employee, manager, day_off):
    make_target(radicale_up, calendar_path)
    leave_request = submit(employee, day_off)
    with pytest.raises(services.LeaveConflict):
        # The second approval fails inside its transaction: no push row survives it.
        services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager)
        services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager)
    assert CalDAVPush.objects.count() == 1  # the first approval's only


def test_per_team_calendars_follow_the_manager(
    radicale_up,
    calendar_path,
    employee,
    colleague,
    outsider,
    manager,
    other_manager,
    hr,
    day_off,
    django_capture_on_commit_callbacks,
):
    CalDAVTarget.objects.create(
        name="Team leave",
        mode=CalDAVTarget.Mode.TEAM,
        url=f"{radicale_up.url}/{calendar_path}-{{team}}/",
        username=USERNAME,
        password=PASSWORD,
    )
    for user, start in ((employee, MONDAY), (colleague, date(2027, 3, 2)), (outsider, date(2027, 3, 3))):
        approve(
            submit(user, day_off, start),
            other_manager if user == outsider else manager,
            django_capture_on_commit_callbacks,
        )
    approve(submit(manager, day_off, date(2027, 3, 4)), hr, django_capture_on_commit_callbacks)

    team = {str(event["summary"]) for event in radicale_up.events(f"{calendar_path}-manager")}
    assert team == {f"{employee}: Away", f"{colleague}: Away", f"{manager}: Away"}  # the lead is in their own team
    other = [str(event["summary"]) for event in radicale_up.events(f"{calendar_path}-other_manager")]
    assert other == [f"{outsider}: Away"]


def test_per_person_calendars_show_the_leave_type(
    radicale_up, calendar_path, employee, colleague, manager, day_off, django_capture_on_commit_callbacks
):
    CalDAVTarget.objects.create(  # no trailing slash: one is added
        name="My leave",
        mode=CalDAVTarget.Mode.USER,
        url=f"{radicale_up.url}/{calendar_path}-{{user}}",
        username=USERNAME,
        password=PASSWORD,
    )
    approve(submit(employee, day_off), manager, django_capture_on_commit_callbacks)
    approve(submit(colleague, day_off, date(2027, 3, 2)), manager, django_capture_on_commit_callbacks)

    assert [str(event["summary"]) for event in radicale_up.events(f"{calendar_path}-employee")] == ["Day off"]
    assert [str(event["summary"]) for event in radicale_up.events(f"{calendar_path}-colleague")] == ["Day off"]


def test_a_new_manager_moves_the_event_at_the_next_push(
    radicale_up, calendar_path, employee, manager, other_manager, day_off, django_capture_on_commit_callbacks
):
    target = CalDAVTarget.objects.create(
        name="Team leave",
        mode=CalDAVTarget.Mode.TEAM,
        url=f"{radicale_up.url}/{calendar_path}-{{team}}/",
        username=USERNAME,
        password=PASSWORD,
    )
    approve(submit(employee, day_off), manager, django_capture_on_commit_callbacks)
    employee.manager = other_manager
    employee.save(update_fields=["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        caldav_target_resync(target=target)
    assert radicale_up.events(f"{calendar_path}-manager") == []
    assert len(radicale_up.events(f"{calendar_path}-other_manager")) == 1


def test_wrong_credentials_leave_the_push_pending_and_are_never_logged(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks, caplog
):
    make_target(radicale_up, calendar_path, password="not-the-Password-4410")
    with caplog.at_level(logging.DEBUG):
        approve(submit(employee, day_off), manager, django_capture_on_commit_callbacks)
    push = CalDAVPush.objects.get()
    assert push.status == CalDAVPush.Status.PENDING and "AuthorizationError" in push.last_error
    assert "not-the-Password-4410" not in caplog.text
    assert "not-the-Password-4410" not in push.last_error
    assert radicale_up.events(calendar_path) == []

    # HR corrects the password; the next delivery succeeds, and logs no credentials either.
    CalDAVTarget.objects.update(password=PASSWORD)
    CalDAVPush.objects.update(next_attempt_at=push.created_at)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        assert caldav_sweep() == 1
    assert CalDAVPush.objects.get().status == CalDAVPush.Status.DONE
    assert PASSWORD not in caplog.text
    assert base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode() not in caplog.text  # nor the header
    assert len(radicale_up.events(calendar_path)) == 1


def test_a_disabled_calendar_gets_nothing(
    radicale_up, calendar_path, employee, manager, day_off, django_capture_on_commit_callbacks
):
    target = make_target(radicale_up, calendar_path, is_enabled=False)
    approve(submit(employee, day_off), manager, django_capture_on_commit_callbacks)
    assert not CalDAVPush.objects.exists()
    with pytest.raises(services.LeaveError):
        caldav_target_resync(target=target)


# --- Configuration in the admin ------------------------------------------------------------------


def admin_form(**overrides):
    data = {
        "name": "Company leave",
        "mode": "company",
        "url": "https://dav.example.com/leave/",
        "username": "sync",
        "password": "form-Secret-9912",
        "show_leave_type": "",
        "is_enabled": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "ftp://dav.example.com/leave/"}, "must start with http:// or https://"),
        ({"url": "dav.example.com/leave/"}, "must start with http:// or https://"),
        ({"url": "javascript:alert(1)"}, "must start with http:// or https://"),
        ({"url": "https://sync:pw@dav.example.com/leave/"}, "not in the URL"),
        ({"url": "https://dav.example.com/{user}/"}, "without placeholders"),
        ({"mode": "team", "url": "https://dav.example.com/leave/"}, "needs {team}"),
        ({"mode": "user", "url": "https://dav.example.com/{team}/"}, "needs {user}"),
        ({"mode": "user", "url": "https://dav.example.com/{user/"}, "Unbalanced braces"),
        ({"mode": "weekly"}, "Select a valid choice"),
    ],
)
def test_bad_configuration_is_refused_at_the_field(admin_client, overrides, message):
    response = admin_client.post("/admin/leave/caldavtarget/add/", admin_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CalDAVTarget.objects.exists()


def test_hr_configures_a_calendar_and_never_sees_the_password_again(client, hr):
    client.force_login(hr)
    response = client.post(
        "/admin/leave/caldavtarget/add/", admin_form(mode="user", url="https://dav.example.com/{user}/")
    )
    assert response.status_code == 302
    target = CalDAVTarget.objects.get()
    assert target.password == "form-Secret-9912"  # stored as given: the server needs it

    for page in ("/admin/leave/caldavtarget/", f"/admin/leave/caldavtarget/{target.pk}/change/"):
        body = client.get(page).content.decode()
        assert "form-Secret-9912" not in body

    # Saving without typing it keeps it; "clear" removes it.
    form = admin_form(mode="user", url="https://dav.example.com/{user}/", password="", name="Renamed")
    assert client.post(f"/admin/leave/caldavtarget/{target.pk}/change/", form).status_code == 302
    target.refresh_from_db()
    assert (target.name, target.password) == ("Renamed", "form-Secret-9912")
    form["clear_password"] = "on"
    client.post(f"/admin/leave/caldavtarget/{target.pk}/change/", form)
    target.refresh_from_db()
    assert target.password == ""


def test_only_hr_manages_calendars(client, manager, employee):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    target = CalDAVTarget.objects.create(name="Company", url="https://dav.example.com/leave/", password="x-Secret-1")
    for user in (manager, employee):
        client.force_login(user)
        for page in ("/admin/leave/caldavtarget/", f"/admin/leave/caldavtarget/{target.pk}/change/"):
            assert client.get(page).status_code in (302, 403, 404)
        assert client.post("/admin/leave/caldavtarget/add/", admin_form()).status_code in (302, 403)
    assert CalDAVTarget.objects.count() == 1


def test_credentials_never_appear_in_api_answers(client_for, employee, manager, day_off, db):
    CalDAVTarget.objects.create(
        name="Company", url="http://127.0.0.1:9/leave/", username="sync-user-x", password="api-Secret-5521"
    )
    leave_request = submit(employee, day_off)
    bodies = [
        client_for(manager).post(f"/api/v1/leave-requests/{leave_request.pk}/approve/", {}, format="json"),
        client_for(employee).get("/api/v1/leave-requests/"),
        client_for(employee).get(f"/api/v1/leave-requests/{leave_request.pk}/"),
        client_for(manager).get("/api/v1/leave-calendar/?month=2027-03"),
    ]
    for response in bodies:
        assert response.status_code == 200, response.content
        assert b"api-Secret-5521" not in response.content
        assert b"sync-user-x" not in response.content


def test_a_type_without_approval_is_pushed_at_submission(
    radicale_up, calendar_path, employee, django_capture_on_commit_callbacks
):
    make_target(radicale_up, calendar_path)
    sick = LeaveTypeFactory(name="Sick leave", code="sick", deducts_allowance=False, requires_approval=False)
    with django_capture_on_commit_callbacks(execute=True):
        leave_request = submit(employee, sick)
    assert leave_request.status == LeaveStatus.APPROVED
    assert [str(event["summary"]) for event in radicale_up.events(calendar_path)] == [f"{employee}: Away"]


def test_outside_eager_mode_a_failed_push_is_retried_with_backoff(monkeypatch, employee, manager, day_off):
    """With a broker the task asks Celery to retry later (30 s, then doubling); here the retry
    request itself is what we check: the task raises Retry with its countdown."""
    from celery.exceptions import Retry

    CalDAVTarget.objects.create(name="Down", url=f"http://127.0.0.1:{free_port()}/leave/")
    leave_request = submit(employee, day_off)
    services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager)  # on-commit not run
    push = CalDAVPush.objects.get()
    asked = {}

    def retry(**kwargs):
        asked.update(kwargs)
        raise Retry()

    monkeypatch.setattr(caldav_deliver, "retry", retry)
    caldav_deliver.push_request(retries=2, is_eager=False)
    try:
        with pytest.raises(Retry):
            caldav_deliver.run(push.pk)
    finally:
        caldav_deliver.pop_request()
    assert asked == {"countdown": 120}
    push.refresh_from_db()
    assert push.status == CalDAVPush.Status.PENDING and push.attempts == 1


def test_hr_watches_the_push_outbox_read_only(admin_client, employee, manager, day_off, django_assert_max_num_queries):
    CalDAVTarget.objects.create(name="Down", url=f"http://127.0.0.1:{free_port()}/leave/", password="list-Secret-3")
    for start in (MONDAY, date(2027, 3, 2), date(2027, 3, 3)):
        services.leave_request_approve(leave_request_id=submit(employee, day_off, start).pk, actor=manager)
    with django_assert_max_num_queries(12):  # one page of rows, related rows joined: no query per row
        response = admin_client.get("/admin/leave/caldavpush/")
    assert response.status_code == 200 and b"list-Secret-3" not in response.content
    assert response.content.count(b"Create or update") >= 3
    assert admin_client.get("/admin/leave/caldavpush/add/").status_code == 403
