-- wrk script: POST /v1/payment_sessions with a different amount and a unique Idempotency-Key on
-- every request. Reads the API key from GATEWAY_API_KEY; prints one machine-readable line at the end.

local counter = 0
local thread_number = 0
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local api_key = os.getenv("GATEWAY_API_KEY") or error("GATEWAY_API_KEY is not set")
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_number = tonumber(wrk.thread:get("thread_number")) or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. api_key
end

function request()
  counter = counter + 1
  -- Prices differ from request to request (and between threads), as real orders do.
  local cents = 100 + (counter * 7919 + thread_number * 104729) % 9999900
  local amount = string.format("%d.%02d", math.floor(cents / 100), cents % 100)
  wrk.headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", run, thread_number, counter)
  local body = string.format('{"amount":"%s","currency":"USDC","networks":["devnet"],"metadata":{"order":"%d-%d"}}',
    amount, thread_number, counter)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d status_errors=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
