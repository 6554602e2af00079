// What the simulating subcommands share: configs resolved once, networks loaded and lowered
// once, one Simulator per (platform, stack) pair elaborated once and reused, and the
// provenance hash of every input that determines a result.
#pragma once

#include "apps/edgesim/Commands.h"
#include "analysis/Measurements.h"
#include "common/ConfigPaths.h"
#include "sim/Simulator.h"
#include "workloads/NetworkSource.h"
#include "workloads/schedule/Schedule.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace edgesim::app {

class Session {
public:
    explicit Session(const GlobalOptions& global) : paths_(global.configDir) {}

    struct Network {
        workloads::LoadedNetwork loaded;
        workloads::Schedule schedule;
    };
    struct Target {
        std::unique_ptr<sim::Simulator> simulator;
        std::string platformFile;
        std::string stackFile;
        std::string sha256;  ///< of both config files
    };

    const ConfigPaths& paths() const { return paths_; }
    /// Loads and lowers `nameOrPath` for `strategy` (InputError naming `field` if unknown).
    const Network& network(const std::string& nameOrPath, const std::string& strategy,
                           int batch, const std::string& field = "--network");
    /// The simulator of `platform` on `stack`, elaborated on first use.
    Target& target(const std::string& platform, const std::string& stack,
                   const std::string& platformField = "--platform",
                   const std::string& stackField = "--stack");

    /// The prediction for measurement `m` in its SI unit, simulating (once per distinct
    /// platform, stack, network, strategy and operating point) as needed. Returns nullopt and
    /// sets `why` when the row cannot be predicted: unknown platform, stack or network,
    /// impossible operating point, or a network that does not fit or is unsupported.
    std::optional<double> predict(const analysis::Measurement& m, sim::Fidelity fidelity,
                                  std::string& why);
    /// Forgets cached simulation results (after reconfiguring a simulator).
    void clearResults() { results_.clear(); }
    /// Every (platform, stack) target loaded so far.
    std::map<std::string, std::unique_ptr<Target>>& targets() { return targets_; }

    /// Hash of everything a result depends on: both configs, the network file, strategy,
    /// batch, fidelity and operating-point overrides.
    static std::string configSha256(const Target& target, const Network& network,
                                    const std::string& extra);

private:
    ConfigPaths paths_;
    std::map<std::string, std::unique_ptr<Network>> networks_;
    std::map<std::string, std::unique_ptr<Target>> targets_;
    std::map<std::string, sim::SimResult> results_;
};

/// Throws InputError naming `field` when `strategy` is not lowered by this build.
void checkStrategy(const std::string& strategy, const std::string& field = "--strategy");

} // namespace edgesim::app
