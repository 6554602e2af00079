#include "explorer/dnas/torch/DnasMethod.h"

#include <cmath>
#include <map>

namespace edgesim::explorer::dnas {

namespace {

std::map<std::string, DnasMethodFactory>& registry() {
    static std::map<std::string, DnasMethodFactory> r;
    return r;
}

} // namespace

bool registerDnasMethod(const std::string& name, DnasMethodFactory factory) {
    return registry().emplace(name, std::move(factory)).second;
}

std::unique_ptr<DnasMethod> makeDnasMethod(const std::string& name) {
    const auto it = registry().find(name);
    return it == registry().end() ? nullptr : it->second();
}

double annealedTemperature(int searchEpoch, int searchEpochs) {
    const double progress =
        searchEpochs <= 1 ? 1.0 : static_cast<double>(searchEpoch) / (searchEpochs - 1);
    return std::pow(kFinalTemperature, progress);
}

std::vector<torch::Tensor> withDefined(std::vector<torch::Tensor> first,
                                       const std::vector<torch::Tensor>& more) {
    for (const auto& t : more) {
        if (t.defined()) {
            first.push_back(t);
        }
    }
    return first;
}

std::vector<std::string> dnasMethods() {
    std::vector<std::string> names;
    for (const auto& [name, factory] : registry()) {
        names.push_back(name);
    }
    return names;
}

} // namespace edgesim::explorer::dnas
