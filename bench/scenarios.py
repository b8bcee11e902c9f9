"""The benchmark scenarios (p), (q), (r) and (a)-(j): what each one requests, as whom, and how its
queries are counted. (p), (q), (r) are the reference views of bench/urls.py (the bench server's
settings only, bench/settings.py): every other row is reported against (p), the plain view.

The same definitions drive the load tool (wrk, through bench/lua/scenario.lua) and the
in-process query count (Django's test client under CaptureQueriesContext), which the test
suite also runs on two small data sets to prove that no scenario's query count grows with rows.
"""

import json
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services as account_services
from accounts.models import User
from bench.models import Dataset
from sprockets.models import Factory
from timetracking.models import TimeEntry

# Users the write scenarios act as, one per load-tool connection (no two connections share a
# timer or a timeline, so every write succeeds). Taken from the end of the user list.
WRITERS_PER_SCENARIO = 4
# Manual entries of (c) are placed this far after the data's last day, one hour apart.
CREATE_OFFSET_DAYS = 400
CREATE_DURATION = "00:30"


@dataclass
class Context:
    """Ids, dates and credentials of one data set, computed once per run."""

    dataset: Dataset
    reader: User  # an employee with a manager: (b), (e), (g), (j)
    hr: User  # (f), (i)
    creators: list  # (c)
    timers: list  # (d)
    factory: Factory  # (h)
    month_first: date
    month_last: date
    year: int
    create_base: datetime
    auth: dict = field(default_factory=dict)  # user id -> "Header: value" (JWT), set by the runner

    @classmethod
    def load(cls, dataset=None):
        dataset = dataset or Dataset.objects.filter(finished_at__isnull=False).latest("started_at")
        users = User.objects.filter(username__startswith=dataset.prefix).order_by("pk")
        hr = users.first()
        employees = list(users.filter(manager__manager=hr).order_by("pk"))
        if len(employees) < 1 + 2 * WRITERS_PER_SCENARIO:
            employees = list(users.exclude(pk=hr.pk).order_by("pk"))
        writers = employees[-2 * WRITERS_PER_SCENARIO :]
        data_end = dataset.data_end
        month_last = data_end.replace(day=1) - timedelta(days=1)
        return cls(
            dataset=dataset,
            reader=employees[0],
            hr=hr,
            creators=writers[:WRITERS_PER_SCENARIO],
            timers=writers[WRITERS_PER_SCENARIO:],
            factory=Factory.objects.filter(name__startswith=f"{dataset.prefix} factory").order_by("pk").first(),
            month_first=month_last.replace(day=1),
            month_last=month_last,
            year=(data_end - timedelta(days=183)).year,
            create_base=datetime.combine(data_end + timedelta(days=CREATE_OFFSET_DAYS), time(0), tzinfo=UTC),
        )

    @property
    def data_start(self):
        return self.dataset.data_end - timedelta(days=self.dataset.scale["days"] - 1)

    def writer_ids(self):
        return [user.pk for user in self.creators + self.timers]

    def clean_writes(self):
        """Remove what earlier runs of (c) and (d) wrote, so every run starts from the same data."""
        after = datetime.combine(self.dataset.data_end + timedelta(days=1), time.min, tzinfo=UTC)
        writers = self.writer_ids()
        TimeEntry.objects.filter(user_id__in=writers).filter(started_at__gte=after).delete()
        TimeEntry.objects.filter(user_id__in=writers, ended_at__isnull=True).delete()


