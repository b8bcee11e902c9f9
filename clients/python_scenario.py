"""The everyday scenario of an integration, written only with the Python client that
openapi-python-client generates from /api/v1/schema/ (package `timetrack_client`): no hand-written
HTTP, no casts, no type ignores. Each step's answer is narrowed with `expect` (an isinstance check),
so a schema that declares the wrong body fails here, and `mypy --strict` checks this module against
the generated types (config/tests/test_generated_clients.py does both).

    openapi-python-client generate --url http://127.0.0.1:8000/api/v1/schema/?format=json \\
        --output-path timetrack_client --meta none
    python -m clients.python_scenario http://127.0.0.1:8000 employee manager hr <password>
"""

from __future__ import annotations

import datetime
import sys
import uuid
from dataclasses import dataclass, field
from typing import TypeVar

from timetrack_client import AuthenticatedClient, Client
from timetrack_client.api.api_keys import api_keys_create
from timetrack_client.api.auth import login, logout
from timetrack_client.api.leave_balances import leave_balances_list
from timetrack_client.api.leave_requests import (
    leave_request_approve,
    leave_request_preview,
    leave_requests_create,
)
from timetrack_client.api.leave_types import leave_types_list
from timetrack_client.api.projects import projects_create
from timetrack_client.api.reports import report_export, report_summary
from timetrack_client.api.time_entries import time_entries_create, time_entries_list, time_entries_retrieve
from timetrack_client.api.timer import timer_start, timer_stop
from timetrack_client.api.users import me
from timetrack_client.models import (
    ApiKeyCreated,
    ApiKeyRequest,
    BilledTimeEntryWithWarnings,
    Conflict,
    ConflictCode,
    DecisionRequest,
    DraftRequest,
    Empty,
    LeaveRequest,
    LeaveRequestCreateRequest,
    NotFoundError,
    NotFoundErrorCode,
    PaginatedBilledTimeEntryList,
    PaginatedLeaveTypeList,
    Preview,
    Profile,
    Project,
    ProjectRequest,
    ReportExportFormat,
    Summary,
    TimeEntryCreateRequest,
    TimerStartRequest,
    TimerStopRequest,
    TokenBlacklistRequest,
    TokenObtainPairRequest,
    TokenPair,
)

Wanted = TypeVar("Wanted")


class ScenarioFailed(AssertionError):
    pass


def expect(value: object, kind: type[Wanted]) -> Wanted:
    """`value` as a `kind`, or the scenario fails naming what came instead."""
    if not isinstance(value, kind):
        raise ScenarioFailed(f"expected a {kind.__name__}, got {value!r}")
    return value


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


