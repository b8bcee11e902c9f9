-- wrk script for one benchmark scenario, configured by environment variables (set by bench/load.py):
--   BENCH_METHOD   GET or POST
--   BENCH_PATH     the request path (with its query string)
--   BENCH_STOP     (timer mode) the path that stops the timer
--   BENCH_MODE     plain | create (a new manual entry per request) | timer (start, stop, start, ...)
--   BENCH_AUTH     one "Header: value" line per user; wrk thread n uses line n (one connection per thread)
--   BENCH_BASE     (create mode) Unix time of the first entry; each request is one hour later
--   BENCH_DURATION (create mode) the entry's duration, e.g. 00:30
-- done() prints one JSON line starting with BENCH_RESULT for the runner to read.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local stop_path = os.getenv("BENCH_STOP") or "/"
local mode = os.getenv("BENCH_MODE") or "plain"
local base = tonumber(os.getenv("BENCH_BASE") or "0")
local duration = os.getenv("BENCH_DURATION") or "00:30"

local auth_lines = {}
for line in string.gmatch(os.getenv("BENCH_AUTH") or "", "[^\n]+") do
   table.insert(auth_lines, line)
end

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   -- `id` was set by setup() in this thread's Lua state.
   local line = auth_lines[(id % #auth_lines) + 1]
   local name, value = string.match(line, "^([^:]+):%s*(.*)$")
   wrk.headers[name] = value
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = mode == "plain" and "application/json, text/html" or "application/json"
   counter = 0
   failures = 0
   running = false
end

function request()
   counter = counter + 1
   if mode == "create" then
      local started = os.date("!%Y-%m-%dT%H:%M:%SZ", base + counter * 3600)
      local body = string.format('{"started_at": "%s", "duration": "%s", "description": "bench"}', started, duration)
      return wrk.format("POST", path, nil, body)
   elseif mode == "timer" then
      -- Follows the answers, not a counter: wrk may build a request it never sends.
      if running then
         return wrk.format("POST", stop_path, nil, "{}")
      end
      return wrk.format("POST", path, nil, "{}")
   end
   return wrk.format(method, path, nil, nil)
end

function response(status, headers, body)
   if status >= 300 then
      failures = failures + 1
   end
   if mode == "timer" then
      -- 201: a timer started; 200: it stopped; 409: the server's state was the other one.
      if status == 201 then
         running = true
      elseif status == 200 then
         running = false
      elseif status == 409 then
         running = not running
      end
   end
end

function done(summary, latency, requests)
   local failed = 0
   for _, thread in ipairs(threads) do
      failed = failed + (thread:get("failures") or 0)
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
         .. '"max_us": %d, "non_2xx": %d, "socket_errors": %d}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
      failed, errors.connect + errors.read + errors.write + errors.timeout
   ))
end
