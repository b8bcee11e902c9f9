"""Two imports of the same file at the same moment (real connections, PostgreSQL)."""

import threading

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from reports import services
from reports.models import ImportedRow
from timetracking.models import TimeEntry


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_is_imported_once(catalog, data_file):
    user = UserFactory(username="racer")
    data = data_file("toggl_detailed.csv")
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            rows = services.parse_upload(data=data, file_format="toggl", user=user)
            barrier.wait()
            results.append(services.entries_import(actor=user, user=user, rows=rows))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted((result["created"], result["skipped"]) for result in results) == [(0, 4), (4, 0)]
    assert TimeEntry.objects.filter(user=user).count() == 4
    assert ImportedRow.objects.filter(user=user).count() == 4
