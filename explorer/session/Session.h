// The library's front door for simulations: a Session resolves Queries (configs by name,
// networks loaded and lowered once, parameter overrides applied and validated, one Simulator
// per platform + stack structure elaborated once and reconfigured for numeric changes,
// mappings resolved or searched once) and runs them, giving each result the content hash of
// its inputs. The CLI, sweeps, NAS loops and the Python binding all go through it.
#pragma once

#include "common/ConfigPaths.h"
#include "explorer/session/Query.h"
#include "platforms/spec/platform.pb.h"
#include "platforms/spec/stack.pb.h"
#include "sim/Simulator.h"
#include "workloads/NetworkSource.h"
#include "workloads/schedule/Schedule.h"

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace edgesim::explorer {

class Session {
public:
    explicit Session(ConfigPaths paths = ConfigPaths());
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const ConfigPaths& paths() const { return paths_; }

    /// A network lowered for a strategy and batch size.
    struct Network {
        workloads::LoadedNetwork loaded;
        workloads::Schedule schedule;
    };
    /// Loads and lowers `nameOrPath` once per (name, strategy, batch). InputError naming
    /// `field` (`strategyField` for an unknown strategy) when it cannot.
    const Network& network(const std::string& nameOrPath, const std::string& strategy, int batch,
                           const std::string& field = "--network",
                           const std::string& strategyField = "--strategy");

    /// The base specs of a platform or stack (a config name or a .textproto path), loaded and
    /// validated once; InputError naming `field` when unknown or invalid.
    const platforms::spec::PlatformSpec& platform(const std::string& nameOrPath,
                                                  const std::string& field = "--platform");
    const platforms::spec::StackSpec& stack(const std::string& nameOrPath,
                                            const std::string& field = "--stack");
    /// Replaces a base spec for the rest of the session (calibration tries parameter values
    /// this way). The spec must be valid; results and hashes follow the new values.
    void replacePlatform(const std::string& nameOrPath, platforms::spec::PlatformSpec spec);
    void replaceStack(const std::string& nameOrPath, platforms::spec::StackSpec stack);

    /// The specs a query runs with: its platform and stack with its overrides applied, both
    /// validated as config files are, and the SHA-256 of each (over its deterministic
    /// serialisation, so formatting and comments of the files do not matter).
    struct Specs {
        platforms::spec::PlatformSpec platform;
        platforms::spec::StackSpec stack;
        std::string platformSha256;
        std::string stackSha256;
        /// Why the query cannot run with these specs: overrides that together make a spec
        /// invalid, or a platform the stack does not target (empty: it can).
        std::vector<Diagnostic> problems;
    };
    /// InputError for an unknown name, an override whose path or value type is bad (naming
    /// the override's source, line and field), or any of Specs::problems.
    const Specs& specs(const Query& query);

    /// Why `query` cannot run, without throwing for what depends on the combination of its
    /// values (its specs' problems, an operating point the overridden platform cannot run);
    /// nullopt when it can. Still throws InputError for what is wrong with a single input (an
    /// unknown name, a bad override path or value type, a bad mapping request): a sweep checks
    /// those before it starts.
    std::optional<Diagnostic> problem(const Query& query);

    /// The operating point `query` runs at; InputError when the platform cannot run there.
    sim::ResolvedOperatingPoint operatingPoint(const Query& query);

    /// The content hash of `query`: the SHA-256 over its effective specs, the network file's
    /// bytes, strategy, batch, resolved operating point, the mapping it runs with (its name and
    /// every layer's choice, so a mapper's result and the same mapping read from a file hash
    /// alike; a mapper's search runs here if it has not yet), fidelity and seed. The same
    /// inputs give the same hash in any process and order; names and paths as typed do not
    /// enter it. InputError as run().
    std::string hash(const Query& query);

    /// The layer-to-engine mapping `query` runs with: a mapping file resolved against the
    /// schedule, or the mapper's result (searched once per distinct inputs). InputError for a
    /// bad request (MappingRequest.h) and for every error of specs().
    const sim::Mapping& mapping(const Query& query);

    /// The simulator `query` runs on, reconfigured to its specs (for callers that need the
    /// model itself, e.g. to time a mapper's search).
    sim::Simulator& simulator(const Query& query) { return simulatorFor(specs(query)); }

    /// Simulates `query`. Throws InputError for bad input (see specs(), operatingPoint(),
    /// mapping(), network()), before anything is simulated; every other outcome is a value:
    /// the result's status is ok, does_not_fit or unsupported.
    QueryResult run(const Query& query, sim::SimObserver* observer = nullptr);

    /// How many simulators (SystemC models) the session holds now (for tests: a structural
    /// override elaborates a new one, a numeric one reconfigures).
    std::size_t simulatorCount() const { return simulators_.size(); }

    /// Most simulators (each its own SystemC context) and cached effective specs and mappings
    /// kept at once; the least recently used go first.
    static constexpr std::size_t kMaxSimulators = 8;
    static constexpr std::size_t kMaxCachedSpecs = 256;
    static constexpr std::size_t kMaxCachedMappings = 256;

private:
    struct SimulatorEntry {
        std::string key;       ///< platform + stack names + structure
        std::string specsKey;  ///< platform and stack hashes of the specs loaded now
        std::unique_ptr<sim::Simulator> simulator;
    };
    template <typename Spec> struct Base {
        std::string file;
        Spec spec;
    };

    const Specs& specsOf(const Query& query);  ///< specs() without throwing its problems
    sim::Simulator& simulatorFor(const Specs& specs);
    sim::RunOptions runOptions(const Query& query) const;
    std::string mappingKey(const Query& query);

    ConfigPaths paths_;
    std::map<std::string, std::unique_ptr<Network>> networks_;
    std::map<std::string, Base<platforms::spec::PlatformSpec>> platforms_;
    std::map<std::string, Base<platforms::spec::StackSpec>> stacks_;
    /// Effective specs by platform, stack and overrides; LRU order in specsOrder_.
    std::map<std::string, std::unique_ptr<Specs>> specs_;
    std::list<std::string> specsOrder_;
    std::list<SimulatorEntry> simulators_;  ///< most recently used first
    std::map<std::string, sim::Mapping> mappings_;
    std::list<std::string> mappingsOrder_;
};

/// Throws InputError naming `field` of `source` when `strategy` is not lowered by this build.
void checkStrategy(const std::string& strategy, const std::string& source,
                   const std::string& field);

} // namespace edgesim::explorer
