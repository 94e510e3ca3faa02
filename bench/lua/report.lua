-- Reports wrk's own figures as one JSON line, for plain GET loads.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write("BENCH_JSON ", string.format(
    '{"requests":%d,"duration_s":%.6f,"socket_errors":%d,"bad_status":%d,'
    .. '"request_latency_ms":{"p50":%.3f,"p95":%.3f,"p99":%.3f}}\n',
    summary.requests, summary.duration / 1e6,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
