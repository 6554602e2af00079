#include "sim/model/OperatingPoint.h"

#include "common/Diagnostics.h"
#include "common/Strings.h"

#include <fmt/format.h>

#include <algorithm>

namespace edgesim::sim {

namespace {
std::optional<Diagnostic> problem(const std::string& file, const std::string& field,
                                  const std::string& reason) {
    Diagnostic d;
    d.file = file;
    d.field = field;
    d.reason = reason;
    return d;
}
} // namespace

namespace {
const platforms::spec::OperatingPoint* namedPoint(const platforms::spec::PlatformSpec& platform,
                                                  const std::string& name) {
    const platforms::spec::OperatingPoint* found = nullptr;
    for (const auto& op : platform.operating_points()) {
        if (op.name() == name) {
            found = &op; // the last of a name, as the platform's validation reports repeats
        }
    }
    return found;
}

std::vector<std::pair<std::string, double>>
memoryBandwidthsOf(const platforms::spec::OperatingPoint& op) {
    std::vector<std::pair<std::string, double>> out;
    for (const auto& m : op.memory_read_bandwidth()) {
        out.emplace_back(m.memory(), m.read_bytes_per_s());
    }
    return out;
}
} // namespace

double energyReferenceVoltage(const platforms::spec::PlatformSpec& platform) {
    return platform.energy_reference_voltage_v() > 0 ? platform.energy_reference_voltage_v()
                                                     : declaredOperatingPoint(platform).voltageV;
}

ResolvedOperatingPoint declaredOperatingPoint(const platforms::spec::PlatformSpec& platform) {
    const platforms::spec::OperatingPoint* p =
        namedPoint(platform, platform.default_operating_point());
    if (p == nullptr) {
        p = &platform.operating_points(0);
    }
    return {p->name(), p->clock_hz(), p->voltage_v(), memoryBandwidthsOf(*p)};
}

double readCyclesPerAccessAt(const platforms::spec::MemorySpec& memory,
                             const ResolvedOperatingPoint& op) {
    double bytesPerS = memory.read_bytes_per_s();
    for (const auto& [name, b] : op.memoryReadBytesPerS) {
        if (name == memory.name()) {
            bytesPerS = b;
        }
    }
    if (!(bytesPerS > 0)) {
        return 0.0;
    }
    const double widthBytes = static_cast<double>(memory.width_bits()) / 8.0;
    return std::max(1.0, widthBytes * op.clockHz / bytesPerS);
}

int readWaitStatesAt(const platforms::spec::MemorySpec& memory, double clockHz) {
    if (memory.read_wait_states_by_clock_size() == 0) {
        return memory.read_wait_states();
    }
    for (const auto& step : memory.read_wait_states_by_clock()) {
        if (clockHz <= step.max_clock_hz()) {
            return step.wait_states();
        }
    }
    return -1;
}

std::optional<Diagnostic> checkOperatingPoint(const platforms::spec::PlatformSpec& platform,
                                              const OperatingPointOverride& override,
                                              const std::string& source,
                                              ResolvedOperatingPoint* resolved) {
    const platforms::spec::OperatingPoint* base = namedPoint(
        platform, override.name.empty() ? platform.default_operating_point() : override.name);
    if (!override.name.empty() && base == nullptr) {
        std::vector<std::string> names;
        for (const auto& op : platform.operating_points()) {
            names.push_back(op.name());
        }
        return problem(source, override.nameField,
                       fmt::format("{} has no operating point '{}' (it has: {})", platform.name(),
                                   override.name, join(names)));
    }
    if (base == nullptr) {
        base = &platform.operating_points(0);
    }
    ResolvedOperatingPoint r{base->name(), base->clock_hz(), base->voltage_v(),
                             memoryBandwidthsOf(*base)};
    if (override.clockHz || override.voltageV) {
        r.name = kCustomOperatingPoint;
    }
    if (override.clockHz) {
        if (!(*override.clockHz > 0)) {
            return problem(source, override.clockField, "the clock must be > 0");
        }
        r.clockHz = *override.clockHz;
    }
    if (override.voltageV) {
        r.voltageV = *override.voltageV;
        const double lo = platform.min_voltage_v();
        const double hi = platform.max_voltage_v();
        if (!(r.voltageV > 0) || (hi > 0 && (r.voltageV < lo || r.voltageV > hi))) {
            return problem(source, override.voltageField,
                           fmt::format("{:g} V is outside the supply range [{:g}, {:g}] V of {}",
                                       r.voltageV, lo, hi, platform.name()));
        }
    }
    for (const auto& core : platform.cores()) {
        if (r.clockHz > core.max_clock_hz()) {
            return problem(source, override.clockHz ? override.clockField : "operating_points",
                           fmt::format("{:g} MHz is above the {:g} MHz maximum of core '{}' "
                                       "on {}",
                                       r.clockHz / 1e6, core.max_clock_hz() / 1e6, core.name(),
                                       platform.name()));
        }
    }
    for (const auto& m : platform.memories()) {
        if (readWaitStatesAt(m, r.clockHz) < 0) {
            const auto& last = m.read_wait_states_by_clock(m.read_wait_states_by_clock_size() - 1);
            return problem(source, override.clockHz ? override.clockField : "operating_points",
                           fmt::format("{:g} MHz is above the {:g} MHz limit of the wait-state "
                                       "table of memory '{}' on {}",
                                       r.clockHz / 1e6, last.max_clock_hz() / 1e6, m.name(),
                                       platform.name()));
        }
    }
    if (resolved != nullptr) {
        *resolved = r;
    }
    return std::nullopt;
}

ResolvedOperatingPoint resolveOperatingPoint(const platforms::spec::PlatformSpec& platform,
                                             const OperatingPointOverride& override,
                                             const std::string& source) {
    ResolvedOperatingPoint r;
    if (auto d = checkOperatingPoint(platform, override, source, &r)) {
        throw InputError(d->file, d->field, d->reason);
    }
    return r;
}

} // namespace edgesim::sim
