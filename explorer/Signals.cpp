#include "explorer/Signals.h"

#include <atomic>
#include <csignal>

namespace edgesim::explorer {

namespace {

std::atomic<int> gSignal{0};

extern "C" void onSignal(int sig) {
    gSignal = sig;
}

} // namespace

SignalGuard::SignalGuard() {
    gSignal = 0;
    oldInt_ = std::signal(SIGINT, onSignal);
    oldTerm_ = std::signal(SIGTERM, onSignal);
}

SignalGuard::~SignalGuard() {
    std::signal(SIGINT, oldInt_);
    std::signal(SIGTERM, oldTerm_);
}

int SignalGuard::received() {
    return gSignal;
}

} // namespace edgesim::explorer
