#include "explorer/sweep/Sampler.h"

#include "common/Registry.h"

namespace edgesim::explorer {

bool registerSampler(const std::string& name, SamplerFactory factory) {
    return Registry<Sampler>::instance().add(name, std::move(factory));
}

std::unique_ptr<Sampler> makeSampler(const std::string& name) {
    return Registry<Sampler>::instance().make(name);
}

std::vector<std::string> samplerNames() {
    return Registry<Sampler>::instance().names();
}

} // namespace edgesim::explorer
