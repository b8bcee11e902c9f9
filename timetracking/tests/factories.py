from datetime import UTC, datetime, timedelta

import factory

from accounts.tests.factories import UserFactory
from timetracking.models import Client, Project, Tag, Task, TimeEntry


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    code = factory.Sequence(lambda n: f"P{n}")
    billable = True

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Task {n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")


class TimeEntryFactory(factory.django.DjangoModelFactory):
    """A finished one-hour entry. Bypasses services: only for arranging tests."""

    class Meta:
        model = TimeEntry
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    started_at = factory.Sequence(lambda n: datetime(2026, 1, 5, 8, tzinfo=UTC) + timedelta(hours=2 * n))
    ended_at = factory.LazyAttribute(lambda entry: entry.started_at + timedelta(hours=1))
    description = factory.Sequence(lambda n: f"Entry {n}")

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)


def utc(*args):
    return datetime(*args, tzinfo=UTC)
