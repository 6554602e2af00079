#include "platforms/PlatformCatalog.h"

#include "common/TextProto.h"
#include "workloads/graph/Layer.h"

#include <fmt/format.h>

#include <set>

namespace edgesim::platforms {

namespace {

template <typename Msg>
void requireName(const Msg& m, const FieldCursor& at, std::set<std::string>* seen = nullptr) {
    if (m.name().empty()) {
        at.error(m, "name", "missing required field");
    } else if (seen != nullptr && !seen->insert(m.name()).second) {
        at.error(m, "name", "duplicate name '" + m.name() + "'");
    }
}

/// Range check with a hint when the value looks like it was given in another unit.
void checkRange(const google::protobuf::Message& m, const FieldCursor& at, const char* field,
                double v, double lo, double hi, const char* unit, const char* hint) {
    if (v < lo || v > hi) {
        at.error(m, field,
                 fmt::format("{} {} is out of range [{:g}, {:g}] {}{}", field, v, lo, hi, unit,
                             hint[0] != '\0' ? std::string(" (") + hint + ")" : ""));
    }
}

const std::set<std::string>& knownOps() {
    static const std::set<std::string> kOps = [] {
        std::set<std::string> s;
        // Kernels exist for every operator but the graph-input pseudo layer.
        for (int k = static_cast<int>(workloads::OpKind::Conv2d);
             k <= static_cast<int>(workloads::OpKind::Dequantize); ++k) {
            s.insert(std::string(workloads::toString(static_cast<workloads::OpKind>(k))));
        }
        return s;
    }();
    return kOps;
}

template <typename Spec>
Spec loadSpec(const std::string& kind, const std::string& nameOrPath, const ConfigPaths& paths,
              void (*validate)(const Spec&, const FieldCursor&)) {
    const std::string file =
        paths.locate(kind, nameOrPath, "--" + kind.substr(0, kind.size() - 1));
    Spec spec;
    auto locations = loadTextProto(file, spec);
    Diagnostics diags(file);
    validate(spec, FieldCursor(diags, locations.get()));
    diags.throwIfAny();
    return spec;
}

} // namespace

void validatePlatform(const spec::PlatformSpec& p, const FieldCursor& at) {
    requireName(p, at);
    if (p.operating_points_size() == 0) {
        at.error(p, "operating_points", "a platform needs at least one operating point");
    }
    std::set<std::string> opNames;
    for (int i = 0; i < p.operating_points_size(); ++i) {
        const auto& op = p.operating_points(i);
        FieldCursor c = at.child(p, "operating_points", i);
        requireName(op, c, &opNames);
        checkRange(op, c, "clock_hz", op.clock_hz(), 1e5, 1e10, "Hz",
                   op.clock_hz() > 0 && op.clock_hz() < 1e5 ? "looks like MHz; the field is in Hz"
                                                            : "");
        checkRange(op, c, "voltage_v", op.voltage_v(), 0.1, 5.0, "V",
                   op.voltage_v() > 5.0 ? "looks like mV; the field is in V" : "");
    }
    if (!p.default_operating_point().empty() && opNames.count(p.default_operating_point()) == 0) {
        at.error(p, "default_operating_point",
                 "unknown operating point '" + p.default_operating_point() + "'");
    }
    if (p.cores_size() == 0) {
        at.error(p, "cores", "a platform needs at least one core");
    }
    std::set<std::string> masters;
    for (int i = 0; i < p.cores_size(); ++i) {
        const auto& core = p.cores(i);
        FieldCursor c = at.child(p, "cores", i);
        requireName(core, c, &masters);
        if (core.isa() == spec::CORE_ISA_UNSPECIFIED) {
            c.error(core, "isa", "missing required field");
        }
        if (core.icache_bytes() < 0 || core.dcache_bytes() < 0) {
            c.error(core, core.icache_bytes() < 0 ? "icache_bytes" : "dcache_bytes",
                    "must be >= 0");
        }
        if (core.dynamic_power_w_per_hz() < 0) {
            c.error(core, "dynamic_power_w_per_hz", "must be >= 0");
        }
    }
    if (p.memories_size() == 0) {
        at.error(p, "memories", "a platform needs at least one memory");
    }
    std::set<std::string> memories;
    for (int i = 0; i < p.memories_size(); ++i) {
        const auto& m = p.memories(i);
        FieldCursor c = at.child(p, "memories", i);
        requireName(m, c, &memories);
        if (m.kind() == spec::MEMORY_KIND_UNSPECIFIED) {
            c.error(m, "kind", "missing required field");
        }
        checkRange(m, c, "size_bytes", static_cast<double>(m.size_bytes()), 1024, 1LL << 40,
                   "bytes",
                   m.size_bytes() > 0 && m.size_bytes() < 1024 ? "looks like KiB; the field is "
                                                                 "in bytes"
                                                               : "");
        if (m.width_bits() != 0 && m.width_bits() % 8 != 0) {
            c.error(m, "width_bits", "must be a multiple of 8");
        }
        if (m.read_wait_states() < 0 || m.write_wait_states() < 0) {
            c.error(m, m.read_wait_states() < 0 ? "read_wait_states" : "write_wait_states",
                    "must be >= 0");
        }
        if (m.read_energy_pj_per_byte() < 0 || m.write_energy_pj_per_byte() < 0 ||
            m.leakage_power_w() < 0) {
            c.error("energies and powers must be >= 0");
        }
    }
    std::set<std::string> buses;
    for (int i = 0; i < p.buses_size(); ++i) {
        const auto& b = p.buses(i);
        FieldCursor c = at.child(p, "buses", i);
        requireName(b, c, &buses);
        if (b.width_bits() <= 0 || b.width_bits() % 8 != 0) {
            c.error(b, "width_bits", "must be a positive multiple of 8");
        }
        for (int k = 0; k < b.masters_size(); ++k) {
            if (masters.count(b.masters(k)) == 0) {
                c.error(b, "masters", "unknown core '" + b.masters(k) + "'", k);
            }
        }
        for (int k = 0; k < b.slaves_size(); ++k) {
            if (memories.count(b.slaves(k)) == 0) {
                c.error(b, "slaves", "unknown memory '" + b.slaves(k) + "'", k);
            }
        }
    }
    if (p.static_power_w() < 0) {
        at.error(p, "static_power_w", "must be >= 0");
    }
}

void validateStack(const spec::StackSpec& s, const FieldCursor& at) {
    requireName(s, at);
    std::set<std::string> ops;
    for (int i = 0; i < s.kernels_size(); ++i) {
        const auto& k = s.kernels(i);
        FieldCursor c = at.child(s, "kernels", i);
        if (knownOps().count(k.op()) == 0) {
            c.error(k, "op", "unknown op '" + k.op() + "'");
        } else if (!ops.insert(k.op()).second) {
            c.error(k, "op", "duplicate kernel for op '" + k.op() + "'");
        }
        if (k.cycles_per_mac() < 0 || k.overhead_cycles() < 0 || k.cycles_per_output_byte() < 0) {
            c.error("cycle costs must be >= 0");
        }
    }
    if (s.per_inference_overhead_cycles() < 0) {
        at.error(s, "per_inference_overhead_cycles", "must be >= 0");
    }
}

spec::PlatformSpec loadPlatform(const std::string& nameOrPath, const ConfigPaths& paths) {
    return loadSpec<spec::PlatformSpec>("platforms", nameOrPath, paths, &validatePlatform);
}

spec::StackSpec loadStack(const std::string& nameOrPath, const ConfigPaths& paths) {
    return loadSpec<spec::StackSpec>("stacks", nameOrPath, paths, &validateStack);
}

std::vector<CatalogEntry> listPlatforms(const ConfigPaths& paths) {
    std::vector<CatalogEntry> out;
    for (const auto& name : paths.list("platforms")) {
        out.push_back({name, loadPlatform(name, paths).description()});
    }
    return out;
}

std::vector<CatalogEntry> listStacks(const ConfigPaths& paths) {
    std::vector<CatalogEntry> out;
    for (const auto& name : paths.list("stacks")) {
        out.push_back({name, loadStack(name, paths).description()});
    }
    return out;
}

} // namespace edgesim::platforms
