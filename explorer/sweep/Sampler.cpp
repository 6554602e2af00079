#include "explorer/sweep/Sampler.h"

#include <map>
#include <utility>

namespace edgesim::explorer {

namespace {

// A function-local static, so that registration from other files' static initialisers finds
// it constructed whatever the initialisation order.
std::map<std::string, SamplerFactory>& registry() {
    static std::map<std::string, SamplerFactory> r;
    return r;
}

} // namespace

bool registerSampler(const std::string& name, SamplerFactory factory) {
    registry()[name] = std::move(factory);
    return true;
}

std::unique_ptr<Sampler> makeSampler(const std::string& name) {
    const auto it = registry().find(name);
    return it == registry().end() ? nullptr : it->second();
}

std::vector<std::string> samplerNames() {
    std::vector<std::string> names;
    for (const auto& [name, factory] : registry()) {
        names.push_back(name);
    }
    return names;
}

} // namespace edgesim::explorer
