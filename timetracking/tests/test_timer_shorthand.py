"""The timer's services for pages: the shorthand, keep-or-discard, continue, recent combinations."""

from datetime import timedelta

import pytest

from timetracking import services
from timetracking.models import TimeEntry
from timetracking.services.shorthand import timer_shorthand
from timetracking.services.timer import TimerTooShort, timer_continue, timer_discard
from timetracking.tests.factories import ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    website = ProjectFactory(name="Website relaunch", code="WEB")
    TaskFactory(project=website, name="Frontend")
    TaskFactory(project=website, name="Backend")
    TaskFactory(project=website, name="Old", active=False)
    TaskFactory(project=website, name="Design")
    TaskFactory(project=website, name="Deploy")
    ProjectFactory(name="Mobile app", code="MOB")
    return website


@pytest.mark.parametrize(
    ("text", "description", "project", "task", "tags"),
    [
        ("Fix the menu", "Fix the menu", None, None, []),
        ("Fix the menu @websiterelaunch", "Fix the menu", "Website relaunch", None, []),
        ("@web Fix the menu", "Fix the menu", "Website relaunch", None, []),  # a unique prefix
        ("Fix @WEB/front #bug", "Fix", "Website relaunch", "Frontend", ["bug"]),  # the code, any case
        ("#a Fix #b  the   menu #a", "Fix the menu", None, None, ["a", "b"]),
        ("Mail bob@example.com about C#", "Mail bob@example.com about C#", None, None, []),
        ("@mob", "", "Mobile app", None, []),
    ],
)
def test_shorthand(employee, catalog, text, description, project, task, tags):
    parsed = timer_shorthand(user=employee, text=text)
    assert parsed.description == description
    assert (parsed.project.name if parsed.project else None) == project
    assert (parsed.task.name if parsed.task else None) == task
    assert parsed.tags == tags


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("x @nothing", "unknown"),
        ("x @website/nothing", "unknown"),
        ("x @website/old", "unknown"),  # an archived task is not offered
        ("x @websiterelaunch/end", "unknown"),  # a task's name must start with it, not contain it
        ("x @websiterelaunch/de", "ambiguous"),  # Design and Deploy
        ("x @web @mob", "ambiguous"),
    ],
)
def test_bad_shorthand(employee, catalog, text, code):
    with pytest.raises(services.TimeTrackingError) as refused:
        timer_shorthand(user=employee, text=text)
    assert refused.value.field == "description" and refused.value.code == code


def test_shorthand_ignores_projects_one_may_not_log_to(employee, other_manager):
    ProjectFactory(name="Secret", members=[other_manager])
    ProjectFactory(name="Archived", active=False)
    for text in ("x @secret", "x @archived"):
        with pytest.raises(services.TimeTrackingError):
            timer_shorthand(user=employee, text=text)


def test_shorthand_with_two_projects_sharing_a_prefix_wants_more(employee):
    ProjectFactory(name="Web shop")
    ProjectFactory(name="Web site")
    with pytest.raises(services.TimeTrackingError) as refused:
        timer_shorthand(user=employee, text="@web")
    assert refused.value.code == "ambiguous"
    with pytest.raises(services.TimeTrackingError):
        timer_shorthand(user=employee, text="@webs")  # both start "webs"
    assert timer_shorthand(user=employee, text="@websi").project.name == "Web site"


def test_stop_asks_below_the_minimum_only_when_told_to(employee, frozen, settings):
    settings.TIMER_MIN_SECONDS = 60
    services.timer_start(user=employee, description="x")
    frozen.shift(timedelta(seconds=59))
    with pytest.raises(TimerTooShort) as question:
        services.timer_stop(user=employee, keep_short=False)
    assert question.value.code == "timer_too_short" and question.value.seconds == 59
    assert TimeEntry.objects.running().exists()
    # The API's stop (keep_short defaults to True) keeps it, as it always did.
    assert services.timer_stop(user=employee).duration == timedelta(seconds=59)


def test_a_minimum_of_zero_never_asks(employee, frozen, settings):
    settings.TIMER_MIN_SECONDS = 0
    services.timer_start(user=employee)
    frozen.shift(timedelta(seconds=1))
    assert services.timer_stop(user=employee, keep_short=False).duration == timedelta(seconds=1)


def test_discard(employee, frozen):
    services.timer_start(user=employee, description="oops")
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8))
    timer_discard(user=employee)
    assert list(TimeEntry.objects.values_list("description", flat=True)) != ["oops"]
    assert not TimeEntry.objects.running().exists() and TimeEntry.objects.count() == 1
    with pytest.raises(services.TimeTrackingConflict) as refused:
        timer_discard(user=employee)
    assert refused.value.code == "no_timer"


def test_continue_refuses_someone_elses_entry(employee, outsider, frozen):
    with pytest.raises(services.TimeTrackingError) as refused:
        timer_continue(user=employee, entry=TimeEntryFactory(user=outsider))
    assert refused.value.code == "not_found" and not TimeEntry.objects.running().exists()


def test_continue_on_an_archived_project_is_refused(employee, frozen):
    project = ProjectFactory()
    entry = TimeEntryFactory(user=employee, project=project)
    project.active = False
    project.save()
    with pytest.raises(services.TimeTrackingError) as refused:
        timer_continue(user=employee, entry=entry)
    assert refused.value.code == "archived"


def test_recent_combinations(employee, outsider, django_assert_num_queries):
    task = TaskFactory()
    tag = TagFactory(name="qa")
    TimeEntryFactory(user=employee, description="Old", started_at=utc(2026, 3, 1, 8))
    TimeEntryFactory(
        user=employee, project=task.project, task=task, description="Review", started_at=utc(2026, 3, 2, 8)
    )
    newest = TimeEntryFactory(
        user=employee,
        project=task.project,
        task=task,
        description=" review ",
        tags=[tag],
        started_at=utc(2026, 3, 3, 8),
    )
    TimeEntryFactory(user=employee, project=task.project, description="Review", started_at=utc(2026, 3, 4, 8))
    TimeEntryFactory(user=outsider, description="Not mine", started_at=utc(2026, 3, 5, 8))
    with django_assert_num_queries(2):  # the entries with project and task, then their tags
        recent = TimeEntry.objects.for_user(employee).recent_combinations(limit=10)
        names = [[t.name for t in entry.tags.all()] for entry in recent]
    # Same project, task and description (case and spaces aside) once, the newest of them.
    assert [entry.description for entry in recent] == ["Review", " review ", "Old"]
    assert recent[1] == newest and names[1] == ["qa"]
    assert len(TimeEntry.objects.for_user(employee).recent_combinations(limit=2)) == 2
