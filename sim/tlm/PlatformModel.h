// The elaborated SystemC model of a platform: one Memory per memory, one Bus per bus (bridges
// bind a bus port to another bus), one CoreEngine per core, one DmaEngine per DMA and one
// AccelEngine per engine, bound as the platform spec says. Built once;
// runs any number of programs (timing parameters are set per run, statistics reset), since
// SystemC cannot re-elaborate. Must live inside the SimContext it was built in.
#pragma once

#include "platforms/spec/platform.pb.h"
#include "sim/SimResult.h"
#include "sim/tlm/AccelEngine.h"
#include "sim/tlm/Bus.h"
#include "sim/tlm/CoreEngine.h"
#include "sim/tlm/DmaEngine.h"
#include "sim/tlm/Memory.h"

#include <memory>
#include <vector>

namespace edgesim::sim {

class PlatformModel {
public:
    explicit PlatformModel(const platforms::spec::PlatformSpec& spec);
    PlatformModel(const PlatformModel&) = delete;
    PlatformModel& operator=(const PlatformModel&) = delete;
    PlatformModel(PlatformModel&&) = delete;
    PlatformModel& operator=(PlatformModel&&) = delete;
    ~PlatformModel();

    /// Runs `program` on core `program.core` to completion (sc_start until idle) and fills
    /// the timeline of `result`. `observer` (may be null) sees spans relative to the run.
    void run(const Program& program, SimResult& result, SimObserver* observer);

    Memory& memory(int index) { return *memories_.at(static_cast<std::size_t>(index)); }
    Bus& bus(int index) { return *buses_.at(static_cast<std::size_t>(index)); }
    DmaEngine& dma(int index) { return *dmas_.at(static_cast<std::size_t>(index)); }
    CoreEngine& core(int index) { return *cores_.at(static_cast<std::size_t>(index)); }
    /// Applies the program's timing to every component and clears statistics.
    void prepare(const Program& program, SimObserver* observer);

private:
    class OffsetObserver;
    std::vector<std::unique_ptr<Memory>> memories_;
    std::vector<std::unique_ptr<Bus>> buses_;
    std::vector<std::unique_ptr<CoreEngine>> cores_;
    std::vector<std::unique_ptr<DmaEngine>> dmas_;
    std::vector<std::unique_ptr<AccelEngine>> engines_;
    std::unique_ptr<OffsetObserver> offset_;
    bool initialised_ = false;
};

} // namespace edgesim::sim