@dataclass
class Scenario:
    base_url: str
    employee: str
    manager: str
    hr: str
    password: str
    steps: list[str] = field(default_factory=list)

    def step(self, name: str) -> None:
        self.steps.append(name)

    def log_in(self, username: str) -> tuple[AuthenticatedClient, TokenPair]:
        anonymous = Client(base_url=self.base_url, raise_on_unexpected_status=True)
        tokens = expect(
            login.sync(client=anonymous, body=TokenObtainPairRequest(username=username, password=self.password)),
            TokenPair,
        )
        return AuthenticatedClient(base_url=self.base_url, token=tokens.access, raise_on_unexpected_status=True), tokens

    def run(self) -> list[str]:
        api, tokens = self.log_in(self.employee)
        self.step("log in")

        profile = expect(me.sync(client=api), Profile)
        check(profile.username == self.employee, f"me is {profile.username}")
        self.step("me")

        hr_api, _ = self.log_in(self.hr)
        project = expect(
            projects_create.sync(client=hr_api, body=ProjectRequest(name=f"Client work {uuid.uuid4().hex[:6]}")),
            Project,
        )
        self.step("a project (HR)")

        now = datetime.datetime.now(datetime.UTC)
        started = expect(
            timer_start.sync(
                client=api,
                body=TimerStartRequest(project=project.id, started_at=now - datetime.timedelta(minutes=30)),
            ),
            BilledTimeEntryWithWarnings,  # the timer answers with its money too
        )
        check(started.is_running, "the timer runs")
        stopped = expect(timer_stop.sync(client=api, body=TimerStopRequest()), BilledTimeEntryWithWarnings)
        check(not stopped.is_running and stopped.id == started.id, "the timer stopped")
        self.step("timer start/stop")

        yesterday_nine = (now - datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        logged = expect(
            time_entries_create.sync(
                client=api,
                body=TimeEntryCreateRequest(
                    project=project.id, started_at=yesterday_nine, duration="1:30", tags=["client-call"]
                ),
            ),
            BilledTimeEntryWithWarnings,  # with billing's money (rate, amount, cost)
        )
        check(logged.duration_seconds == 5400, f"1:30 is {logged.duration_seconds} s")
        check([tag.name for tag in logged.tags] == ["client-call"], "the tag was created by name")
        self.step("an entry by duration with a tag name")

        first_day, last_day = (
            yesterday_nine.date() - datetime.timedelta(days=1),
            now.date() + datetime.timedelta(days=1),
        )
        seen: list[int] = []
        page = 1
        while True:
            entries = expect(
                time_entries_list.sync(client=api, from_=first_day, to=last_day, page=page, page_size=1),
                PaginatedBilledTimeEntryList,
            )
            seen += [entry.id for entry in entries.results]
            if entries.next_ is None:
                break
            page += 1
        check(sorted(seen) == sorted([started.id, logged.id]), f"paged through {seen}")
        self.step("a list with from/to, paged through")

        summary = expect(report_summary.sync(client=api, from_=first_day, to=last_day, group_by="week"), Summary)
        check(summary.total.seconds == 1800 + 5400, f"the week's total is {summary.total.seconds} s")
        self.step("a weekly summary")

        leave_types = expect(leave_types_list.sync(client=api), PaginatedLeaveTypeList)
        leave_type = leave_types.results[0]
        monday = now.date() + datetime.timedelta(days=21 - now.weekday())
        draft = DraftRequest(leave_type=leave_type.id, start_date=monday, end_date=monday + datetime.timedelta(days=4))
        preview = expect(leave_request_preview.sync(client=api, body=draft), Preview)
        check(float(preview.amount) > 0 and not preview.warnings, f"preview {preview.amount} {preview.warnings}")
        requested = expect(
            leave_requests_create.sync(
                client=api,
                body=LeaveRequestCreateRequest(
                    leave_type=draft.leave_type,
                    start_date=draft.start_date,
                    end_date=draft.end_date,
                    reason="Family trip",
                ),
            ),
            LeaveRequest,
        )
        check(requested.status.value == "pending", f"the request is {requested.status}")
        self.step("a leave preview and request")

        manager_api, _ = self.log_in(self.manager)
        approved = expect(
            leave_request_approve.sync(requested.id, client=manager_api, body=DecisionRequest(note="Enjoy")),
            LeaveRequest,
        )
        check(approved.status.value == "approved", f"the request is {approved.status}")
        self.step("the manager's approval")

        balances = expect(leave_balances_list.sync(client=api, year=monday.year), list)
        used = [balance.used for balance in balances if balance.leave_type == leave_type.id]
        check(used == [preview.amount], f"used {used}, previewed {preview.amount}")
        self.step("balances")

        csv_text = expect(report_export.sync(client=api, from_=first_day, to=last_day), str)
        check(csv_text.count("\n") >= 3 and "client-call" in csv_text, "the CSV has a header and two entries")
        xlsx = report_export.sync_detailed(client=api, from_=first_day, to=last_day, format_=ReportExportFormat.XLSX)
        check(xlsx.content.startswith(b"PK"), "the XLSX is a zip")
        self.step("CSV and XLSX exports")

        missing = expect(time_entries_retrieve.sync(2**62, client=api), NotFoundError)
        check(missing.code == NotFoundErrorCode.NOT_FOUND, f"404 code {missing.code}")
        conflict = expect(timer_stop.sync(client=api, body=TimerStopRequest()), Conflict)
        check(conflict.code == ConflictCode.NO_TIMER, f"409 code {conflict.code}")
        self.step("a 404 and a 409 read as typed errors")

        key = str(uuid.uuid4())
        again = TimeEntryCreateRequest(started_at=yesterday_nine - datetime.timedelta(hours=2), duration="0:45")
        first = time_entries_create.sync_detailed(client=api, body=again, idempotency_key=key)
        replay = time_entries_create.sync_detailed(client=api, body=again, idempotency_key=key)
        check(replay.headers.get("Idempotent-Replayed") == "true", "the retry is a replay")
        first_entry = expect(first.parsed, BilledTimeEntryWithWarnings)
        check(expect(replay.parsed, BilledTimeEntryWithWarnings).id == first_entry.id, "the replay created nothing")
        self.step("an Idempotency-Key replay")

        created_key = expect(api_keys_create.sync(client=api, body=ApiKeyRequest(name="Payroll sync")), ApiKeyCreated)
        script = AuthenticatedClient(base_url=self.base_url, token=created_key.key, prefix="Api-Key")
        check(expect(me.sync(client=script), Profile).username == self.employee, "the API key is the employee")
        self.step("an API key")

        expect(logout.sync(client=api, body=TokenBlacklistRequest(refresh=tokens.refresh)), Empty)
        self.step("log out")
        return self.steps


if __name__ == "__main__":
    base_url, employee, manager, hr, password = sys.argv[1:6]
    for number, name in enumerate(Scenario(base_url, employee, manager, hr, password).run(), start=1):
        print(f"{number:2}. {name}")
