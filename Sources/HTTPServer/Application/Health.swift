/// Liveness and readiness for load balancers and orchestrators.
public enum Health {
    /// `GET /healthz`: 200 while the process serves at all.
    public static func live(_ request: Request) -> Response {
        Response(status: .ok, contentType: "application/json", text: "{\"status\":\"ok\"}\n")
    }

    /// `GET /readyz`: 200 while accepting work, 503 once a graceful shutdown has begun, so a balancer stops
    /// sending new requests before the server stops.
    public static func ready(_ context: ServerContext) -> Handler {
        { _ in
            if context.ready {
                return Response(status: .ok, contentType: "application/json", text: "{\"status\":\"ready\"}\n")
            }
            var response = Response(status: .serviceUnavailable, contentType: "application/json",
                                    text: "{\"status\":\"draining\"}\n")
            response.headers.add("Retry-After", "5")
            return response
        }
    }
}
