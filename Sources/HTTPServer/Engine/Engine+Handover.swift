import CLinux
import Glibc

/// Zero-downtime upgrades on one host (`--reuse-port`). Several servers listen on one port with SO_REUSEPORT and
/// the kernel hashes each new connection to one of their listeners. A listener that simply closes resets the
/// connections queued on it (unless the system enables `net.ipv4.tcp_migrate_req`, off by default), so a draining
/// server hands its share over first:
/// 1. it steers new connections to another listener of the group, with a one-instruction classic BPF program
///    (SO_ATTACH_REUSEPORT_CBPF). The program names a listener by its place in the group, which no call reports,
///    so the server finds one that is not its own by trying places in turn and dialling itself: a probe that does
///    not arrive here went to another server;
/// 2. it keeps accepting while handshakes begun before the steering complete;
/// 3. it closes the listener, its queue empty.
/// Connections it accepted meanwhile are served like any other during the drain. The steering outlives this
/// server (it belongs to the group); a server that starts with `--reuse-port` removes it, so connections are
/// spread over every listener again.
extension Engine {
    /// How long the drain keeps accepting after steering: many round trips of any network a handshake in
    /// progress could be crossing.
    static let handoverSettleMilliseconds: Int64 = 200
    /// How long a probe may take to arrive before it is taken to have gone elsewhere: loopback connects complete
    /// in microseconds; this is generous for a loaded machine.
    static let probeWaitMilliseconds: Int64 = 100
    /// Places in the group tried: more servers than this on one port is not an upgrade.
    static let maxGroupPlaces: UInt32 = 8

    /// Stops listening. A `--reuse-port` listener hands its new connections over to another server on the port
    /// first; otherwise (or when no other server listens there) it simply closes.
    func closeListener() {
        events.remove(listener.fd)
        if configuration.reusePort {
            if let place = steerAway() {
                logger.info("new connections steered to the server at place \(place) of port \(address.port)")
            }
            acceptDirectly(until: MonotonicClock.milliseconds() + Self.handoverSettleMilliseconds)
        }
        listener.close()
    }

    /// Lets connections spread over every listener on the port again (a server starting beside others).
    func resetSteering() {
        if configuration.reusePort { _ = clinux_reuseport_unsteer(listener.fd) }
    }

    /// Steers the group to the first place that is not this listener; returns it, or nil (steering removed) when
    /// no other listener answers.
    private func steerAway() -> UInt32? {
        guard let target = probeAddress else { return nil }
        for place in 0..<Self.maxGroupPlaces {
            guard clinux_reuseport_steer(listener.fd, place) == 0 else { break }
            guard let probe = try? Socket.connect(to: target) else { break }
            let origin = probe.localAddress()
            let cameHere = acceptDirectly(until: MonotonicClock.milliseconds() + Self.probeWaitMilliseconds,
                                          lookingFor: origin)
            probe.close()
            if !cameHere { return place }
        }
        _ = clinux_reuseport_unsteer(listener.fd)
        return nil
    }

    /// Where to dial this listener: its own address, loopback for a wildcard one.
    private var probeAddress: SocketAddress? {
        let loopback = ["0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1"]
        return SocketAddress(host: loopback[configuration.host] ?? configuration.host, port: address.port)
    }

    /// Accepts and admits connections until `deadline`; with `probe`, stops early when the connection from that
    /// address arrives (closed, not admitted) and returns true.
    @discardableResult
    private func acceptDirectly(until deadline: Int64, lookingFor probe: SocketAddress? = nil) -> Bool {
        repeat {
            while let (socket, peer) = try? listener.accept() {
                if let probe, peer == probe {
                    socket.close()
                    return true
                }
                if let connection = admit(socket, peer) { register(connection, interest: .input) }
            }
            usleep(1_000)
        } while MonotonicClock.milliseconds() < deadline
        return false
    }
}
