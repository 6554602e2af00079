#include "sim/kernel/SimContext.h"

namespace edgesim::sim {

SimContext::SimContext()
    : context_(new sc_core::sc_simcontext()), previous_(sc_core::sc_curr_simcontext) {
    sc_core::sc_curr_simcontext = context_;
    sc_core::sc_default_global_context = context_;
}

SimContext::~SimContext() {
    sc_core::sc_curr_simcontext = previous_;
    sc_core::sc_default_global_context = previous_;
    delete context_;
}

} // namespace edgesim::sim
