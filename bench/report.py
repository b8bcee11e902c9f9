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


def evaluate(results):
    """Add each scenario's ratios to the floor and whether its target holds."""
    floor = results.get("a")
    for key, row in results.items():
        if floor and floor.get("rps"):
            row["rps_ratio_to_floor"] = row["rps"] / floor["rps"]
            row["p50_ratio_to_floor"] = row["p50_ms"] / floor["p50_ms"] if floor["p50_ms"] else None
        if row.get("db_ms"):
            row["endpoint_to_db"] = row["p50_ms"] / row["db_ms"]
            if floor:
                # What the endpoint adds beyond the fixed cost of any authenticated request.
                row["endpoint_less_floor_to_db"] = (row["p50_ms"] - floor["p50_ms"]) / row["db_ms"]
        target, ok = None, None
        if key == "b" and floor:
            target, ok = "req/s >= 1/3 of (a)", row["rps"] >= floor["rps"] / 3
        elif key in ("c", "d") and floor:
            target, ok = "p50 <= 3x (a)", row["p50_ms"] <= 3 * floor["p50_ms"]
        elif key in ("e", "f", "h") and row.get("db_ms"):
            target, ok = "p50 <= 1.5x database", row["p50_ms"] <= 1.5 * row["db_ms"]
        elif key == "i" and row.get("tenth_peak_rss_kib"):
            target = ">= 100k rows/s, RSS(all) <= 1.2x RSS(1/10)"
            ok = row["rows_per_second"] >= 100_000 and row["peak_rss_kib"] <= 1.2 * row["tenth_peak_rss_kib"]
        if row.get("errors"):
            ok = False
        row["target"], row["target_met"] = target, ok
    return results


def format_table(results, scenarios):
    header = (
        f"{'':3} {'scenario':<42} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'SQL/req':>8} "
        f"{'RSS MiB':>8} {'x floor':>8} {'db ms':>8} {'ep/db':>6} {'ep-a/db':>7}  target"
    )
    lines = [header, "-" * len(header)]
    for scenario in scenarios:
        row = results.get(scenario.key)
        if row is None:
            lines.append(f"({scenario.key}) {scenario.title:<42} not available (endpoint missing)")
            continue
        queries = "+".join(str(count) for count in row.get("queries", [])) or "-"
        ratio = row.get("rps_ratio_to_floor")
        if scenario.key in ("c", "d") and row.get("p50_ratio_to_floor") is not None:
            ratio_text = f"p50 {row['p50_ratio_to_floor']:.2f}"
        else:
            ratio_text = f"{ratio:.2f}" if ratio is not None else "-"
        db = f"{row['db_ms']:.1f}" if row.get("db_ms") else "-"
        endpoint_db = f"{row['endpoint_to_db']:.2f}" if row.get("endpoint_to_db") else "-"
        less_floor = row.get("endpoint_less_floor_to_db")
        less_floor = f"{less_floor:.2f}" if less_floor is not None else "-"
        verdict = "" if row.get("target") is None else ("OK " if row["target_met"] else "MISS ") + row["target"]
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
            f"{row['p99_ms']:>8.1f} {queries:>8} {row.get('peak_rss_kib', 0) / 1024:>8.0f} {ratio_text:>8} {db:>8} "
            f"{endpoint_db:>6} {less_floor:>7}  {verdict}"
        )
    return "\n".join(lines)
