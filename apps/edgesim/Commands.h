// Subcommands of the edgesim CLI. Each registers its options on the CLI11 app and runs
// through a callback; errors propagate as InputError (exit 2) or other exceptions (exit 1).
#pragma once

#include "explorer/Signals.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <string>

namespace edgesim::app {

/// Options shared by every subcommand.
struct GlobalOptions {
    std::string configDir;   ///< --config-dir (empty: $EDGESIM_CONFIG_DIR, then built-in)
    std::string commandLine; ///< for provenance
};

/// --measurements/-m (required) and --conditions, shared by validate and calibrate.
void addMeasurementOptions(CLI::App* cmd, std::string& measurements, std::string& conditions);

void registerList(CLI::App& app, GlobalOptions& global);
void registerInspect(CLI::App& app, GlobalOptions& global);
void registerSimulate(CLI::App& app, GlobalOptions& global);
void registerValidate(CLI::App& app, GlobalOptions& global);
void registerCalibrate(CLI::App& app, GlobalOptions& global);
void registerSweep(CLI::App& app, GlobalOptions& global);
void registerPareto(CLI::App& app, GlobalOptions& global);
void registerNas(CLI::App& app, GlobalOptions& global);
void registerDnas(CLI::App& app, GlobalOptions& global);
void registerReport(CLI::App& app, GlobalOptions& global);

/// Thrown by a command stopped by SIGINT/SIGTERM after saving its work: exit 128 + the signal
/// (130 for SIGINT, 143 for SIGTERM), as a shell reports a process the signal stopped.
struct Interrupted {
    int signal = SIGINT;
};

/// The signal that stopped the run (SIGINT when none was recorded).
inline int interruptingSignal() {
    const int s = explorer::SignalGuard::received();
    return s != 0 ? s : SIGINT;
}

} // namespace edgesim::app
