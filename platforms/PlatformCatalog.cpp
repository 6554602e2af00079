#include "platforms/PlatformCatalog.h"

#include "common/TextProto.h"
#include "workloads/graph/Layer.h"
#include "workloads/schedule/Schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

namespace edgesim::platforms {

namespace {

/// The smallest memory size that is a plausible size in KiB written where bytes go (16 KiB):
/// a size_bytes from it to 1023 gets the "looks like KiB" hint.
constexpr int64_t kSmallestKiBSize = 16;

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

/// Element types a kernel or datapath is keyed by: the weights' type of an integer layer
/// (int8, int16, int4, int2, ternary) or fp32.
constexpr const char* kKernelDtypes = "expected int8, int16, int4, int2, ternary or fp32";
bool isKernelDtype(const std::string& dtype) {
    const auto t = workloads::parseDType(dtype);
    return t && *t != workloads::DType::Int32;
}

bool isKernelActivationDtype(const std::string& dtype) {
    return dtype.empty() || dtype == "int8" || dtype == "int4" || dtype == "int2";
}

const std::set<std::string>& knownOps() {
    static const std::set<std::string> kOps = [] {
        std::set<std::string> s;
        for (workloads::OpKind k : workloads::kernelOpKinds()) {
            s.insert(std::string(workloads::toString(k)));
        }
        for (const std::string& op : workloads::trainingOps()) {
            s.insert(op);
        }
        return s;
    }();
    return kOps;
}

const std::set<std::string>& knownMappers() {
    static const std::set<std::string> kMappers = {"host-only", "greedy-latency", "greedy-energy",
                                                   "exhaustive"};
    return kMappers;
}

void requireNonNegative(const google::protobuf::Message& m, const FieldCursor& at,
                        std::initializer_list<std::pair<const char*, double>> fields) {
    for (const auto& [field, value] : fields) {
        if (value < 0) {
            at.error(m, field, "must be >= 0");
        }
    }
}

/// The memories a platform's masters reach: the slaves of each master's own bus, then of the
/// buses its bridges forward to (transitively; bridges are directional).
class Reach {
public:
    explicit Reach(const spec::PlatformSpec& p) : p_(p) {
        for (int b = 0; b < p.buses_size(); ++b) {
            busIndex_[p.buses(b).name()] = b;
            for (const auto& m : p.buses(b).masters()) {
                masterBus_.emplace(m, b);
            }
        }
        for (const auto& d : p.dmas()) {
            dmaReach_.push_back(memoriesOf(d.name()));
        }
    }

    /// Memories `master` reaches through its bus and bridges.
    std::set<std::string> memoriesOf(const std::string& master) const {
        std::set<std::string> out;
        const auto it = masterBus_.find(master);
        if (it == masterBus_.end()) {
            return out;
        }
        std::set<int> seen;
        std::vector<int> stack{it->second};
        while (!stack.empty()) {
            const int b = stack.back();
            stack.pop_back();
            if (!seen.insert(b).second) {
                continue;
            }
            const auto& bus = p_.buses(b);
            out.insert(bus.slaves().begin(), bus.slaves().end());
            for (const auto& bridge : bus.bridges()) {
                if (const auto bi = busIndex_.find(bridge); bi != busIndex_.end()) {
                    stack.push_back(bi->second);
                }
            }
        }
        return out;
    }

