// The libtorch plugin's differentiable-search factory (explorer/dnas/DnasSearch.h).
#include "explorer/dnas/torch/DnasTrainer.h"

extern "C" __attribute__((visibility("default"))) edgesim::explorer::dnas::DnasSearcher*
edgesim_make_dnas_searcher() {
    return edgesim::explorer::dnas::makeTorchDnasSearcher().release();
}
