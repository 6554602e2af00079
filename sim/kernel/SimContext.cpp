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

SimContext::Scope::Scope(SimContext& ctx) : saved_(sc_core::sc_curr_simcontext) {
    sc_core::sc_curr_simcontext = ctx.context_;
    sc_core::sc_default_global_context = ctx.context_;
}

SimContext::Scope::~Scope() {
    sc_core::sc_curr_simcontext = saved_;
    sc_core::sc_default_global_context = saved_;
}

} // namespace edgesim::sim
