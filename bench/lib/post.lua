-- wrk script for bench/run: POST /execute with the API key and a JSON body
-- read from a file, check every answer, and print one machine-readable
-- summary line at the end.
--
--   BENCH_KEY=KEY BENCH_BODY=/path/body.json [BENCH_STOP_AFTER=N] wrk -s post.lua ... URL
--
-- BENCH_STOP_AFTER: each thread stops after N responses (for short checks).
--
-- A response counts as good when it is a 200 whose body holds
-- "status":"success"; wrk's own summary.errors.status counts only codes
-- >= 400, so this script counts any non-200 itself.

local key = os.getenv("BENCH_KEY")
local body_file = os.getenv("BENCH_BODY")
local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "")
if not key or key == "" or not body_file then
    io.stderr:write("post.lua: BENCH_KEY and BENCH_BODY must be set\n")
    os.exit(2)
end
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = key

-- main state: the threads, to collect their counters in done()
local threads = {}
function setup(thread)
    table.insert(threads, thread)
end

-- per-thread state
function init(args)
    good = 0
    non200 = 0
    not_success = 0
    sample = ""
end

function response(status, headers, resp_body)
    if stop_after and good + non200 + not_success + 1 >= stop_after then
        wrk.thread:stop()
    end
    if status ~= 200 then
        non200 = non200 + 1
        if sample == "" then sample = status .. " " .. string.sub(resp_body or "", 1, 300) end
    elseif not string.find(resp_body or "", '"status"%s*:%s*"success"') then
        not_success = not_success + 1
        if sample == "" then sample = status .. " " .. string.sub(resp_body or "", 1, 300) end
    else
        good = good + 1
    end
end

function done(summary, latency, requests)
    local g, n, s, sample_out = 0, 0, 0, ""
    for _, t in ipairs(threads) do
        g = g + (t:get("good") or 0)
        n = n + (t:get("non200") or 0)
        s = s + (t:get("not_success") or 0)
        local ts = t:get("sample") or ""
        if sample_out == "" then sample_out = ts end
    end
    local e = summary.errors
    io.write(string.format(
        "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%d max_us=%d " ..
        "good=%d non200=%d not_success=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
        summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99), math.floor(latency.mean), latency.max,
        g, n, s, e.connect, e.read, e.write, e.status, e.timeout))
    if sample_out ~= "" then
        io.write("BENCH_SAMPLE " .. string.gsub(sample_out, "\n", " ") .. "\n")
    end
end
