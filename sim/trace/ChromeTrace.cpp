#include "sim/trace/ChromeTrace.h"

#include "common/TextProto.h"

#include "common/Diagnostics.h"

#include <nlohmann/json.hpp>

namespace edgesim::sim {

void ChromeTrace::onSpan(const std::string& track, const std::string& name, uint64_t startCycle,
                         uint64_t endCycle, int64_t bytes) {
    auto [it, added] = tracks_.emplace(track, static_cast<int>(trackNames_.size()));
    if (added) {
        trackNames_.push_back(track);
    }
    spans_.push_back({it->second, name, startCycle, endCycle, bytes});
}

void ChromeTrace::write(const std::string& path, double clockHz,
                        const std::string& processName) const {
    constexpr double kMicro = 1e6;
    nlohmann::json events = nlohmann::json::array();
    events.push_back(
        {{"ph", "M"}, {"pid", 1}, {"name", "process_name"}, {"args", {{"name", processName}}}});
    for (std::size_t t = 0; t < trackNames_.size(); ++t) {
        events.push_back({{"ph", "M"},
                          {"pid", 1},
                          {"tid", t + 1},
                          {"name", "thread_name"},
                          {"args", {{"name", trackNames_[t]}}}});
        events.push_back({{"ph", "M"},
                          {"pid", 1},
                          {"tid", t + 1},
                          {"name", "thread_sort_index"},
                          {"args", {{"sort_index", t}}}});
    }
    for (const auto& s : spans_) {
        nlohmann::json args = {{"start_cycle", s.start}, {"end_cycle", s.end}};
        if (s.bytes > 0) {
            args["bytes"] = s.bytes;
        }
        events.push_back({{"ph", "X"},
                          {"pid", 1},
                          {"tid", s.track + 1},
                          {"name", s.name},
                          {"ts", static_cast<double>(s.start) / clockHz * kMicro},
                          {"dur", static_cast<double>(s.end - s.start) / clockHz * kMicro},
                          {"args", args}});
    }
    const nlohmann::json doc = {{"traceEvents", events}, {"displayTimeUnit", "ns"}};
    // Names from an ONNX file may hold bytes that are not UTF-8: they become U+FFFD.
    writeFileAtomically(
        path, doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "--trace");
}

} // namespace edgesim::sim
