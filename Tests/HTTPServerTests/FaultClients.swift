/// Clients handed to one helper thread, which is the only one using them until the test takes them back (after
/// the helper has finished), so no two threads ever use one client at once. Shared by the Fault* suites.
struct FaultClients: @unchecked Sendable {
    let clients: [RawClient]

    init(_ clients: [RawClient]) {
        self.clients = clients
    }
}
