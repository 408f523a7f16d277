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

    /// Reads the keys waiting on descriptor 0 (call when it is readable): true for Ctrl-C, or when the terminal
    /// is gone.
    func interrupted() -> Bool {
        var keys = [UInt8](repeating: 0, count: 64)
        let count = read(0, &keys, keys.count)
        if count < 0, errno == EINTR || errno == EAGAIN { return false }
        return count <= 0 || keys[..<count].contains(3)
    }

    /// Gives the terminal back as it was.
    func restore() {
        guard var settings = original else { return }
        tcsetattr(0, TCSADRAIN, &settings)
        original = nil
    }
}
