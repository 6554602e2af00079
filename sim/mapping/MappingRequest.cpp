#include "sim/mapping/MappingRequest.h"

#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/Strings.h"
#include "common/TextProto.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace edgesim::sim {

namespace {

bool isMapper(const std::string& name) {
    const auto names = mapperNames();
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string mapperList() {
    return join(mapperNames());
}

} // namespace

std::optional<Objective> parseObjective(const std::string& text) {
    if (text == "latency") {
        return Objective::Latency;
    }
    if (text == "energy") {
        return Objective::Energy;
    }
    if (text == "edp") {
        return Objective::EnergyDelay;
    }
    return std::nullopt;
}

const char* toString(Objective objective) {
    switch (objective) {
    case Objective::Latency: return "latency";
    case Objective::Energy: return "energy";
    case Objective::EnergyDelay: return "edp";
    }
    return "?";
}

bool isMappingFile(const std::string& mapping) {
    if (mapping.empty() || isMapper(mapping)) {
        return false;
    }
    std::error_code ec;
    return hasSuffix(mapping, ".textproto") || std::filesystem::exists(mapping, ec);
}

std::string mapperName(const MappingRequest& request, const platforms::spec::PlatformSpec& platform,
                       const platforms::spec::StackSpec& stack) {
    if (request.fixed || isMappingFile(request.mapping)) {
        return {};
    }
    if (platform.engines_size() == 0) {
        return "host-only";
    }
    if (!request.mapping.empty()) {
        return request.mapping;
    }
    return stack.default_mapper().empty() ? "host-only" : stack.default_mapper();
}

void checkMappingRequest(const MappingRequest& request, const platforms::spec::StackSpec& stack,
                         const std::string& source) {
    const bool tuning = request.objective.has_value() || request.latencyBudgetS.has_value();
    const std::string& tuningField =
        request.objective ? request.objectiveField : request.budgetField;
    if (request.fixed || isMappingFile(request.mapping)) {
        if (tuning) {
            throw InputError(source, tuningField,
                             "applies to the exhaustive mapper, not to a mapping file");
        }
        return;
    }
    if (!request.mapping.empty() && !isMapper(request.mapping)) {
        throw InputError(source, request.mappingField,
                         "unknown mapper '" + request.mapping + "' (built-in: " + mapperList() +
                             "; or a mapping .textproto file)");
    }
    if (!tuning) {
        return;
    }
    // What the user asked for decides, not what a platform without engines degrades it to.
    const std::string asked = !request.mapping.empty()          ? request.mapping
                              : !stack.default_mapper().empty() ? stack.default_mapper()
                                                                : "host-only";
    if (asked != "exhaustive") {
        throw InputError(source, tuningField,
                         "applies to the exhaustive mapper only (the mapper here is '" + asked +
                             "'" + (request.mapping.empty() ? ", the stack's default_mapper" : "") +
                             ")");
    }
    if (request.latencyBudgetS) {
        if (!(*request.latencyBudgetS > 0)) {
            throw InputError(source, request.budgetField, "the latency budget must be > 0");
        }
        if (request.objective.value_or(Objective::Latency) != Objective::Energy) {
            throw InputError(source, request.budgetField,
                             "needs " + request.objectiveField +
                                 " energy (the least energy within the budget)");
        }
    }
}

MapperOptions mapperOptions(const MappingRequest& request) {
    MapperOptions o;
    if (request.objective) {
        o.objective = *request.objective;
    }
    if (request.latencyBudgetS) {
        o.latencyBudgetS = *request.latencyBudgetS;
    }
    return o;
}

std::string canonicalText(const MappingRequest& request,
                          const platforms::spec::PlatformSpec& platform,
                          const platforms::spec::StackSpec& stack) {
    if (request.fixed) {
        return "fixed:" + canonicalText(*request.fixed);
    }
    if (isMappingFile(request.mapping)) {
        return "file:" + request.mapping + ":" + sha256Hex(readFile(request.mapping));
    }
    const MapperOptions o = mapperOptions(request);
    return "mapper:" + mapperName(request, platform, stack) + "|" + toString(o.objective) + "|" +
           doubleBits(o.latencyBudgetS) + "|" + std::to_string(o.splitSteps);
}

std::string canonicalText(const Mapping& mapping) {
    return mapping.name + canonicalChoices(mapping);
}

std::string canonicalChoices(const Mapping& mapping) {
    std::string text;
    for (const auto& c : mapping.kernels) {
        text += "|" + c.engine;
        if (c.isSplit()) {
            text += "+" + c.splitEngine + "@" + doubleBits(c.fraction);
        }
    }
    return text;
}

} // namespace edgesim::sim