    /// True when a chain of DMAs moves data from memory `from` to memory `to` (each hop by
    /// a DMA reaching both ends), as the simulator stages tiles (e.g. L3 -> L2 -> L1).
    bool dmaChain(const std::string& from, const std::string& to) const {
        std::set<std::string> seen{from};
        std::vector<std::string> frontier{from};
        while (!frontier.empty()) {
            const std::string m = frontier.back();
            frontier.pop_back();
            if (m == to) {
                return true;
            }
            for (const auto& reach : dmaReach_) {
                if (reach.count(m) == 0) {
                    continue;
                }
                for (const auto& next : reach) {
                    if (seen.insert(next).second) {
                        frontier.push_back(next);
                    }
                }
            }
        }
        return false;
    }

private:
    const spec::PlatformSpec& p_;
    std::map<std::string, int> busIndex_;
    std::map<std::string, int> masterBus_;
    std::vector<std::set<std::string>> dmaReach_; ///< per DMA, in spec order
};

/// Bridges name known buses other than their own, and never form a cycle.
void validateBridges(const spec::PlatformSpec& p, const FieldCursor& at,
                     const std::set<std::string>& buses) {
    std::map<std::string, int> index;
    for (int i = 0; i < p.buses_size(); ++i) {
        index.emplace(p.buses(i).name(), i);
    }
    bool valid = true;
    for (int i = 0; i < p.buses_size(); ++i) {
        const auto& b = p.buses(i);
        FieldCursor c = at.child(p, "buses", i);
        std::set<std::string> listed;
        for (int k = 0; k < b.bridges_size(); ++k) {
            const std::string& target = b.bridges(k);
            if (buses.count(target) == 0) {
                c.error(b, "bridges", "unknown bus '" + target + "'", k);
                valid = false;
            } else if (target == b.name()) {
                c.error(b, "bridges", "bus '" + target + "' cannot bridge to itself", k);
                valid = false;
            } else if (!listed.insert(target).second) {
                c.error(b, "bridges", "bus '" + target + "' is listed twice", k);
            }
        }
    }
    if (!valid) {
        return;
    }
    // Depth-first search; an edge to a bus still on the stack closes a cycle.
    enum class Mark { kNew, kActive, kDone };
    std::vector<Mark> mark(static_cast<std::size_t>(p.buses_size()), Mark::kNew);
    std::vector<int> path;
    std::function<void(int)> visit = [&](int b) {
        mark[static_cast<std::size_t>(b)] = Mark::kActive;
        path.push_back(b);
        const auto& bus = p.buses(b);
        for (int k = 0; k < bus.bridges_size(); ++k) {
            const auto it = index.find(bus.bridges(k));
            if (it == index.end()) {
                continue;
            }
            const int next = it->second;
            if (mark[static_cast<std::size_t>(next)] == Mark::kActive) {
                std::string cycle;
                for (auto pos = std::find(path.begin(), path.end(), next); pos != path.end();
                     ++pos) {
                    cycle += p.buses(*pos).name() + " -> ";
                }
                cycle += p.buses(next).name();
                at.child(p, "buses", b).error(bus, "bridges", "bridges form a cycle: " + cycle, k);
            } else if (mark[static_cast<std::size_t>(next)] == Mark::kNew) {
                visit(next);
            }
        }
        path.pop_back();
        mark[static_cast<std::size_t>(b)] = Mark::kDone;
    };
    for (int b = 0; b < p.buses_size(); ++b) {
        if (mark[static_cast<std::size_t>(b)] == Mark::kNew) {
            visit(b);
        }
    }
}

void validateOpList(const google::protobuf::Message& m, const FieldCursor& at,
                    const google::protobuf::RepeatedPtrField<std::string>& ops) {
    if (ops.empty()) {
        at.error(m, "ops", "an engine needs at least one op it executes");
    }
    std::set<std::string> seen;
    for (int k = 0; k < ops.size(); ++k) {
        if (knownOps().count(ops.Get(k)) == 0) {
            at.error(m, "ops", "unknown op '" + ops.Get(k) + "'", k);
        } else if (!seen.insert(ops.Get(k)).second) {
            at.error(m, "ops", "op '" + ops.Get(k) + "' is listed twice", k);
        }
    }
}

void validateCluster(const spec::ClusterSpec& cl, const FieldCursor& at) {
    if (cl.cores() < 1) {
        at.error(cl, "cores", "a cluster needs at least one core");
    }
    if (cl.l1_banks() < 1) {
        at.error(cl, "l1_banks", "a cluster's L1 needs at least one bank");
    }
    requireNonNegative(cl, at,
                       {{"barrier_cycles", cl.barrier_cycles()},
                        {"l1_accesses_per_cycle", cl.l1_accesses_per_cycle()}});
}

/// An array's spatial unroll: at least one dimension, each once, sizes >= 1.
template <typename Message>
void validateUnroll(const Message& m,
                    const google::protobuf::RepeatedPtrField<spec::SpatialUnroll>& unroll,
                    const FieldCursor& at) {
    if (unroll.empty()) {
        at.error(m, "unroll", "an NPU needs at least one spatial unroll (its MAC array)");
    }
    std::set<int> dims;
    for (int k = 0; k < unroll.size(); ++k) {
        const auto& u = unroll.Get(k);
        FieldCursor c = at.child(m, "unroll", k);
        if (u.dim() == spec::LOOP_DIM_UNSPECIFIED) {
            c.error(u, "dim", "missing required field");
        } else if (!dims.insert(u.dim()).second) {
            c.error(u, "dim",
                    "loop dimension " + spec::LoopDim_Name(u.dim()) + " is unrolled twice");
        }
        if (u.size() < 1) {
            c.error(u, "size", "must be >= 1");
        }
    }
}

/// The `sizes` of a filter limit or mode: at least one, each "HxW" with H, W >= 1.
template <typename Message> void validateFilterSizes(const Message& m, const FieldCursor& c) {
    if (m.sizes_size() == 0) {
        c.error(m, "sizes", "list at least one filter size (\"HxW\", e.g. \"3x3\")");
    }
    for (int s = 0; s < m.sizes_size(); ++s) {
        int h = 0;
        int w = 0;
        char x = 0;
        std::istringstream in(m.sizes(s));
        if (!(in >> h >> x >> w) || x != 'x' || h < 1 || w < 1 || in.peek() != EOF) {
            c.error(m, "sizes", "'" + m.sizes(s) + "' is not a filter size \"HxW\" (e.g. \"3x3\")",
                    s);
        }
    }
}

void validateNpu(const spec::NpuSpec& npu, const FieldCursor& at) {
    validateUnroll(npu, npu.unroll(), at);
    for (int k = 0; k < npu.filter_modes_size(); ++k) {
        const auto& m = npu.filter_modes(k);
        FieldCursor c = at.child(npu, "filter_modes", k);
        if (std::find(npu.ops().begin(), npu.ops().end(), m.op()) == npu.ops().end()) {
            c.error(m, "op", "'" + m.op() + "' is not in this engine's ops");
        }
        validateFilterSizes(m, c);
        validateUnroll(m, m.unroll(), c);
        if (!(m.cycles_per_step() >= 0) || !std::isfinite(m.cycles_per_step())) {
            c.error(m, "cycles_per_step", "must be a finite number >= 0 (0 = 1)");
        }
    }
    for (int k = 0; k < npu.throughput_size(); ++k) {
        const auto& t = npu.throughput(k);
        FieldCursor c = at.child(npu, "throughput", k);
        if (!isKernelDtype(t.dtype())) {
            c.error(t, "dtype", "unknown dtype '" + t.dtype() + "' (" + kKernelDtypes + ")");
        }
        if (t.factor() <= 0) {
            c.error(t, "factor", "must be > 0");
        }
    }
    validateOpList(npu, at, npu.ops());
    std::set<std::string> limited;
    for (int k = 0; k < npu.filter_limits_size(); ++k) {
        const auto& l = npu.filter_limits(k);
        FieldCursor c = at.child(npu, "filter_limits", k);
        if (std::find(npu.ops().begin(), npu.ops().end(), l.op()) == npu.ops().end()) {
            c.error(l, "op", "'" + l.op() + "' is not in this engine's ops");
        } else if (!limited.insert(l.op()).second) {
            c.error(l, "op", "'" + l.op() + "' is limited twice");
        }
        validateFilterSizes(l, c);
    }
    if (npu.elementwise_lanes() < 0) {
        at.error(npu, "elementwise_lanes", "must be >= 0");
    }
    requireNonNegative(npu, at,
                       {{"fill_cycles", npu.fill_cycles()},
                        {"buffer_read_energy_pj_per_byte", npu.buffer_read_energy_pj_per_byte()}});
}

void validateAimc(const spec::AimcSpec& a, const FieldCursor& at) {
    if (a.rows() < 1) {
        at.error(a, "rows", "an AIMC array needs at least one row");
    }
    if (a.columns() < 1) {
        at.error(a, "columns", "an AIMC array needs at least one column");
    }
    const double t = a.mvm_latency_s();
    checkRange(a, at, "mvm_latency_s", t, 1e-10, 1e-5, "s",
               t >= 1.0   ? "looks like ns; the field is in s"
               : t > 1e-5 ? "the field is in s"
               : t > 0    ? "below 0.1 ns; the field is in s"
                          : "");
    requireNonNegative(a, at,
                       {{"program_cycles_per_row", a.program_cycles_per_row()},
                        {"dac_energy_pj", a.dac_energy_pj()},
                        {"adc_energy_pj", a.adc_energy_pj()},
                        {"program_energy_pj_per_cell", a.program_energy_pj_per_cell()}});
    if (a.weight_bits() < 1 || a.weight_bits() > 16) {
        at.error(a, "weight_bits", "must be in [1, 16]");
    }
    if (a.activation_bits() < 1 || a.activation_bits() > 16) {
        at.error(a, "activation_bits", "must be in [1, 16]");
    }
    validateOpList(a, at, a.ops());
    if (a.max_pixel_unroll() < 0) {
        at.error(a, "max_pixel_unroll", "must be >= 0 (0 = 1: one pixel per operation)");
    }
    if (a.min_rows_per_channel_group() < 0) {
        at.error(a, "min_rows_per_channel_group", "must be >= 0");
    }
}

/// Engines: unique names (also among cores, DMAs, memories and buses: the simulator names
/// its modules and energy components after them), a config block matching the kind, and a
/// local memory the engine's DMA reaches (the data's memories must connect to it through a
/// chain of DMAs).
void validateEngines(const spec::PlatformSpec& p, const FieldCursor& at,
                     const std::set<std::string>& coresAndDmas,
                     const std::map<std::string, int64_t>& memorySizes,
                     const std::set<std::string>& buses, bool namesValid) {
    std::set<std::string> dmas;
    for (const auto& d : p.dmas()) {
        dmas.insert(d.name());
    }
    const Reach reach(p);
    std::set<std::string> engines;
    for (int i = 0; i < p.engines_size(); ++i) {
        const auto& e = p.engines(i);
        FieldCursor c = at.child(p, "engines", i);
        requireName(e, c, &engines);
        if (!e.name().empty() && (coresAndDmas.count(e.name()) > 0 ||
                                  memorySizes.count(e.name()) > 0 || buses.count(e.name()) > 0)) {
            c.error(e, "name",
                    "engine name '" + e.name() + "' is already used by a core, DMA, memory or bus");
        }
        static const std::map<spec::EngineKind,
                              std::pair<spec::EngineSpec::ConfigCase, const char*>>
            kBlocks = {{spec::CLUSTER, {spec::EngineSpec::kCluster, "cluster"}},
                       {spec::NPU, {spec::EngineSpec::kNpu, "npu"}},
                       {spec::AIMC, {spec::EngineSpec::kAimc, "aimc"}}};
        const char* given = e.config_case() == spec::EngineSpec::kCluster ? "cluster"
                            : e.config_case() == spec::EngineSpec::kNpu   ? "npu"
                            : e.config_case() == spec::EngineSpec::kAimc  ? "aimc"
                                                                          : nullptr;
        if (e.kind() == spec::ENGINE_KIND_UNSPECIFIED) {
            c.error(e, "kind", "missing required field (CLUSTER, NPU or AIMC)");
        } else if (const auto it = kBlocks.find(e.kind()); it != kBlocks.end()) {
            if (given == nullptr) {
                c.error(e, "kind",
                        fmt::format("kind {} needs a `{} {{ ... }}` block",
                                    spec::EngineKind_Name(e.kind()), it->second.second));
            } else if (e.config_case() != it->second.first) {
                c.error(e, given,
                        fmt::format("a `{}` block does not match kind {} (expected `{}`)", given,
                                    spec::EngineKind_Name(e.kind()), it->second.second));
            }
        }
        switch (e.config_case()) {
        case spec::EngineSpec::kCluster: validateCluster(e.cluster(), c.child(e, "cluster")); break;
        case spec::EngineSpec::kNpu: validateNpu(e.npu(), c.child(e, "npu")); break;
        case spec::EngineSpec::kAimc: validateAimc(e.aimc(), c.child(e, "aimc")); break;
        default: break;
        }
        requireNonNegative(e, c,
                           {{"busy_capacitance_pf", e.busy_capacitance_pf()},
                            {"mac_capacitance_pf", e.mac_capacitance_pf()},
                            {"leakage_power_w", e.leakage_power_w()},
                            {"launch_cycles", e.launch_cycles()}});
        if (e.reserved_local_bytes() < 0) {
            c.error(e, "reserved_local_bytes", "must be >= 0");
        }
        bool linked = true;
        const auto memory = memorySizes.find(e.local_memory());
        if (e.local_memory().empty()) {
            c.error(e, "local_memory", "missing required field");
            linked = false;
        } else if (memory == memorySizes.end()) {
            c.error(e, "local_memory", "unknown memory '" + e.local_memory() + "'");
            linked = false;
        } else if (e.reserved_local_bytes() >= memory->second) {
            c.error(e, "reserved_local_bytes",
                    fmt::format("reserved_local_bytes {} leaves nothing of the {} bytes of '{}'",
                                e.reserved_local_bytes(), memory->second, e.local_memory()));
        }
        if (e.dma().empty()) {
            c.error(e, "dma", "missing required field");
            linked = false;
        } else if (dmas.count(e.dma()) == 0) {
            c.error(e, "dma", "unknown DMA '" + e.dma() + "'");
            linked = false;
        }
        // Reachability needs valid buses and placement names (no follow-on errors).
        if (!linked || !namesValid) {
            continue;
        }
        if (reach.memoriesOf(e.dma()).count(e.local_memory()) == 0) {
            c.error(e, "local_memory",
                    "DMA '" + e.dma() + "' cannot reach memory '" + e.local_memory() +
                        "' (not a slave of its bus or of a bus it bridges to)");
            continue;
        }
        const auto& pl = p.placement();
        for (const std::string& data :
             std::set<std::string>{pl.activations_memory(), pl.weights_memory()}) {
            if (memorySizes.count(data) > 0 && !reach.dmaChain(data, e.local_memory())) {
                c.error(e, "dma",
                        "no DMA (or chain of DMAs) moves data from '" + data + "' to '" +
                            e.local_memory() + "'");
            }
        }
    }
}

/// Weight streaming (placement.weights_stream_memory): an L3 memory other than the weights
/// memory, which must be the activations memory and a RAM (streamed weights are written into
/// it next to the arena), connected to it by a chain of DMAs, and at least one buffer.
void validateWeightStreaming(const spec::PlatformSpec& p, const FieldCursor& at, bool namesValid) {
    const auto& pl = p.placement();
    FieldCursor pc = at.child(p, "placement");
    if (pl.weights_stream_buffers() < 0) {
        pc.error(pl, "weights_stream_buffers", "must be >= 0");
    }
    const std::string& l3 = pl.weights_stream_memory();
    if (l3.empty() || !namesValid) {
        return;
    }
    const spec::MemorySpec* stream = nullptr;
    const spec::MemorySpec* weights = nullptr;
    for (const auto& m : p.memories()) {
        stream = m.name() == l3 ? &m : stream;
        weights = m.name() == pl.weights_memory() ? &m : weights;
    }
    if (stream == nullptr) {
        pc.error(pl, "weights_stream_memory", "unknown memory '" + l3 + "'");
        return;
    }
    if (pl.weights_stream_buffers() < 1) {
        pc.error(pl, "weights_stream_buffers",
                 "must be >= 1 when weights_stream_memory is set (2 = double buffering)");
    }
    if (weights == nullptr) {
        return; // reported with weights_memory
    }
    if (l3 == pl.weights_memory()) {
        pc.error(pl, "weights_stream_memory",
                 "'" + l3 +
                     "' is the weights memory itself; name the L3 memory the weights "
                     "that do not fit there stream from");
    } else if (pl.weights_memory() != pl.activations_memory() ||
               (weights->kind() != spec::SRAM && weights->kind() != spec::TCM &&
                weights->kind() != spec::EXTERNAL_RAM)) {
        pc.error(pl, "weights_stream_memory",
                 "streaming needs weights_memory to be the activations memory, a RAM the "
                 "streamed weights are written into ('" +
                     pl.weights_memory() + "' is not)");
    } else if (!Reach(p).dmaChain(l3, pl.weights_memory())) {
        pc.error(pl, "weights_stream_memory",
                 "no DMA (or chain of DMAs) moves data from '" + l3 + "' to '" +
                     pl.weights_memory() + "'");
    }
}

template <typename Spec>
Spec loadSpec(const std::string& kind, const std::string& nameOrPath, const ConfigPaths& paths,
              void (*validate)(const Spec&, const FieldCursor&)) {
    const std::string file = paths.locate(kind, nameOrPath, "--" + kind.substr(0, kind.size() - 1));
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
    checkRange(p, at, "min_voltage_v", p.min_voltage_v(), 0.0, 5.0, "V",
               p.min_voltage_v() > 5.0 ? "looks like mV; the field is in V" : "");
    checkRange(p, at, "max_voltage_v", p.max_voltage_v(), 0.0, 5.0, "V",
               p.max_voltage_v() > 5.0 ? "looks like mV; the field is in V" : "");
    if (p.max_voltage_v() > 0 && p.min_voltage_v() > p.max_voltage_v()) {
        at.error(p, "min_voltage_v", "min_voltage_v is above max_voltage_v");
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
        for (int k = 0; k < op.memory_read_bandwidth_size(); ++k) {
            const auto& mb = op.memory_read_bandwidth(k);
            FieldCursor b = c.child(op, "memory_read_bandwidth", k);
            const bool known = std::any_of(p.memories().begin(), p.memories().end(),
                                           [&](const auto& m) { return m.name() == mb.memory(); });
            if (!known) {
                b.error(mb, "memory", "unknown memory '" + mb.memory() + "'");
            }
            if (!(mb.read_bytes_per_s() > 0)) {
                b.error(mb, "read_bytes_per_s", "must be > 0");
            }
        }
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
        checkRange(core, c, "max_clock_hz", core.max_clock_hz(), 1e5, 1e10, "Hz",
                   core.max_clock_hz() > 0 && core.max_clock_hz() < 1e5
                       ? "looks like MHz; the field is in Hz"
                       : "");
        checkRange(core, c, "cycle_scale", core.cycle_scale(), 0.05, 20.0, "", "");
        requireNonNegative(core, c,
                           {{"run_current_ua_per_mhz", core.run_current_ua_per_mhz()},
                            {"mac_energy_pj", core.mac_energy_pj()},
                            {"idle_current_ua_per_mhz", core.idle_current_ua_per_mhz()}});
    }
    for (int i = 0; i < p.dmas_size(); ++i) {
        const auto& d = p.dmas(i);
        FieldCursor c = at.child(p, "dmas", i);
        requireName(d, c, &masters);
        if (d.channels() < 1) {
            c.error(d, "channels", "a DMA needs at least one channel");
        }
        if (d.burst_bytes() <= 0) {
            c.error(d, "burst_bytes", "must be > 0");
        }
        if (d.setup_cycles() < 0) {
            c.error(d, "setup_cycles", "must be >= 0");
        }
        if (d.bursts_per_sync() < 0) {
            c.error(d, "bursts_per_sync", "must be >= 0");
        }
    }
    if (p.memories_size() == 0) {
        at.error(p, "memories", "a platform needs at least one memory");
    }
    std::set<std::string> memories;
    std::map<std::string, int64_t> memorySizes;
    for (int i = 0; i < p.memories_size(); ++i) {
        const auto& m = p.memories(i);
        FieldCursor c = at.child(p, "memories", i);
        requireName(m, c, &memories);
        memorySizes.emplace(m.name(), m.size_bytes());
        if (m.kind() == spec::MEMORY_KIND_UNSPECIFIED) {
            c.error(m, "kind", "missing required field");
        }
        checkRange(m, c, "size_bytes", static_cast<double>(m.size_bytes()), 1024, 1LL << 40,
                   "bytes",
                   // kSmallestKiBSize..1023: a size in KiB written where bytes go (64, 512);
                   // smaller values are no size in either unit.
                   m.size_bytes() >= kSmallestKiBSize && m.size_bytes() < 1024
                       ? "looks like KiB; the field is in bytes"
                       : "");
        if (m.width_bits() <= 0 || m.width_bits() % 8 != 0) {
            c.error(m, "width_bits", "must be a positive multiple of 8");
        }
        if (m.read_wait_states() < 0 || m.write_wait_states() < 0) {
            c.error(m, m.read_wait_states() < 0 ? "read_wait_states" : "write_wait_states",
                    "must be >= 0");
        }
        double lastClock = 0;
        for (int k = 0; k < m.read_wait_states_by_clock_size(); ++k) {
            const auto& step = m.read_wait_states_by_clock(k);
            FieldCursor s = c.child(m, "read_wait_states_by_clock", k);
            if (step.max_clock_hz() <= lastClock) {
                s.error(step, "max_clock_hz", "rows must have ascending max_clock_hz");
            }
            if (step.wait_states() < 0) {
                s.error(step, "wait_states", "must be >= 0");
            }
            lastClock = step.max_clock_hz();
        }
        if (m.read_bytes_per_s() < 0) {
            c.error(m, "read_bytes_per_s", "must be >= 0");
        } else if (m.read_bytes_per_s() > 0 && m.read_wait_states_by_clock_size() > 0) {
            c.error(m, "read_bytes_per_s",
                    "a memory reads at a fixed bandwidth or by a wait-state table, not both");
        }
        if (m.cache_bytes() < 0 || m.latency_cycles() < 0) {
            c.error(m, m.cache_bytes() < 0 ? "cache_bytes" : "latency_cycles", "must be >= 0");
        }
        if (m.read_energy_pj_per_byte() < 0 || m.write_energy_pj_per_byte() < 0 ||
            m.leakage_power_w() < 0) {
            c.error("energies and powers must be >= 0");
        }
    }
    std::set<std::string> buses;
    std::set<std::string> onBus;
    for (int i = 0; i < p.buses_size(); ++i) {
        const auto& b = p.buses(i);
        FieldCursor c = at.child(p, "buses", i);
        requireName(b, c, &buses);
        if (b.width_bits() <= 0 || b.width_bits() % 8 != 0) {
            c.error(b, "width_bits", "must be a positive multiple of 8");
        }
        if (b.latency_cycles() < 0 || b.energy_pj_per_beat() < 0) {
            c.error(b, b.latency_cycles() < 0 ? "latency_cycles" : "energy_pj_per_beat",
                    "must be >= 0");
        }
        for (int k = 0; k < b.masters_size(); ++k) {
            if (masters.count(b.masters(k)) == 0) {
                c.error(b, "masters", "unknown core or DMA '" + b.masters(k) + "'", k);
            } else if (!onBus.insert(b.masters(k)).second) {
                c.error(b, "masters", "'" + b.masters(k) + "' is a master on two buses", k);
            }
        }
        for (int k = 0; k < b.slaves_size(); ++k) {
            if (memories.count(b.slaves(k)) == 0) {
                c.error(b, "slaves", "unknown memory '" + b.slaves(k) + "'", k);
            }
        }
    }
    validateBridges(p, at, buses);
    // Connectivity and placement only make sense once names are valid (no follow-on errors).
    const bool namesValid = at.diagnostics().empty();
    if (p.buses_size() == 0) {
        at.error(p, "buses", "a platform needs at least one bus connecting its cores to memory");
    } else if (namesValid) {
        for (const auto& m : masters) {
            if (onBus.count(m) == 0) {
                at.error(p, "buses", "core or DMA '" + m + "' is not a master on any bus");
            }
        }
        std::map<std::string, int> slaveOf;
        for (const auto& b : p.buses()) {
            for (const auto& s : b.slaves()) {
                ++slaveOf[s];
            }
        }
        for (const auto& m : memories) {
            if (slaveOf[m] != 1) {
                at.error(p, "buses",
                         "memory '" + m + "' must be a slave of exactly one bus (it is on " +
                             std::to_string(slaveOf[m]) + ")");
            }
        }
    }
    const auto& pl = p.placement();
    FieldCursor pc = at.child(p, "placement");
    for (const char* field : {"weights_memory", "activations_memory", "code_memory"}) {
        const auto* fd = pl.GetDescriptor()->FindFieldByName(field);
        const std::string value = pl.GetReflection()->GetString(pl, fd);
        if (value.empty()) {
            pc.error(pl, field, "missing required field");
        } else if (namesValid && memories.count(value) == 0) {
            pc.error(pl, field, "unknown memory '" + value + "'");
        }
    }
    if (p.static_power_w() < 0) {
        at.error(p, "static_power_w", "must be >= 0");
    }
    checkRange(p, at, "energy_reference_voltage_v", p.energy_reference_voltage_v(), 0.0, 5.0, "V",
               p.energy_reference_voltage_v() > 5.0 ? "looks like mV; the field is in V" : "");
    if (p.background_energy_pj_per_cycle() < 0) {
        at.error(p, "background_energy_pj_per_cycle", "must be >= 0");
    }
    validateWeightStreaming(p, at, namesValid);
    validateEngines(p, at, masters, memorySizes, buses, namesValid);
}

void validateCondition(const spec::KernelCondition& w, const FieldCursor& at) {
    if (w.window() < 0 || w.stride() < 0 || w.channel_multiple() < 0) {
        at.error(w,
                 w.window() < 0   ? "window"
                 : w.stride() < 0 ? "stride"
                                  : "channel_multiple",
                 "must be >= 0 (0 = any)");
    }
    if (w.window() == 0 && w.stride() == 0 && !w.unpadded() && w.channel_multiple() == 0) {
        at.error("sets no condition: a specialised kernel needs at least one (window, stride, "
                 "unpadded, channel_multiple)");
    }
}

void validateStack(const spec::StackSpec& s, const FieldCursor& at) {
    requireName(s, at);
    std::set<std::string> ops; // engine/op/dtype: one kernel per op and type on each engine
    for (int i = 0; i < s.kernels_size(); ++i) {
        const auto& k = s.kernels(i);
        FieldCursor c = at.child(s, "kernels", i);
        if (!k.dtype().empty() && !isKernelDtype(k.dtype())) {
            c.error(k, "dtype", "unknown dtype '" + k.dtype() + "' (" + kKernelDtypes + ")");
        }
        if (!isKernelActivationDtype(k.activation_dtype())) {
            c.error(k, "activation_dtype",
                    "unknown activation type '" + k.activation_dtype() +
                        "' (expected int8, int4 or int2: wider types are keyed by dtype)");
        }
        const std::string dtype = kernelTypeKey(k);
        const std::string key = k.engine() + "/" + k.op() + "/" + dtype;
        if (knownOps().count(k.op()) == 0) {
            c.error(k, "op", "unknown op '" + k.op() + "'");
        } else if (k.has_when()) {
            validateCondition(k.when(), c.child(k, "when"));
        } else if (!ops.insert(key).second) {
            c.error(k, "op",
                    "duplicate kernel for op '" + k.op() + "' (" + dtype + ") on " +
                        (k.engine().empty() ? std::string("the host core")
                                            : "engine '" + k.engine() + "'"));
        }
        if (k.cycles_per_mac() < 0 || k.scalar_cycles_per_mac() < 0 || k.overhead_cycles() < 0 ||
            k.cycles_per_output() < 0 || k.cycles_per_input() < 0 || k.cycles_per_tap() < 0 ||
            k.im2col_cycles_per_element() < 0 || k.im2col_cycles_per_position() < 0) {
            c.error("cycle costs must be >= 0");
        }
        if (k.soft_float_cycle_scale() < 0) {
            c.error(k, "soft_float_cycle_scale", "must be >= 0 (0 = 1)");
        }
        if (k.weight_loads_per_mac() < 0 || k.weight_loads_per_mac() > 1) {
            c.error(k, "weight_loads_per_mac", "must be in [0, 1]");
        }
        if (k.weight_reuse_channels() < 0) {
            c.error(k, "weight_reuse_channels", "must be >= 0 (0 = every output channel)");
        }
        if (k.cycles_per_tile() < 0) {
            c.error(k, "cycles_per_tile", "must be >= 0");
        }
        if (k.array_efficiency() < 0 || k.array_efficiency() > 1) {
            c.error(k, "array_efficiency", "must be in [0, 1] (0 = 1: no stalls)");
        }
    }
    for (int i = 0; i < s.free_ops_size(); ++i) {
        if (knownOps().count(s.free_ops(i)) == 0) {
            at.error(s, "free_ops", "unknown op '" + s.free_ops(i) + "'", i);
        }
    }
    if (s.per_inference_overhead_cycles() < 0) {
        at.error(s, "per_inference_overhead_cycles", "must be >= 0");
    }
    if (s.tile_bytes() < 0 || s.max_tiles_per_kernel() < 0) {
        at.error(s, s.tile_bytes() < 0 ? "tile_bytes" : "max_tiles_per_kernel", "must be >= 0");
    }
    if (s.runtime_ram_bytes() < 0 || s.runtime_flash_bytes() < 0) {
        at.error(s, s.runtime_ram_bytes() < 0 ? "runtime_ram_bytes" : "runtime_flash_bytes",
                 "must be >= 0");
    }
    if (s.engine_buffers() < 0 || s.engine_buffers() > 2) {
        at.error(s, "engine_buffers",
                 fmt::format("engine_buffers {} must be 0 (default), 1 or 2", s.engine_buffers()));
    }
    for (int i = 0; i < s.target_platforms_size(); ++i) {
        const std::string& t = s.target_platforms(i);
        const auto star = t.find('*');
        if (t.empty() || t == "*" || (star != std::string::npos && star + 1 != t.size())) {
            at.error(s, "target_platforms",
                     "'" + t + "' is not a platform name or a prefix ending in '*'", i);
        }
    }
    for (int i = 0; i < s.target_isas_size(); ++i) {
        if (s.target_isas(i) == spec::CORE_ISA_UNSPECIFIED) {
            at.error(s, "target_isas", "CORE_ISA_UNSPECIFIED is not an ISA", i);
        }
    }
    if (!s.default_mapper().empty() && knownMappers().count(s.default_mapper()) == 0) {
        std::string known;
        for (const auto& m : knownMappers()) {
            known += (known.empty() ? "" : ", ") + m;
        }
        at.error(s, "default_mapper",
                 "unknown mapper '" + s.default_mapper() + "' (known: " + known + ")");
    }
}

std::string targetsText(const spec::StackSpec& stack) {
    std::string text;
    for (const auto& t : stack.target_platforms()) {
        text += (text.empty() ? "" : ", ") + t;
    }
    if (!text.empty()) {
        return text;
    }
    for (int i = 0; i < stack.target_isas_size(); ++i) {
        text += (text.empty() ? "" : ", ") + spec::CoreIsa_Name(stack.target_isas(i));
    }
    return text.empty() ? "any platform" : text + " cores";
}

std::string kernelTypeKey(const std::string& dtype, const std::string& activationDtype) {
    const std::string weights = dtype.empty() ? "int8" : dtype;
    return activationDtype.empty() || activationDtype == "int8" ? weights
                                                                : weights + "/" + activationDtype;
}

std::string kernelTypeKey(const spec::KernelSpec& kernel) {
    return kernelTypeKey(kernel.dtype(), kernel.activation_dtype());
}

std::string kernelTypeText(const std::string& key, bool weights) {
    const auto slash = key.find('/');
    if (slash == std::string::npos) {
        return key;
    }
    return (weights ? key.substr(0, slash) + " weights, " : std::string()) + key.substr(slash + 1) +
           " activations";
}

std::string incompatibility(const spec::PlatformSpec& platform, const spec::StackSpec& stack) {
    const auto matches = [&platform](const std::string& pattern) {
        if (!pattern.empty() && pattern.back() == '*') {
            return platform.name().compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) ==
                   0;
        }
        return platform.name() == pattern;
    };
    bool ok = true;
    if (stack.target_platforms_size() > 0) {
        ok = std::any_of(stack.target_platforms().begin(), stack.target_platforms().end(), matches);
    } else if (stack.target_isas_size() > 0 && platform.cores_size() > 0) {
        const int isa = platform.cores(0).isa();
        ok = std::any_of(stack.target_isas().begin(), stack.target_isas().end(),
                         [isa](int t) { return t == isa; });
    }
    if (ok) {
        return {};
    }
    return fmt::format("stack '{}' does not target platform '{}' (it targets {})", stack.name(),
                       platform.name(), targetsText(stack));
}

spec::PlatformSpec loadPlatform(const std::string& nameOrPath, const ConfigPaths& paths) {
    return loadSpec<spec::PlatformSpec>("platforms", nameOrPath, paths, &validatePlatform);
}

spec::StackSpec loadStack(const std::string& nameOrPath, const ConfigPaths& paths) {
    spec::StackSpec stack = loadSpec<spec::StackSpec>("stacks", nameOrPath, paths, &validateStack);
    // Merge the kernel libraries: a library kernel joins unless the stack (or an earlier
    // library) has one for the same engine, op and type. They stay apart from `kernels`, which
    // overrides and calibration address by their place in the stack's file.
    std::set<std::string> have;
    const auto keyOf = [](const spec::KernelSpec& k) {
        return k.engine() + "/" + k.op() + "/" + kernelTypeKey(k);
    };
    for (const auto* list : {&stack.kernels(), &stack.library_kernels()}) {
        for (const auto& k : *list) {
            have.insert(keyOf(k)); // a merged spec written back to a file merges nothing twice
        }
    }
    for (int i = 0; i < stack.kernel_libraries_size(); ++i) {
        const std::string& name = stack.kernel_libraries(i);
        const std::string file = paths.locate("kernel-libraries", name, "kernel_libraries");
        spec::KernelLibrarySpec lib;
        auto locations = loadTextProto(file, lib);
        Diagnostics diags(file);
        // The library's kernels are checked as a stack's are.
        spec::StackSpec asStack;
        asStack.set_name(lib.name().empty() ? name : lib.name());
        *asStack.mutable_kernels() = lib.kernels();
        validateStack(asStack, FieldCursor(diags, locations.get()));
        if (lib.soft_float_cycle_scale() < 0) {
            diags.error("soft_float_cycle_scale", "must be >= 0 (0 = 1)");
        }
        diags.throwIfAny();
        for (spec::KernelSpec k : lib.kernels()) {
            if (k.has_when() || !have.insert(keyOf(k)).second) {
                continue;
            }
            if (k.soft_float_cycle_scale() == 0) {
                k.set_soft_float_cycle_scale(lib.soft_float_cycle_scale());
            }
            k.set_training_only(k.training_only() || lib.training_only());
            *stack.add_library_kernels() = std::move(k);
        }
    }
    return stack;
}

std::vector<CatalogEntry> listPlatforms(const ConfigPaths& paths) {
    std::vector<CatalogEntry> out;
    for (const auto& name : paths.list("platforms")) {
        out.push_back({name, loadPlatform(name, paths).description(), "", ""});
    }
    return out;
}

std::vector<CatalogEntry> listStacks(const ConfigPaths& paths) {
    std::vector<CatalogEntry> out;
    for (const auto& name : paths.list("stacks")) {
        const auto stack = loadStack(name, paths);
        out.push_back({name, stack.description(), targetsText(stack), stack.default_precision()});
    }
    return out;
}

} // namespace edgesim::platforms
