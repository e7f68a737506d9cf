-- wrk script: GET the URL (and any headers given with -H), count the answers by status, and print
-- one RESULT line of JSON. An answer other than 200 or 304 counts as "other".
done = function(summary, latency, requests)
  local statuses = summary.errors.status
  io.write(string.format(
    'RESULT {"requests": %d, "rps": %.1f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, '
    .. '"max_ms": %.2f, "bytes_per_request": %.0f, "status_other": %d, "socket_errors": %d, '
    .. '"duration_s": %.2f}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.bytes / summary.requests,
    statuses, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    summary.duration / 1e6))
end
