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
#include "workloads/graph/Quantize.h"
#include "workloads/schedule/Schedule.h"

#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

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
        workloads::LoadedNetwork loaded; ///< in the deployment precision
        workloads::QuantizePlan precision;
        bool quantized = false; ///< the precision changed the network as stored
        workloads::Schedule schedule;
        /// The strategy's parameter values (StrategyOptions::canonical()), "" for none.
        std::string strategyOptions;
    };
    /// Loads, quantises (`quantize`: a --quantize value, empty = as stored) and lowers
    /// `nameOrPath` once per (name, strategy, its parameters, batch, quantize). InputError
    /// naming `field` (`strategyField` for an unknown strategy, `strategyParamsField` for a
    /// bad strategy parameter, `batchField` for a batch below 1,
    /// `quantizeField` for a bad precision, in `source`) when it cannot.
    const Network&
    network(const std::string& nameOrPath, const std::string& strategy, int batch,
            const std::string& field = "--network", const std::string& strategyField = "--strategy",
            const std::string& source = "<command line>", const std::string& batchField = "--batch",
            const std::string& quantize = "", const std::string& quantizeField = "--quantize",
            const std::vector<std::string>& strategyParams = {},
            const std::string& strategyParamsField = "--strategy-param");
    /// The network a query runs: in its --quantize precision, else its stack's default.
    const Network& network(const Query& query);

    /// Makes `network` (built in memory: a NAS candidate) what queries naming `name` run,
    /// with `sha256` (of its spec) standing for a file's bytes in hashes. Replaces a network
    /// defined earlier under that name, and everything lowered from it.
    void defineNetwork(const std::string& name, workloads::Network network,
                       const std::string& sha256);
    /// Drops a defined network and everything lowered from it (a search defines thousands).
    void forgetNetwork(const std::string& name);
    /// The precision a query runs in and why: "int8 (--quantize)", "int8 (default of stack
    /// gap-flow)", "as stored".
    std::string precision(const Query& query);

    /// The base specs of a platform or stack (a config name or a .textproto path), loaded and
    /// validated once; InputError naming `field` of `source` when unknown or invalid.
    const platforms::spec::PlatformSpec& platform(const std::string& nameOrPath,
                                                  const std::string& field = "--platform",
                                                  const std::string& source = "<command line>");
    const platforms::spec::StackSpec& stack(const std::string& nameOrPath,
                                            const std::string& field = "--stack",
                                            const std::string& source = "<command line>");
    /// The SHA-256 of a base spec (of its deterministic serialisation); loads it if needed.
    const std::string& platformSha256(const std::string& nameOrPath);
    const std::string& stackSha256(const std::string& nameOrPath);
    /// Replaces a base spec for the rest of the session (calibration tries parameter values
    /// this way). The spec must be valid; results and hashes follow the new values.
    void replacePlatform(const std::string& nameOrPath, platforms::spec::PlatformSpec spec);
    void replaceStack(const std::string& nameOrPath, platforms::spec::StackSpec stack);

    /// The specs a query runs with: its platform and stack with its overrides applied, both
    /// validated as config files are, and the SHA-256 of each: of the config's deterministic
    /// serialisation (formatting and comments of the file do not matter), and when overrides
    /// changed it, of that and the fields they changed with their final values, sorted (so
    /// the order overrides come in does not matter; a config edited by hand to the same values
    /// hashes differently from the original plus overrides, which is never wrong, only a miss
    /// for a cache).
    struct Specs {
        Specs(std::shared_ptr<const platforms::spec::PlatformSpec> p,
              std::shared_ptr<const platforms::spec::StackSpec> s)
            : platformShared(std::move(p)), stackShared(std::move(s)), platform(*platformShared),
              stack(*stackShared) {}
        /// Shared with the configs' base specs when no override changed them, and with the
        /// simulators that run them (never copied per query).
        std::shared_ptr<const platforms::spec::PlatformSpec> platformShared;
        std::shared_ptr<const platforms::spec::StackSpec> stackShared;
        const platforms::spec::PlatformSpec& platform;
        const platforms::spec::StackSpec& stack;
        std::string platformSha256;
        std::string stackSha256;
        std::string structure; ///< sim::platformStructure(platform)
        /// Why the query cannot run with these specs: overrides that together make a spec
        /// invalid, or a platform the stack does not target (empty: it can).
        std::vector<Diagnostic> problems;
        std::string labels; ///< the sources and fields `problems` name
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

    /// The content hash of `query`: the SHA-256 over its effective specs (Specs' hashes), the
    /// network file's bytes, strategy, batch, the resolved clock and supply, the mapping it
    /// runs with (every layer's choice, so a mapper's result and the same mapping read from a
    /// file hash alike; a mapper's search runs here if it has not yet), fidelity and seed.
    /// The same inputs give the same hash in any process and order; names and paths as typed
    /// (of the network, the operating point, the mapping) label results and do not enter it.
    /// InputError as run().
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
    /// `query` at `fidelity` with the mapping `query` itself gets (a query of its own, hashed
    /// as such): the other model on identical choices, as `simulate --fidelity both` compares.
    QueryResult runWithItsMapping(const Query& query, sim::Fidelity fidelity);

    /// How many simulators (SystemC models) the session holds now (for tests: a structural
    /// override elaborates a new one, a numeric one reconfigures).
    std::size_t simulatorCount() const { return simulators_.size(); }

    /// Most simulators (each its own SystemC context, about a megabyte: a sweep over every
    /// platform and stack keeps one per pair) and cached effective specs and mappings kept at
    /// once; the least recently used go first.
    static constexpr std::size_t kMaxSimulators = 32;
    static constexpr std::size_t kMaxCachedSpecs = 256;
    static constexpr std::size_t kMaxCachedMappings = 256;

private:
    /// A map that keeps at most `limit` entries, dropping the least recently used.
    template <typename Value> class Lru {
    public:
        explicit Lru(std::size_t limit) : limit_(limit) {}
        /// The entry of `key`, marked as used; null when absent.
        Value* find(const std::string& key) {
            auto it = map_.find(key);
            if (it == map_.end()) {
                return nullptr;
            }
            order_.splice(order_.begin(), order_, it->second.second);
            return it->second.first.get();
        }
        /// Adds (or replaces) the entry of `key`, most recently used.
        Value& insert(const std::string& key, std::unique_ptr<Value> value) {
            if (auto it = map_.find(key); it != map_.end()) {
                order_.erase(it->second.second);
                map_.erase(it);
            }
            order_.push_front(key);
            Value& v = *value;
            map_[key] = {std::move(value), order_.begin()};
            while (order_.size() > limit_) {
                map_.erase(order_.back());
                order_.pop_back();
            }
            return v;
        }
        void clear() {
            map_.clear();
            order_.clear();
        }
        std::size_t size() const { return map_.size(); }

    private:
        std::size_t limit_;
        std::list<std::string> order_; ///< most recently used first
        std::unordered_map<std::string,
                           std::pair<std::unique_ptr<Value>, std::list<std::string>::iterator>>
            map_;
    };
    struct SimulatorEntry {
        std::string platform, stack, structure;
        std::string platformSha256, stackSha256; ///< of the specs loaded now
        std::unique_ptr<sim::Simulator> simulator;
    };
    template <typename Spec> struct Base {
        std::string file;
        std::shared_ptr<const Spec> spec;
        std::string sha256; ///< of the spec's deterministic serialisation
    };
    struct CachedMapping {
        sim::Mapping mapping;
        std::string text; ///< sim::canonicalText(mapping), for query hashes
    };
    /// Everything a query resolves to before it runs.
    struct Prepared {
        const Specs* specs = nullptr;
        const Network* network = nullptr;
        sim::ResolvedOperatingPoint op;
        const CachedMapping* mapping = nullptr;
        std::string hash;
    };

    Prepared prepare(const Query& query);
    /// network(query) with the query's effective stack already resolved.
    const Network& networkFor(const Query& query, const platforms::spec::StackSpec& stack);
    const Specs& specsOf(const Query& query); ///< specs() without throwing its problems
    sim::Simulator& simulatorFor(const Specs& specs);
    sim::RunOptions runOptions(const Query& query) const;
    const CachedMapping& mappingOf(const Query& query, const Specs& specs, const Network& network,
                                   const sim::ResolvedOperatingPoint& op);
    /// SHA-256 of a mapping file, read again only when its size or modification time changed.
    const std::string& mappingFileSha256(const std::string& path);

    ConfigPaths paths_;
    std::map<std::string, std::unique_ptr<Network>> networks_;
    std::map<std::string, workloads::LoadedNetwork> defined_; ///< defineNetwork, by name
    std::map<std::string, Base<platforms::spec::PlatformSpec>> platforms_;
    std::map<std::string, Base<platforms::spec::StackSpec>> stacks_;
    Lru<Specs> specs_{kMaxCachedSpecs};    ///< by platform, stack and overrides
    std::list<SimulatorEntry> simulators_; ///< most recently used first
    Lru<CachedMapping> mappings_{kMaxCachedMappings};
    std::string baseStructure_[2]; ///< platform name and its structure, last computed
    struct FileDigest {
        std::filesystem::file_time_type modified;
        std::uintmax_t size = 0;
        std::string sha256;
    };
    std::map<std::string, FileDigest> mappingFiles_; ///< by path
};

/// Throws InputError naming `field` of `source` when `strategy` is not lowered by this build.
void checkStrategy(const std::string& strategy, const std::string& source,
                   const std::string& field);

} // namespace edgesim::explorer
