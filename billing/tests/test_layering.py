"""Billing sits above time tracking (README "Architecture"): it reads timetracking; timetracking,
leave, accounts and core import nothing of billing."""

from config.tests.test_layering import offences


def test_nothing_below_billing_imports_it():
    found = []
    for app in ("core", "accounts", "timetracking", "leave", "sprockets", "webhooks"):
        found += offences(app, {"billing"})
    assert found == []
