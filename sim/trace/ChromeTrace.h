// Chrome/Perfetto timeline of a simulation (Trace Event Format, JSON): one track (thread)
// per engine, DMA channel and bus port, complete events ("X") in microseconds of simulated
// time. Opens in ui.perfetto.dev and chrome://tracing.
#pragma once

#include "sim/trace/SimObserver.h"

#include <map>
#include <string>
#include <vector>

namespace edgesim::sim {

class ChromeTrace : public SimObserver {
public:
    void onSpan(const std::string& track, const std::string& name, uint64_t startCycle,
                uint64_t endCycle, int64_t bytes) override;

    /// Writes the trace; `clockHz` converts cycles to time, `processName` labels the
    /// process (e.g. "nucleo-l4r5zi / tflm-2.3 / mlperf_tiny/kws"). Throws InputError naming
    /// `path` when it cannot write; writes to a temporary file first, so a failure never
    /// leaves a partial trace.
    void write(const std::string& path, double clockHz, const std::string& processName) const;

    std::size_t spans() const { return spans_.size(); }

private:
    struct Span {
        int track;
        std::string name;
        uint64_t start;
        uint64_t end;
        int64_t bytes;
    };
    std::map<std::string, int> tracks_;
    std::vector<std::string> trackNames_;
    std::vector<Span> spans_;
};

} // namespace edgesim::sim
