-- bench/wrk.lua -- wrk's script for bench/run.sh.
--
-- Counts the answers that are not 2xx (wrk itself only counts status > 399)
-- and prints one line "BENCH_JSON {...}" at the end: requests, duration,
-- latency percentiles in ms, non-2xx, and socket errors apart.  A server
-- that closes a connection first (Connection: close) is a "read" socket
-- error for wrk although its response arrived and was counted.

non2xx = 0          -- global: read from every thread by done()
local threads = {}  -- setup() and done() share one environment

function setup(thread)
	table.insert(threads, thread)
end

function response(status, headers, body)
	if status < 200 or status > 299 then
		non2xx = non2xx + 1
	end
end

function done(summary, latency, requests)
	local bad, e = 0, summary.errors
	for _, t in ipairs(threads) do
		bad = bad + t:get("non2xx")
	end
	local function ms(us) return us / 1000 end
	io.write(string.format('BENCH_JSON {"tool": "wrk", "requests": %d, ' ..
		'"duration_s": %.6f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, ' ..
		'"p999_ms": %.3f, "mean_ms": %.3f, "max_ms": %.3f, ' ..
		'"non_2xx": %d, "socket_errors": %d, "socket_error_detail": ' ..
		'{"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
		summary.requests, summary.duration / 1e6,
		ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
		ms(latency:percentile(99.9)), ms(latency.mean), ms(latency.max),
		bad, e.connect + e.read + e.write + e.timeout,
		e.connect, e.read, e.write, e.timeout))
end