@dataclass
class Scenario:
    key: str
    title: str
    method: str = "GET"
    # "jwt": Bearer token of `user`; "api_key": HR's API key; "session": a signed-in browser;
    # "none": anonymous.
    auth: str = "jwt"
    # "plain": the same request again and again; "create": a new manual entry each time;
    # "timer": start and stop a timer alternately.
    mode: str = "plain"
    url_name: str = ""
    explain: bool = False  # (e), (f), (h): compare with the database's own time for the query
    stream: bool = False  # (i): one long streamed answer, measured by rows/s and memory
    priced: bool = False  # (k): measured with rates (priced_rates), every other scenario without

    def available(self):
        if not self.url_name:
            return True
        try:
            reverse(self.url_name, args=self.url_args_example())
        except NoReverseMatch:
            return False
        return True

    def url_args_example(self):
        return [1] if self.key == "h" else []

    # --- the request --------------------------------------------------------------------------

    def users(self, context):
        return {
            "b": [context.reader],
            "c": context.creators,
            "d": context.timers,
            "e": [context.reader],
            "f": [context.hr],
            "k": [context.hr],
            "g": [context.reader],
            "i": [context.hr],
            "j": [context.reader],
        }.get(self.key, [context.reader])

    def path(self, context):
        if self.key in ("p", "q", "r"):
            return reverse(self.url_name)
        if self.key == "a":
            return reverse("api:user-me")
        if self.key == "b":
            query = f"from={context.month_first}&to={context.month_last}&page_size=100"
            return f"{reverse('api:time-entry-list')}?{query}"
        if self.key == "c":
            return reverse("api:time-entry-list")
        if self.key == "d":
            return reverse("api:timer-start")
        if self.key == "e":
            first, last = date(context.year, 1, 1), date(context.year, 12, 31)
            return f"{reverse(self.url_name)}?group_by=week&from={first}&to={last}&user={context.reader.pk}"
        if self.key in ("f", "k"):
            last = context.month_last
            return f"{reverse(self.url_name)}?group_by=project&from={context.month_first}&to={last}&user=all"
        if self.key == "g":
            return f"{reverse('api:leave-balances')}?year={context.year}"
        if self.key == "h":
            start = datetime.combine(context.data_start, time.min, tzinfo=UTC)
            end = datetime.combine(context.dataset.data_end + timedelta(days=1), time.min, tzinfo=UTC)
            chart = reverse("api:factory-chart", args=[context.factory.pk])
            return f"{chart}?bucket=day&from={_iso(start)}&to={_iso(end)}"
        if self.key == "i":
            return self.export_path(context, context.data_start, context.dataset.data_end)
        if self.key == "j":
            return reverse("dashboard")
        raise ValueError(self.key)

    def export_path(self, context, first, last):
        return f"{reverse(self.url_name)}?format=csv&user=all&from={first}&to={last}"

    def stop_path(self):
        return reverse("api:timer-stop")

    def body(self, context, number=0):
        """The JSON body of the `number`-th request of one connection (wrk builds the same in Lua)."""
        if self.mode == "create":
            started = context.create_base + timedelta(hours=number)
            return json.dumps({"started_at": _iso(started), "duration": CREATE_DURATION, "description": "bench"})
        if self.mode == "timer":
            return "{}"
        return None

    # --- the in-process query count -------------------------------------------------------------

    def count_queries(self, context, client, headers, repeat=3, count_full_stream=False):
        """Queries of this scenario's request (per request: start and stop apart for the timer).

        Runs it `repeat` times and keeps the last run (a warm process, like a busy worker).
        Returns (counts, statuses, captured queries of the last run).
        """
        counts, statuses, captured = [], [], []
        for number in range(1 if self.stream else repeat):
            path = self.path(context)
            if self.stream and not count_full_stream:
                # Counted on the first tenth of the period: the count is per chunk of rows, and
                # reading a million rows in-process would take minutes.
                path = self.export_path(context, context.data_start, context.data_start + timedelta(days=72))
            requests = [(self.method, path, self.body(context, number=10_000 + number))]
            if self.mode == "timer":
                requests.append(("POST", self.stop_path(), "{}"))
            counts, statuses, captured = [], [], []
            for method, path, body in requests:
                with CaptureQueriesContext(connection) as queries:
                    response = _send(client, method, path, body, headers)
                    if self.stream and hasattr(response, "streaming_content"):
                        for _chunk in response.streaming_content:
                            pass
                counts.append(len(queries))
                statuses.append(response.status_code)
                captured.extend(queries.captured_queries)
        return counts, statuses, captured


def _send(client, method, path, body, headers):
    if method == "GET":
        return client.get(path, headers=headers)
    return client.generic(method, path, data=body or "", content_type="application/json", headers=headers)


def _iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


SCENARIOS = [
    Scenario("p", "plain Django view, the project's middleware", auth="none", url_name="bench-plain"),
    Scenario("q", "DRF no-op, no auth, no throttles", auth="none", url_name="bench-drf-open"),
    Scenario("r", "DRF no-op, JWT + the project's throttles", url_name="bench-drf-authenticated"),
    Scenario("a", "users/me/ (JWT)"),
    Scenario("b", "one user's month of entries, 100 per page"),
    Scenario("c", "create a time entry", method="POST", mode="create"),
    Scenario("d", "timer start + stop", method="POST", mode="timer"),
    Scenario("e", "one user's year by week", url_name="api:report-summary", explain=True),
    Scenario("f", "the company's month by project", url_name="api:report-summary", explain=True),
    Scenario("k", "(f) with amounts and costs (rates set)", url_name="api:report-summary", explain=True, priced=True),
    Scenario("g", "a user's leave balances"),
    Scenario("h", "a factory chart by day (2 years)", url_name="api:factory-chart", explain=True),
    Scenario("i", "CSV export of every entry (HR, API key)", auth="api_key", url_name="api:report-export", stream=True),
    Scenario("j", "the dashboard page (session)", auth="session"),
]
BY_KEY = {scenario.key: scenario for scenario in SCENARIOS}


