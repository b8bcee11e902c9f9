"""The leave part of the benchmark data: leave types, allowances, requests and the ledger."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import holidays

from bench.errors import GeneratorError
from bench.writer import next_free_id
from leave.models import AccrualMethod, AllowancePolicy, EntryKind, LeaveRequest, LeaveStatus, LeaveType, LedgerEntry

VACATION_DAYS_PER_YEAR = Decimal("30")


class LeaveMixin:
    """Generator's `_leave`: reads the users, teams, random generator and writer that Generator set
    up, and leaves `holidays` and `leave_days` behind for the time entries (no one logs time on a
    day off)."""

    def _leave(self):
        scale = self.scale
        self.vacation, _created = LeaveType.objects.get_or_create(
            code="vacation", defaults={"name": "Vacation", "color": "#1e88e5"}
        )
        AllowancePolicy.objects.get_or_create(
            leave_type=self.vacation,
            defaults={"yearly_amount": VACATION_DAYS_PER_YEAR, "accrual": AccrualMethod.YEARLY},
        )
        self.sick, _created = LeaveType.objects.get_or_create(
            code="sick",
            defaults={"name": "Sick leave", "color": "#e53935", "deducts_allowance": False, "requires_approval": False},
        )
        years = range(self.data_start.year, self.data_end.year + 1)
        self.holidays = {}
        for _uid, _team, _zone, country, subdivision in self.users:
            key = (country, subdivision)
            if key not in self.holidays:
                self.holidays[key] = set(holidays.country_holidays(country, subdiv=subdivision or None, years=years))
        request_id, ledger_id = next_free_id(LeaveRequest), next_free_id(LedgerEntry)
        per_user = [scale.leave_requests // scale.users] * scale.users
        for index in range(scale.leave_requests % scale.users):
            per_user[index] += 1
        self.leave_days = {}  # user id -> set of dates off
        requests, ledger = [], []
        for (user_id, team, _zone, country, subdivision), count in zip(self.users, per_user, strict=True):
            manager_id = self.manager_ids[team] if team is not None else None
            off = self.leave_days.setdefault(user_id, set())
            for year in years:
                allowance = (VACATION_DAYS_PER_YEAR, None, f"Bench allowance {year}", self.now)
                ledger.append(
                    (ledger_id + len(ledger), user_id, self.vacation.pk, year, EntryKind.INITIAL, 0, *allowance)
                )
            if not count:
                continue
            slot = scale.days // count
            if slot < 2:
                raise GeneratorError("Too many leave requests for the number of days.")
            closed = self.holidays[(country, subdivision)]
            for number in range(count):
                first = self.data_start + timedelta(days=number * slot + self.random.randrange(max(1, slot - 7)))
                while first.isoweekday() > 5 or first in closed:
                    first += timedelta(days=1)
                length = self.random.choice((1, 1, 2, 3, 5))
                last = first + timedelta(days=length - 1)
                limit = self.data_start + timedelta(days=(number + 1) * slot - 1)
                last = min(last, limit)
                days = [
                    first + timedelta(days=n)
                    for n in range((last - first).days + 1)
                    if (first + timedelta(days=n)).isoweekday() <= 5 and (first + timedelta(days=n)) not in closed
                ]
                amount = Decimal(len(days))
                sick = self.random.random() < 0.3
                roll = self.random.random()
                status = (
                    LeaveStatus.APPROVED
                    if sick or roll < 0.8
                    else LeaveStatus.REJECTED
                    if roll < 0.9
                    else LeaveStatus.CANCELLED
                )
                rid = request_id + len(requests)
                decided = datetime.combine(first - timedelta(days=7), time(9), tzinfo=UTC)
                requests.append(
                    (
                        rid,
                        user_id,
                        (self.sick if sick else self.vacation).pk,
                        first,
                        last,
                        "full",
                        "full",
                        amount,
                        "Bench",
                        status,
                        manager_id if status != LeaveStatus.CANCELLED and not sick else None,
                        decided if status != LeaveStatus.CANCELLED else None,
                        "",
                        "",
                        "",
                        decided - timedelta(days=7),
                        decided,
                    )
                )
                if status == LeaveStatus.APPROVED:
                    off.update(days)
                    if not sick:
                        usage = (EntryKind.USAGE, 0, -amount, rid, "", decided)
                        ledger.append((ledger_id + len(ledger), user_id, self.vacation.pk, first.year, *usage))
        request_columns = [
            "id",
            "user_id",
            "leave_type_id",
            "start_date",
            "end_date",
            "start_part",
            "end_part",
            "amount",
            "reason",
            "status",
            "decided_by_id",
            "decided_at",
            "decision_note",
            "attachment",
            "attachment_name",
            "created_at",
            "updated_at",
        ]
        self.writer.write(LeaveRequest, request_columns, requests, "leave requests")
        ledger_columns = ["id", "user_id", "leave_type_id", "year", "kind", "period", "amount", "request_id"]
        self.writer.write(
            LedgerEntry, [*ledger_columns, "reason", "created_at"], ledger, "leave ledger entries"
        )  # fmt: skip
