-- wrk script for bench/flash_sale.py: every prepared request is sent exactly once.
--
-- wrk keeps each connection busy for a fixed duration; a flash sale is not that. Here each thread
-- reads its own file of prepared requests (one per line: method, path, token, idempotency key,
-- body, tab-separated). A connection asks delay() before each request: while requests are left it
-- reserves one and goes at once, afterwards it idles for an hour, so every buyer sends one request
-- and no connection sends a second. When a thread has all its answers it writes them to
-- <file>.out and stops; flash_sale.py then ends wrk with SIGINT, and done() writes the latency
-- percentiles wrk measured per request (first byte written to last byte read).
--
-- The request file prefix comes in the environment (FLASH_PREFIX): done() runs in wrk's main Lua
-- state, where init() and its arguments never arrive.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } laotie_timespec;
int clock_gettime(int clk_id, laotie_timespec *tp);
]])
local ts = ffi.new("laotie_timespec")

-- CLOCK_MONOTONIC, in microseconds: the same clock as Python's time.monotonic() on Linux.
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local prefix = os.getenv("FLASH_PREFIX")
local out_path
local requests = {}
local reserved, sent, answered = 0, 0, 0
local extra = 0
local first_sent, last_answer = 0, 0
local statuses = {}
local codes = {}

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local file = prefix .. "." .. id
  out_path = file .. ".out"
  for line in io.lines(file) do
    local f = split(line)
    local headers = { ["Content-Type"] = "application/json" }
    if f[3] ~= "" then headers["Authorization"] = "Bearer " .. f[3] end
    if f[4] ~= "" then headers["Idempotency-Key"] = f[4] end
    local body = nil
    if f[5] ~= "" then body = f[5] end
    table.insert(requests, wrk.format(f[1], f[2], headers, body))
  end
end

function delay()
  if reserved < #requests then
    reserved = reserved + 1
    return 0
  end
  return 3600000
end

function request()
  if reserved == 0 then
    -- wrk calls request() once before the run to check what it returns: not a send.
    return requests[1]
  end
  sent = sent + 1
  if sent == 1 then first_sent = now_us() end
  if sent > #requests then
    -- Only after a dropped connection, which wrk re-sends on: counted, never a second order.
    extra = extra + 1
    return wrk.format("GET", "/api/v1/health")
  end
  return requests[sent]
end

local function write_out()
  local out = io.open(out_path, "w")
  out:write(string.format("first_sent_us %d\nlast_answer_us %d\nsent %d\nanswered %d\nextra %d\n",
    first_sent, last_answer, sent, answered, extra))
  for status, n in pairs(statuses) do out:write(string.format("status %d %d\n", status, n)) end
  for code, n in pairs(codes) do out:write(string.format("code %s %d\n", code, n)) end
  out:close()
end

function response(status, headers, body)
  answered = answered + 1
  last_answer = now_us()
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 400 then
    local code = body:match('"code"%s*:%s*"([%w_]+)"') or "?"
    codes[code] = (codes[code] or 0) + 1
  end
  if answered == #requests then
    write_out()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local out = io.open(prefix .. ".latency", "w")
  out:write(string.format("p50_us %d\np90_us %d\np99_us %d\nmax_us %d\nmin_us %d\nmean_us %d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.min,
    latency.mean))
  out:write(string.format("complete %d\ntimeouts %d\nconnect_errors %d\nread_errors %d\nwrite_errors %d\n",
    summary.requests, summary.errors.timeout, summary.errors.connect, summary.errors.read,
    summary.errors.write))
  out:close()
end
