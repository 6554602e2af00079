// Ctrl-C and SIGTERM during long runs (sweeps, NAS): while a SignalGuard lives, the signals
// set a flag instead of killing the process, so the run commits what it has and stops; the
// previous handlers come back when it goes.
#pragma once

namespace edgesim::explorer {

class SignalGuard {
public:
    SignalGuard();
    ~SignalGuard();
    SignalGuard(const SignalGuard&) = delete;
    SignalGuard& operator=(const SignalGuard&) = delete;

    /// The signal received since the guard was made (0: none).
    static int received();

private:
    void (*oldInt_)(int);
    void (*oldTerm_)(int);
};

} // namespace edgesim::explorer
