#include "explorer/dnas/DnasSearch.h"

#include "explorer/nas/TorchScorer.h"

namespace edgesim::explorer::dnas {

std::unique_ptr<DnasSearcher> makeDnasSearcher() {
    const auto factory =
        reinterpret_cast<DnasSearcherFactory>(nas::torchPluginSymbol(kDnasSearcherFactory));
    return std::unique_ptr<DnasSearcher>(factory());
}

} // namespace edgesim::explorer::dnas
