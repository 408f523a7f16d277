import Glibc

/// `GET /metrics`: the Prometheus text exposition format (version 0.0.4), built from per-worker shards at
/// scrape time so the hot path never formats anything.
public struct MetricsEndpoint: Sendable {
    let context: ServerContext

    public init(context: ServerContext) {
        self.context = context
    }

    public func handle(_ request: Request) -> Response {
        var response = Response(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", text: render())
        response.headers.add("Cache-Control", "no-store")
        return response
    }

    /// The whole exposition.
    func render() -> String {
        let total = context.metrics.total(recent: false)
        let gauges = context.gauges
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: String = "", _ value: String) {
            out += name + (labels.isEmpty ? "" : "{\(labels)}") + " " + value + "\n"
        }

        family("http_requests_total", "counter", "HTTP requests answered, by method and status code.")
        for (key, count) in total.requests.sorted(by: { ($0.key.method, $0.key.code) < ($1.key.method, $1.key.code) }) {
            sample("http_requests_total", "method=\"\(key.method)\",code=\"\(key.code)\"", String(count))
        }

        family("http_request_duration_seconds", "histogram", "Time from a complete request head to the response.")
        var cumulative = 0
        for (index, bound) in WorkerMetrics.durationBuckets.enumerated() {
            cumulative += total.durationCounts[index]
            sample("http_request_duration_seconds_bucket", "le=\"\(Self.number(bound))\"", String(cumulative))
        }
        cumulative += total.durationCounts[WorkerMetrics.durationBuckets.count]
        sample("http_request_duration_seconds_bucket", "le=\"+Inf\"", String(cumulative))
        sample("http_request_duration_seconds_sum", "", Self.number(Double(total.durationSumMicroseconds) / 1e6))
        sample("http_request_duration_seconds_count", "", String(cumulative))

        family("http_response_bytes_total", "counter", "Response body bytes sent.")
        sample("http_response_bytes_total", "", String(total.responseBytes))
        family("http_connections_open", "gauge", "Client connections open now.")
        sample("http_connections_open", "", String(gauges.openConnections))
        family("http_requests_in_flight", "gauge", "Requests between their head and their response.")
        sample("http_requests_in_flight", "", String(context.stats.requestsInFlight))
        family("httpsh_workers", "gauge", "Worker threads by state.")
        sample("httpsh_workers", "state=\"busy\"", String(gauges.workersBusy))
        sample("httpsh_workers", "state=\"idle\"", String(max(0, gauges.workersLive - gauges.workersBusy)))
        family("httpsh_rate_limited_total", "counter", "Requests refused with 429 by the rate limiter.")
        sample("httpsh_rate_limited_total", "", String(context.limiter.limitedTotal))
        family("httpsh_blocked_total", "counter", "Connections and requests refused because the client is blocked.")
        sample("httpsh_blocked_total", "", String(context.blocklist.refusedTotal))
        family("httpsh_security_events_total", "counter", "Requests and connections that looked hostile, by kind.")
        for (kind, count) in context.securityEvents.totals() {
            sample("httpsh_security_events_total", "kind=\"\(kind.rawValue)\"", String(count))
        }
        family("httpsh_connections_refused_total", "counter", "Connections answered 503 at the server's or a client's connection limit.")
        sample("httpsh_connections_refused_total", "", String(context.stats.connectionsRefused))
        family("httpsh_uploads_total", "counter", "Files stored by uploads.")
        sample("httpsh_uploads_total", "", String(context.uploads.uploadsTotal))
        family("httpsh_uploads_bytes_total", "counter", "Bytes stored by uploads.")
        sample("httpsh_uploads_bytes_total", "", String(context.uploads.uploadedBytesTotal))
        let cache = context.fileCache.usage
        family("httpsh_file_cache_bytes", "gauge", "Bytes of file contents held in memory by the file cache.")
        sample("httpsh_file_cache_bytes", "", String(cache.bytes))
        family("httpsh_file_cache_capacity_bytes", "gauge", "The most file contents the file cache may hold.")
        sample("httpsh_file_cache_capacity_bytes", "", String(cache.capacity))
        family("httpsh_file_cache_files", "gauge", "Files the file cache describes.")
        sample("httpsh_file_cache_files", "", String(cache.files))
        family("httpsh_file_cache_open_files", "gauge", "Larger files the file cache keeps open (sent with sendfile).")
        sample("httpsh_file_cache_open_files", "", String(cache.openFiles))
        family("httpsh_file_cache_lookups_total", "counter", "File cache lookups, by result.")
        sample("httpsh_file_cache_lookups_total", "result=\"hit\"", String(cache.hits))
        sample("httpsh_file_cache_lookups_total", "result=\"miss\"", String(cache.misses))
        family("httpsh_log_lines_dropped_total", "counter", "Log lines dropped because the log output was too slow.")
        sample("httpsh_log_lines_dropped_total", "", String(context.logLinesDropped))

        family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.")
        sample("process_start_time_seconds", "", String(context.stats.startedAt))
        family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
        sample("process_resident_memory_bytes", "", String(ProcessStats.residentBytes()))
        family("process_open_fds", "gauge", "Open file descriptors.")
        sample("process_open_fds", "", String(ProcessStats.openDescriptors()))
        return out
    }

    /// Prometheus floats: `0.0005`, `1`, `2.5`.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}
