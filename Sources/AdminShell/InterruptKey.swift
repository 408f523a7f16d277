import Glibc

/// Watches the keyboard for Ctrl-C while a stream (`log follow`) prints. The shell keeps the terminal's signal
/// keys off, so Ctrl-C arrives as a byte; keys are taken one by one and unechoed meanwhile, not after Enter.
final class InterruptKey {
    private var original: termios?

    /// Takes the terminal on descriptor 0 (nothing changes when it is not one).
    init() {
        var settings = termios()
        guard tcgetattr(0, &settings) == 0 else { return }
        original = settings
        settings.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        tcsetattr(0, TCSADRAIN, &settings)
    }

    /// Reads the keys waiting on descriptor 0 (call when it is readable), one at a time up to a Ctrl-C: true for
    /// Ctrl-C, or when the terminal is gone. Keys typed after the Ctrl-C stay queued for the prompt, so a command
    /// typed ahead (`Ctrl-C` then `status` Enter in one burst) is not lost.
    func interrupted() -> Bool {
        var key: UInt8 = 0
        repeat {
            let count = read(0, &key, 1)
            if count < 0, errno == EINTR || errno == EAGAIN { return false }
            if count <= 0 || key == 3 { return true }
        } while Self.keyWaiting()
        return false
    }

    private static func keyWaiting() -> Bool {
        var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0
    }

    /// Gives the terminal back as it was.
    func restore() {
        guard var settings = original else { return }
        tcsetattr(0, TCSADRAIN, &settings)
        original = nil
    }
}
