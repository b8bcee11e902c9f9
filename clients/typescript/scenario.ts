// The everyday scenario of a frontend, written only with openapi-fetch over the types that
// openapi-typescript generates from /api/v1/schema/ (`./api.d.ts`): no hand-written HTTP, no casts,
// no type ignores; `tsc --strict --noEmit` checks it against the schema, and
// config/tests/test_generated_clients.py compiles it and runs it against a live server.
//
//   npx openapi-typescript http://127.0.0.1:8000/api/v1/schema/?format=json -o clients/typescript/api.d.ts
//   npx tsc -p clients/typescript && node <outDir>/scenario.js http://127.0.0.1:8000 employee manager hr <password>

import createClient from "openapi-fetch";
import type { paths } from "./api";

type Api = ReturnType<typeof createClient<paths>>;

// The one Node.js global used here, declared rather than pulling in @types/node.
declare const process: { argv: string[]; exit(code: number): never };

function check(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new Error(`scenario failed: ${message}`);
  }
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new Error(`scenario failed: no ${what}`);
  }
  return value;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

async function main(baseUrl: string, employee: string, manager: string, hr: string, password: string): Promise<string[]> {
  const steps: string[] = [];
  const anonymous = createClient<paths>({ baseUrl });

  async function logIn(username: string): Promise<{ api: Api; refresh: string }> {
    const { data, error } = await anonymous.POST("/api/v1/auth/token/", { body: { username, password } });
    check(error === undefined, `login: ${JSON.stringify(error)}`);
    const answer = must(data, "token pair");
    // 202 with a challenge instead means the account has two-factor login (auth/token/two-factor/ next).
    check("access" in answer, `login: a second factor is needed for ${username}`);
    const tokens = answer as { access: string; refresh: string };
    return {
      api: createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${tokens.access}` } }),
      refresh: tokens.refresh,
    };
  }

  const { api, refresh } = await logIn(employee);
  steps.push("log in");

  const profile = must((await api.GET("/api/v1/users/me/")).data, "profile");
  check(profile.username === employee, `me is ${profile.username}`);
  steps.push("me");

  const { api: hrApi } = await logIn(hr);
  const project = must(
    (await hrApi.POST("/api/v1/projects/", { body: { name: `Frontend work ${Date.now()}` } })).data,
    "project",
  );
  steps.push("a project (HR)");

  const now = new Date();
  const started = must(
    (
      await api.POST("/api/v1/timer/start/", {
        body: { project: project.id, started_at: new Date(now.getTime() - 30 * 60_000).toISOString() },
      })
    ).data,
    "started timer",
  );
  check(started.is_running, "the timer runs");
  const stopped = must((await api.POST("/api/v1/timer/stop/", { body: {} })).data, "stopped timer");
  check(!stopped.is_running && stopped.id === started.id, "the timer stopped");
  steps.push("timer start/stop");

  const yesterdayNine = new Date(now.getTime() - 86_400_000);
  yesterdayNine.setUTCHours(9, 0, 0, 0);
  const logged = must(
    (
      await api.POST("/api/v1/time-entries/", {
        body: { project: project.id, started_at: yesterdayNine.toISOString(), duration: "1:30", tags: ["client-call"] },
      })
    ).data,
    "entry",
  );
  check(logged.duration_seconds === 5400, `1:30 is ${logged.duration_seconds} s`);
  check(logged.tags.map((tag) => tag.name).join() === "client-call", "the tag was created by name");
  steps.push("an entry by duration with a tag name");

  const from = day(new Date(yesterdayNine.getTime() - 86_400_000));
  const to = day(new Date(now.getTime() + 86_400_000));
  const seen: number[] = [];
  for (let page = 1; ; page++) {
    const entries = must(
      (await api.GET("/api/v1/time-entries/", { params: { query: { from, to, page, page_size: 1 } } })).data,
      "entries page",
    );
    seen.push(...entries.results.map((entry) => entry.id));
    if (entries.next === null) {
      break;
    }
  }
  check(
    seen.sort().join() === [started.id, logged.id].sort().join(),
    `paged through ${seen.join()}`,
  );
  steps.push("a list with from/to, paged through");

  const summary = must(
    (await api.GET("/api/v1/reports/summary/", { params: { query: { from, to, group_by: "week" } } })).data,
    "summary",
  );
  check(summary.total.seconds === 1800 + 5400, `the week's total is ${summary.total.seconds} s`);
  steps.push("a weekly summary");

  const leaveTypes = must((await api.GET("/api/v1/leave-types/")).data, "leave types");
  const leaveType = must(leaveTypes.results[0], "leave type");
  const monday = new Date(now.getTime() + (21 - ((now.getUTCDay() + 6) % 7)) * 86_400_000);
  const friday = new Date(monday.getTime() + 4 * 86_400_000);
  const draft = { leave_type: leaveType.id, start_date: day(monday), end_date: day(friday) };
  const preview = must((await api.POST("/api/v1/leave-requests/preview/", { body: draft })).data, "preview");
  check(Number(preview.amount) > 0 && preview.warnings.length === 0, `preview ${preview.amount}`);
  const requested = must(
    (await api.POST("/api/v1/leave-requests/", { body: { ...draft, reason: "Family trip" } })).data,
    "leave request",
  );
  check(requested.status === "pending", `the request is ${requested.status}`);
  steps.push("a leave preview and request");

  const { api: managerApi } = await logIn(manager);
  const approved = must(
    (
      await managerApi.POST("/api/v1/leave-requests/{id}/approve/", {
        params: { path: { id: requested.id } },
        body: { note: "Enjoy" },
      })
    ).data,
    "approval",
  );
  check(approved.status === "approved", `the request is ${approved.status}`);
  steps.push("the manager's approval");

  const balances = must(
    (await api.GET("/api/v1/leave-balances/", { params: { query: { year: monday.getUTCFullYear() } } })).data,
    "balances",
  );
  const used = balances.filter((balance) => balance.leave_type === leaveType.id).map((balance) => balance.used);
  check(used.join() === preview.amount, `used ${used.join()}, previewed ${preview.amount}`);
  steps.push("balances");

  const csv = must(
    (await api.GET("/api/v1/reports/export/", { params: { query: { from, to } }, parseAs: "text" })).data,
    "CSV",
  );
  check(csv.split("\n").length >= 3 && csv.includes("client-call"), "the CSV has a header and two entries");
  const xlsx = must(
    (
      await api.GET("/api/v1/reports/export/", {
        params: { query: { from, to, format: "xlsx" } },
        parseAs: "arrayBuffer",
      })
    ).data,
    "XLSX",
  );
  const zipMagic = new Uint8Array(xlsx, 0, 2);
  check(zipMagic[0] === 0x50 && zipMagic[1] === 0x4b, "the XLSX is a zip");
  steps.push("CSV and XLSX exports");

  const missing = await api.GET("/api/v1/time-entries/{id}/", { params: { path: { id: 2 ** 52 } } });
  check(missing.response.status === 404 && missing.error?.code === "not_found", "404 not_found");
  const conflict = await api.POST("/api/v1/timer/stop/", { body: {} });
  check(conflict.response.status === 409, `409, not ${conflict.response.status}`);
  const conflictBody = must(conflict.error, "conflict body");
  check("code" in conflictBody && conflictBody.code === "no_timer", "409 no_timer");
  steps.push("a 404 and a 409 read as typed errors");

  const key = `scenario-${Date.now()}`;
  const again = { started_at: new Date(yesterdayNine.getTime() - 2 * 3_600_000).toISOString(), duration: "0:45" };
  const idempotency = { header: { "Idempotency-Key": key } };
  const first = await api.POST("/api/v1/time-entries/", { params: idempotency, body: again });
  const replay = await api.POST("/api/v1/time-entries/", { params: idempotency, body: again });
  check(replay.response.headers.get("Idempotent-Replayed") === "true", "the retry is a replay");
  check(must(replay.data, "replayed entry").id === must(first.data, "first entry").id, "the replay created nothing");
  steps.push("an Idempotency-Key replay");

  const created = must((await api.POST("/api/v1/api-keys/", { body: { name: "Dashboard" } })).data, "API key");
  const script = createClient<paths>({ baseUrl, headers: { Authorization: `Api-Key ${created.key}` } });
  check(must((await script.GET("/api/v1/users/me/")).data, "profile by key").username === employee, "the API key");
  steps.push("an API key");

  const out = await api.POST("/api/v1/auth/logout/", { body: { refresh } });
  check(out.response.status === 200, "logged out");
  steps.push("log out");
  return steps;
}

const [baseUrl, employee, manager, hr, password] = process.argv.slice(2);
main(must(baseUrl, "base URL"), must(employee, "employee"), must(manager, "manager"), must(hr, "hr"), must(password, "password"))
  .then((steps) => steps.forEach((step, index) => console.log(`${String(index + 1).padStart(2)}. ${step}`)))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
