from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import User
from bench import report, runner
from bench.generator import GeneratorError, find_dataset
from bench.models import Dataset
from bench.scenarios import BY_KEY
from bench.tests.factories import DATA_END, TINY, generate
from leave.models import EntryKind, LeaveRequest, LeaveStatus, LedgerEntry
from sprockets.models import Factory, Sprocket
from timetracking.models import Project, Tag, Task, TimeEntry

pytestmark = pytest.mark.django_db


def test_generates_the_counts_of_its_scale():
    dataset = generate()

    assert User.objects.filter(username__startswith="bench").count() == TINY.users
    assert Project.objects.count() == TINY.projects
    assert Task.objects.count() == TINY.projects * 5
    assert Tag.objects.count() == TINY.tags
    assert TimeEntry.objects.count() == TINY.entries
    assert LeaveRequest.objects.count() == TINY.leave_requests
    assert Factory.objects.count() == TINY.factories
    assert Sprocket.objects.count() == TINY.sprockets
    assert dataset.finished_at is not None
    assert find_dataset(TINY) == dataset


def test_teams_have_managers_and_hr_sees_everyone():
    generate()

    users = User.objects.filter(username__startswith="bench")
    hr = users.order_by("pk").first()
    assert hr.is_hr
    managers = users.filter(manager=hr)
    assert managers.count() == 1
    assert users.filter(manager__in=managers).count() == TINY.users - 2


def test_entries_never_overlap_and_fall_on_local_workdays():
    generate()

    previous = {}
    users = {user.pk: user for user in User.objects.all()}
    for entry in TimeEntry.objects.order_by("user_id", "started_at"):
        assert entry.ended_at > entry.started_at
        assert entry.ended_at - entry.started_at <= timedelta(hours=16)
        if entry.user_id in previous:
            assert entry.started_at >= previous[entry.user_id], f"overlap for user {entry.user_id}"
        previous[entry.user_id] = entry.ended_at
        local_day = entry.started_at.astimezone(users[entry.user_id].tzinfo).date()
        assert local_day.isoweekday() <= 5
        assert local_day <= DATA_END


def test_entries_skip_approved_leave():
    generate()

    for request in LeaveRequest.objects.filter(status=LeaveStatus.APPROVED).select_related("user")[:20]:
        tzinfo = request.user.tzinfo
        for entry in TimeEntry.objects.filter(user=request.user):
            assert not request.start_date <= entry.started_at.astimezone(tzinfo).date() <= request.end_date


def test_leave_requests_have_ledgers_and_factories_their_totals():
    generate()

    approved_vacation = LeaveRequest.objects.filter(status=LeaveStatus.APPROVED, leave_type__code="vacation")
    usage = LedgerEntry.objects.filter(kind=EntryKind.USAGE)
    assert usage.count() == approved_vacation.count() > 0
    for entry in usage.select_related("request"):
        assert entry.amount == -entry.request.amount
    assert LedgerEntry.objects.filter(kind=EntryKind.INITIAL).count() == TINY.users  # 60 days, all in 2026
    for factory in Factory.objects.annotate(made=Count("sprockets")):
        assert factory.sprocket_production_actual == factory.made


def test_the_command_reuses_a_finished_data_set():
    options = TINY.as_dict()
    first, second = StringIO(), StringIO()

    call_command("bench_generate", stdout=first, **options)
    call_command("bench_generate", stdout=second, **options)

    assert "Generated" in first.getvalue()
    assert "Reusing" in second.getvalue()
    assert Dataset.objects.count() == 1
    assert TimeEntry.objects.count() == TINY.entries


def test_a_second_data_set_with_the_same_names_is_refused():
    generate()

    with pytest.raises(GeneratorError, match="already has bench"):
        generate()
    assert TimeEntry.objects.count() == TINY.entries


