#include "sim/tlm/PlatformModel.h"

#include "sim/tlm/Time.h"

#include <functional>
#include <map>
#include <stdexcept>

namespace edgesim::sim {

/// Forwards spans with cycles relative to the start of the current run.
class PlatformModel::OffsetObserver : public SimObserver {
public:
    SimObserver* target = nullptr;
    uint64_t origin = 0;
    void onSpan(const std::string& track, const std::string& name, uint64_t startCycle,
                uint64_t endCycle, int64_t bytes) override {
        target->onSpan(track, name, startCycle - origin, endCycle - origin, bytes);
    }
};

PlatformModel::PlatformModel(const platforms::spec::PlatformSpec& spec)
    : offset_(std::make_unique<OffsetObserver>()) {
    if (!timeResolutionMatches()) {
        throw std::logic_error("PlatformModel: the SystemC time resolution must be 1 ps");
    }
    std::map<std::string, int> memoryIndex;
    for (int m = 0; m < spec.memories_size(); ++m) {
        memoryIndex[spec.memories(m).name()] = m;
        memories_.push_back(std::make_unique<Memory>(spec.memories(m).name().c_str()));
    }
    std::map<std::string, CoreEngine*> cores;
    for (const auto& c : spec.cores()) {
        cores_.push_back(std::make_unique<CoreEngine>(c.name().c_str()));
        cores[c.name()] = cores_.back().get();
    }
    std::map<std::string, DmaEngine*> dmas;
    for (const auto& d : spec.dmas()) {
        dmas_.push_back(std::make_unique<DmaEngine>(d.name().c_str(), d.channels(),
                                                     d.burst_bytes()));
        dmas[d.name()] = dmas_.back().get();
    }
    std::map<std::string, int> busIndex;
    std::vector<int> targetPorts;  // masters (and upstream bridges) bound per bus so far
    for (const auto& b : spec.buses()) {
        busIndex[b.name()] = static_cast<int>(buses_.size());
        buses_.push_back(std::make_unique<Bus>(b.name().c_str()));
        Bus& bus = *buses_.back();
        int port = 0;
        for (const auto& master : b.masters()) {
            if (auto it = cores.find(master); it != cores.end()) {
                it->second->socket.bind(bus.targetSocket);
            } else {
                dmas.at(master)->socket.bind(bus.targetSocket);
            }
            bus.nameMaster(port++, master);
        }
        targetPorts.push_back(port);
        port = 0;
        for (const auto& slave : b.slaves()) {
            const int m = memoryIndex.at(slave);
            bus.initiatorSocket.bind(memories_[static_cast<std::size_t>(m)]->socket);
            bus.mapSlave(m, port++, slave);
        }
    }
    // Bridges: a port of the upstream bus bound to the downstream bus, behind which every
    // memory the downstream bus reaches (transitively) is mapped.
    const std::function<void(int, std::vector<int>&)> reachable = [&](int b,
                                                                     std::vector<int>& out) {
        for (const auto& slave : spec.buses(b).slaves()) {
            out.push_back(memoryIndex.at(slave));
        }
        for (const auto& next : spec.buses(b).bridges()) {
            reachable(busIndex.at(next), out);
        }
    };
    for (int b = 0; b < spec.buses_size(); ++b) {
        int port = spec.buses(b).slaves_size();
        for (const auto& next : spec.buses(b).bridges()) {
            const int d = busIndex.at(next);
            Bus& down = *buses_[static_cast<std::size_t>(d)];
            buses_[static_cast<std::size_t>(b)]->initiatorSocket.bind(down.targetSocket);
            down.nameMaster(targetPorts[static_cast<std::size_t>(d)]++, spec.buses(b).name());
            std::vector<int> behind;
            reachable(d, behind);
            for (int m : behind) {
                buses_[static_cast<std::size_t>(b)]->mapSlave(m, port, next);
            }
            ++port;
        }
    }
    std::vector<DmaEngine*> allDmas;
    for (auto& d : dmas_) {
        allDmas.push_back(d.get());
    }
    std::vector<AccelEngine*> engines;
    for (const auto& e : spec.engines()) {
        engines_.push_back(std::make_unique<AccelEngine>(e.name().c_str(), allDmas));
        engines.push_back(engines_.back().get());
    }
    for (auto& c : cores_) {
        c->attachEngines(engines);
        c->attachDmas(allDmas);
    }
}

PlatformModel::~PlatformModel() = default;

void PlatformModel::prepare(const Program& program, SimObserver* observer) {
    offset_->target = observer;
    offset_->origin = timeToCycles(sc_core::sc_time_stamp());
    SimObserver* obs = observer != nullptr ? offset_.get() : nullptr;
    for (std::size_t m = 0; m < memories_.size(); ++m) {
        memories_[m]->setTiming(program.memories[m]);
        memories_[m]->resetStats();
    }
    for (std::size_t b = 0; b < buses_.size(); ++b) {
        buses_[b]->setTiming(program.buses[b]);
        buses_[b]->setObserver(obs);
        buses_[b]->resetStats();
    }
    for (std::size_t d = 0; d < dmas_.size(); ++d) {
        dmas_[d]->setObserver(obs);
        dmas_[d]->resetStats();
        dmas_[d]->setSetupCycles(d < program.dmas.size() ? program.dmas[d].setupCycles : 0);
        dmas_[d]->setBurstsPerSync(d < program.dmas.size() ? program.dmas[d].burstsPerSync : 1);
    }
    for (auto& e : engines_) {
        e->setObserver(obs);
    }
}

void PlatformModel::run(const Program& program, SimResult& result, SimObserver* observer) {
    if (!initialised_) {
        // Elaborate and run the initialisation phase, so every thread waits for its work
        // before the first notification.
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
        initialised_ = true;
    }
    prepare(program, observer);
    CoreEngine& core = *cores_.at(static_cast<std::size_t>(program.core));
    core.start(program, result.layers, observer != nullptr ? offset_.get() : nullptr);
    sc_core::sc_start();
    result.latencyCycles = core.endCycle() - core.startCycle();
    result.latencyS =
        static_cast<double>(result.latencyCycles) / program.operatingPoint.clockHz;
}

} // namespace edgesim::sim
