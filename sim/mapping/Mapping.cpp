#include "sim/mapping/Mapping.h"

#include "common/Diagnostics.h"
#include "common/TextProto.h"

#include <fmt/format.h>

#include <google/protobuf/text_format.h>

#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace edgesim::sim {

namespace {

std::set<std::string> engineNames(const platforms::spec::PlatformSpec& p) {
    std::set<std::string> names;
    names.insert(p.cores(0).name());
    for (const auto& e : p.engines()) {
        names.insert(e.name());
    }
    return names;
}

std::string known(const std::set<std::string>& names) {
    std::string s;
    for (const auto& n : names) {
        s += (s.empty() ? "" : ", ") + n;
    }
    return s;
}

} // namespace

std::string layerNameOf(const workloads::Kernel& k) {
    const auto hash = k.name.rfind('#');
    return hash == std::string::npos ? k.name : k.name.substr(0, hash);
}

Mapping hostOnlyMapping(const workloads::Schedule& schedule,
                        const platforms::spec::PlatformSpec& platform) {
    Mapping m;
    m.name = "host-only";
    m.kernels.assign(schedule.kernels.size(), LayerChoice{platform.cores(0).name(), "", 1.0});
    return m;
}

Mapping resolveMapping(const platforms::spec::MappingSpec& spec,
                       const workloads::Schedule& schedule,
                       const platforms::spec::PlatformSpec& platform, const std::string& source) {
    const auto engines = engineNames(platform);
    Mapping m;
    m.name = spec.name().empty() ? source : spec.name();
    const std::string fallback =
        spec.default_engine().empty() ? platform.cores(0).name() : spec.default_engine();
    if (engines.count(fallback) == 0) {
        throw InputError(source, "default_engine",
                         fmt::format("unknown engine '{}' on platform '{}' (known: {})", fallback,
                                     platform.name(), known(engines)));
    }
    std::map<std::string, LayerChoice> byLayer;
    std::set<std::string> layers;
    for (const auto& k : schedule.kernels) {
        layers.insert(layerNameOf(k));
    }
    for (int i = 0; i < spec.layers_size(); ++i) {
        const auto& l = spec.layers(i);
        const std::string field = fmt::format("layers[{}]", i);
        if (layers.count(l.layer()) == 0) {
            throw InputError(source, field + ".layer",
                             fmt::format("network '{}' has no layer '{}'", schedule.network,
                                         l.layer()));
        }
        if (engines.count(l.engine()) == 0) {
            throw InputError(source, field + ".engine",
                             fmt::format("unknown engine '{}' on platform '{}' (known: {})",
                                         l.engine(), platform.name(), known(engines)));
        }
        LayerChoice c{l.engine(), l.split_engine(), 1.0};
        if (!l.split_engine().empty()) {
            if (engines.count(l.split_engine()) == 0) {
                throw InputError(source, field + ".split_engine",
                                 fmt::format("unknown engine '{}' on platform '{}' (known: {})",
                                             l.split_engine(), platform.name(), known(engines)));
            }
            if (l.split_engine() == platform.cores(0).name() ||
                l.engine() == platform.cores(0).name()) {
                throw InputError(source, field + ".split_engine",
                                 "splits are between two engines, not the host core");
            }
            if (l.split_engine() == l.engine()) {
                throw InputError(source, field + ".split_engine",
                                 "a split needs two different engines");
            }
            if (!(l.fraction() > 0 && l.fraction() < 1)) {
                throw InputError(source, field + ".fraction",
                                 fmt::format("fraction {} must be in (0, 1): the share of "
                                             "output channels on '{}'",
                                             l.fraction(), l.engine()));
            }
            c.fraction = l.fraction();
        } else if (l.fraction() != 0 && l.fraction() != 1) {
            throw InputError(source, field + ".fraction", "fraction needs split_engine");
        }
        if (!byLayer.emplace(l.layer(), c).second) {
            throw InputError(source, field + ".layer",
                             fmt::format("layer '{}' is mapped twice", l.layer()));
        }
    }
    for (const auto& k : schedule.kernels) {
        const auto it = byLayer.find(layerNameOf(k));
        m.kernels.push_back(it != byLayer.end() ? it->second : LayerChoice{fallback, "", 1.0});
    }
    return m;
}

platforms::spec::MappingSpec toSpec(const Mapping& mapping, const workloads::Schedule& schedule) {
    platforms::spec::MappingSpec spec;
    spec.set_name(mapping.name);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < mapping.kernels.size() && i < schedule.kernels.size(); ++i) {
        const std::string name = layerNameOf(schedule.kernels[i]);
        if (!seen.insert(name).second) {
            continue;
        }
        const LayerChoice& c = mapping.kernels[i];
        auto* l = spec.add_layers();
        l->set_layer(name);
        l->set_engine(c.engine);
        if (c.isSplit()) {
            l->set_split_engine(c.splitEngine);
            l->set_fraction(c.fraction);
        }
    }
    return spec;
}

platforms::spec::MappingSpec loadMappingSpec(const std::string& path) {
    platforms::spec::MappingSpec spec;
    loadTextProto(path, spec);
    return spec;
}

std::string mappingText(const Mapping& mapping, const workloads::Schedule& schedule) {
    std::string text;
    if (!google::protobuf::TextFormat::PrintToString(toSpec(mapping, schedule), &text)) {
        throw std::runtime_error("cannot print mapping '" + mapping.name + "' as text format");
    }
    return text;
}

void writeMappingFile(const std::string& path, const std::string& header, const Mapping& mapping,
                      const workloads::Schedule& schedule, const std::string& field) {
    std::string annotated;
    std::istringstream in(mappingText(mapping, schedule));
    for (std::string line; std::getline(in, line);) {
        annotated += line;
        if (line.find("fraction:") != std::string::npos) {
            annotated += "  # chosen by mapping '" + mapping.name + "'";
        }
        annotated += "\n";
    }
    writeFileAtomically(path, header + annotated, field);
}

} // namespace edgesim::sim