def jwt_header(user):

    return f"Bearer {AccessToken.for_user(user)}"


def auth_headers(scenario, context, user, client=None):
    """The request headers that authenticate `user` for `scenario` (HTTP header names)."""
    if scenario.auth == "api_key":
        return {"Authorization": f"Api-Key {context.auth['api_key']}"}
    if scenario.auth == "session":
        return {"Cookie": context.auth["session_cookie"]}
    if scenario.auth == "none":
        return {"X-Bench": "anonymous"}  # one header line per connection, as for the others
    return {"Authorization": context.auth.get(user.pk) or jwt_header(user)}


def prepare_auth(context):
    """Credentials for every scenario user: JWTs, an HR API key, a session cookie."""

    users = {user.pk: user for scenario in SCENARIOS if scenario.auth == "jwt" for user in scenario.users(context)}
    for user in users.values():
        context.auth[user.pk] = jwt_header(user)
    _key, full_key = account_services.api_key_create(user=context.hr, name="bench")
    context.auth["api_key"] = full_key
    client = Client()
    client.force_login(context.reader)
    cookie = client.cookies[_session_cookie_name()]
    context.auth["session_cookie"] = f"{cookie.key}={cookie.value}"
    return context


def _session_cookie_name():

    return settings.SESSION_COOKIE_NAME


def measure_queries(context, scenarios=None, host="127.0.0.1", capture_sql=False, full_stream=False):
    """{key: {"queries": [...], "status": [...], "sql": [...]}} for the available scenarios."""
    results = {}
    client = Client(HTTP_HOST=host)
    for scenario in scenarios or SCENARIOS:
        if not scenario.available():
            continue
        user = scenario.users(context)[0]
        headers = auth_headers(scenario, context, user)
        with priced_rates(context) if scenario.priced else nullcontext():
            counts, statuses, captured = scenario.count_queries(context, client, headers, count_full_stream=full_stream)
        results[scenario.key] = {"queries": counts, "status": statuses, "sql": captured if capture_sql else []}
    context.clean_writes()
    return results


@contextmanager
def priced_rates(context):
    """Rates as a company that bills would have them, for the scenario that measures a priced summary:
    a company default (billable and cost) and a billable rate on every second project of the bench
    client, valid from before the data; removed afterwards, so that every other scenario measures
    the unpriced path it always measured."""
    from billing.models import Rate, RateKind, RateLevel
    from timetracking.models import Project

    since = context.data_start - timedelta(days=1)
    rates = [
        Rate(kind=RateKind.BILLABLE, level=RateLevel.COMPANY, currency="EUR", amount=Decimal("95"), valid_from=since),
        Rate(kind=RateKind.COST, level=RateLevel.COMPANY, currency="EUR", amount=Decimal("48"), valid_from=since),
    ]
    projects = (
        Project.objects.filter(name__startswith=context.dataset.prefix).order_by("pk").values_list("pk", flat=True)
    )
    rates += [
        Rate(kind=RateKind.BILLABLE, level=RateLevel.PROJECT, project_id=pk, currency="EUR", amount=Decimal("120"),
             valid_from=since)
        for pk in list(projects)[::2]
    ]  # fmt: skip
    created = Rate.objects.bulk_create(rates)
    # Written past billing's services (which reprice what a rate changes): reprice every entry here,
    # as `manage.py billing_reprice` does, once before the scenario and once after it.
    _reprice_everything()
    try:
        yield
    finally:
        Rate.objects.filter(pk__in=[rate.pk for rate in created]).delete()
        _reprice_everything()


def _reprice_everything():
    """Reprice every entry, then VACUUM the entries as autovacuum does within a minute of a bulk rewrite:
    a million rows rewritten at once leave dead row versions and pages not all-visible, which every
    later row's scan of the entries would wade through until then (a real company's rate change
    touches its target's entries only, and unchanged prices are not rewritten)."""
    from billing.services.prices import prices_refresh

    prices_refresh(entries=TimeEntry.objects.all())
    if connection.vendor == "postgresql" and not connection.in_atomic_block:  # not in a test's transaction
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {TimeEntry._meta.db_table}")