def test_make_bench_refuses_sqlite(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///db.sqlite3")

    assert runner.main([]) == 2
    assert "PostgreSQL only" in capsys.readouterr().err


def test_targets_are_ratios_to_the_plain_view_the_authenticated_no_op_and_the_database():
    results = {
        "p": {"rps": 1000.0, "p50_ms": 2.0, "p95_ms": 3.0, "p99_ms": 4.0},
        "r": {"rps": 500.0, "p50_ms": 4.0, "p95_ms": 5.0, "p99_ms": 6.0},
        "a": {"rps": 300.0, "p50_ms": 5.0, "p95_ms": 6.0, "p99_ms": 7.0},
        "b": {"rps": 249.0, "p50_ms": 11.0, "p95_ms": 12.0, "p99_ms": 13.0},
        "c": {"rps": 100.0, "p50_ms": 12.0, "p95_ms": 16.0, "p99_ms": 20.0},
        "d": {"rps": 100.0, "p50_ms": 12.1, "p95_ms": 16.0, "p99_ms": 20.0},
        "h": {"rps": 50.0, "p50_ms": 20.0, "p95_ms": 22.0, "p99_ms": 30.0, "db_ms": 15.0},
        "j": {"rps": 150.0, "p50_ms": 9.0, "p95_ms": 10.0, "p99_ms": 11.0, "queries": [9]},
    }

    report.evaluate(results)

    assert results["r"]["target_met"] is False  # 500 < 0.6 * 1000
    assert results["a"]["target_met"] is False  # 300 < 0.5 * 1000
    assert results["b"]["target_met"] is False  # 249 < 0.25 * 1000
    assert results["c"]["target_met"] is True  # 12 <= 3 * 4
    assert results["d"]["target_met"] is False  # 12.1 > 3 * 4
    assert results["h"]["target_met"] is True  # 20 <= 1.5 * 15
    assert results["j"]["target"] == "OK req/s >= 0.15x (p) (0.15); MISS SQL <= 8 (9)"
    assert results["j"]["target_met"] is False
    assert results["h"]["endpoint_to_db"] == pytest.approx(20 / 15)
    assert results["b"]["rps_ratio_to_plain"] == pytest.approx(0.249)
    assert results["b"]["rps_ratio_to_floor"] == pytest.approx(0.83)
    assert "x plain" in report.format_table(results, [BY_KEY[key] for key in results])


def test_a_goal_without_its_reference_row_is_not_judged():
    results = {"a": {"rps": 300.0, "p50_ms": 5.0, "p95_ms": 6.0, "p99_ms": 7.0}}

    report.evaluate(results)

    assert results["a"]["target_met"] is None
    assert results["a"]["target"] == "- req/s >= 0.5x (p)"


@pytest.mark.postgresql
def test_indexes_and_constraints_are_rebuilt_after_the_copy():
    from django.db import connection

    def definitions():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN "
                "('timetracking_timeentry'::regclass, 'sprockets_sprocket'::regclass) ORDER BY 1"
            )
            indexes = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                "'timetracking_timeentry'::regclass ORDER BY 1"
            )
            return indexes, cursor.fetchall()

    before = definitions()
    generate()

    assert definitions() == before
    assert "timeentry_no_overlap" in [name for name, _definition in before[1]]


def test_of_several_rounds_the_best_throughput_and_the_lowest_latencies_count():
    rounds = [
        {"rps": 100.0, "p50_ms": 3.0, "p95_ms": 5.0, "p99_ms": 9.0, "errors": 0},
        {"rps": 140.0, "p50_ms": 4.0, "p95_ms": 6.0, "p99_ms": 8.0, "errors": 0},
        {"rps": 0.0, "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "errors": 1},  # a failed round
    ]

    best = runner.best_round(rounds)

    assert (best["rps"], best["p50_ms"], best["p95_ms"], best["p99_ms"]) == (140.0, 3.0, 5.0, 9.0)
    assert best["errors"] == 1  # still reported
    assert best["rounds"] == 3
