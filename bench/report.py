"""The figures of `make bench`: the database's own time for an endpoint's SQL (EXPLAIN ANALYZE),
each scenario's ratios and target, and the printed table."""

# Imports of Django, the apps and bench.scenarios sit inside the functions: this module is imported
# before django.setup() (the runner first chooses and creates the benchmark's database).

import json
import statistics

# --- EXPLAIN ANALYZE -------------------------------------------------------------------------------------


def _explain_ms(cursor, sql):
    cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
    plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Planning Time"] + plan[0]["Execution Time"]


def database_time_ms(captured, repeat=5):
    """The database's own time (EXPLAIN ANALYZE: planning + execution, median of `repeat`) for the
    aggregate the endpoint runs: the sum over its GROUP BY queries (a report runs one per time
    zone of the people in it); without any, its slowest query."""
    from django.db import connection

    selects = [query["sql"] for query in captured if query["sql"].lstrip().upper().startswith("SELECT")]
    if not selects:
        return None, ""
    chosen = [sql for sql in selects if "GROUP BY" in sql.upper()]
    with connection.cursor() as cursor:
        if not chosen:
            chosen = [max(selects, key=lambda sql: _explain_ms(cursor, sql))]
        runs = [sum(_explain_ms(cursor, sql) for sql in chosen) for _ in range(repeat)]
    return statistics.median(runs), ";\n".join(chosen)


# --- the report -----------------------------------------------------------------------------------------


# The goals of issue 21, as (scenario, text, test of its row given the plain view (p), the
# authenticated no-op (r) and users/me/ (a)). A goal whose reference row was not run reads "-".
def _rps_at_least(share, reference, text=None):
    def test(row, rows):
        ref = rows.get(reference)
        if not ref or not ref.get("rps"):
            return None
        return row["rps"] / ref["rps"], row["rps"] >= share * ref["rps"]

    return text or f"req/s >= {share:g}x ({reference})", test


def _p50_at_most(factor, reference):
    def test(row, rows):
        ref = rows.get(reference)
        if not ref or not ref.get("p50_ms"):
            return None
        return row["p50_ms"] / ref["p50_ms"], row["p50_ms"] <= factor * ref["p50_ms"]

    return f"p50 <= {factor:g}x ({reference})", test


def _queries_at_most(limit):
    def test(row, rows):
        most = max(row.get("queries") or [0])
        return most, most <= limit

    return f"SQL <= {limit}", test


def _p50_within_database(factor):
    def test(row, rows):
        if not row.get("db_ms"):
            return None
        return row["p50_ms"] / row["db_ms"], row["p50_ms"] <= factor * row["db_ms"]

    return f"p50 <= {factor:g}x database", test


GOALS = {
    "r": [_rps_at_least(0.6, "p")],
    "a": [_rps_at_least(0.5, "p")],
    "b": [_rps_at_least(0.25, "p")],
    "c": [_p50_at_most(3, "r")],
    "d": [_p50_at_most(3, "r")],
    "e": [_rps_at_least(0.3, "p"), _p50_within_database(1.5)],
    "f": [_p50_within_database(1.5)],
    # Issue 19: the priced summary costs at most 1.5x the unpriced one (its req/s >= (f)'s / 1.5).
    "k": [_rps_at_least(1 / 1.5, "f", "req/s >= (f)/1.5")],
    "h": [_p50_within_database(1.5)],
    "j": [_rps_at_least(0.15, "p"), _queries_at_most(8)],
}


def evaluate(results):
    """Add each scenario's ratios to the plain view (p) and to users/me/ (a), and its goals."""
    plain, floor = results.get("p"), results.get("a")
    for key, row in results.items():
        for name, reference in (("plain", plain), ("floor", floor)):
            if reference and reference.get("rps"):
                row[f"rps_ratio_to_{name}"] = row["rps"] / reference["rps"]
                row[f"p50_ratio_to_{name}"] = row["p50_ms"] / reference["p50_ms"] if reference["p50_ms"] else None
        if row.get("db_ms"):
            row["endpoint_to_db"] = row["p50_ms"] / row["db_ms"]
            if floor:
                # What the endpoint adds beyond the fixed cost of any authenticated request.
                row["endpoint_less_floor_to_db"] = (row["p50_ms"] - floor["p50_ms"]) / row["db_ms"]
        verdicts, met = [], []
        for text, test in GOALS.get(key, []):
            outcome = test(row, results)
            if outcome is None:
                verdicts.append(f"- {text}")
                continue
            value, ok = outcome
            shown = str(value) if isinstance(value, int) else f"{value:.2f}"
            verdicts.append(f"{'OK' if ok else 'MISS'} {text} ({shown})")
            met.append(ok)
        if key == "i" and row.get("tenth_peak_rss_kib"):
            ok = row["rows_per_second"] >= 100_000 and row["peak_rss_kib"] <= 1.2 * row["tenth_peak_rss_kib"]
            verdicts.append(f"{'OK' if ok else 'MISS'} >= 100k rows/s, RSS(all) <= 1.2x RSS(1/10)")
            met.append(ok)
        if row.get("errors"):
            met.append(False)
        row["target"] = "; ".join(verdicts) or None
        row["target_met"] = all(met) if met else None
    return results


def format_table(results, scenarios):
    header = (
        f"{'':3} {'scenario':<42} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'SQL/req':>8} "
        f"{'RSS MiB':>8} {'x plain':>8} {'x (a)':>6} {'db ms':>8} {'ep/db':>6} {'ep-a/db':>7}  target"
    )
    lines = [header, "-" * len(header)]
    for scenario in scenarios:
        row = results.get(scenario.key)
        if row is None:
            lines.append(f"({scenario.key}) {scenario.title:<42} not available (endpoint missing)")
            continue
        queries = "+".join(str(count) for count in row.get("queries", [])) or "-"
        plain_ratio, floor_ratio = row.get("rps_ratio_to_plain"), row.get("rps_ratio_to_floor")
        plain_text = f"{plain_ratio:.2f}" if plain_ratio is not None else "-"
        floor_text = f"{floor_ratio:.2f}" if floor_ratio is not None else "-"
        db = f"{row['db_ms']:.1f}" if row.get("db_ms") else "-"
        endpoint_db = f"{row['endpoint_to_db']:.2f}" if row.get("endpoint_to_db") else "-"
        less_floor = row.get("endpoint_less_floor_to_db")
        less_floor = f"{less_floor:.2f}" if less_floor is not None else "-"
        verdict = row.get("target") or ""
        if row.get("errors"):
            verdict = f"{row['errors']} ERRORS " + verdict
        if scenario.key == "i" and "rows_per_second" in row:
            verdict += (
                f" [{row['rows']:,} rows at {row['rows_per_second']:,.0f} rows/s; 1/10: {row['tenth_rows']:,} rows "
                f"at {row['tenth_rows_per_second']:,.0f} rows/s, RSS {row['tenth_peak_rss_kib'] / 1024:.0f} MiB]"
            )
            if row["stream_errors"]:
                verdict += f" [{'; '.join(row['stream_errors'])}]"
        lines.append(
            f"({scenario.key}) {scenario.title:<42} {row['rps']:>8.1f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {queries:>8} {row.get('peak_rss_kib', 0) / 1024:>8.0f} {plain_text:>8} "
            f"{floor_text:>6} {db:>8} {endpoint_db:>6} {less_floor:>7}  {verdict}"
        )
    return "\n".join(lines)
