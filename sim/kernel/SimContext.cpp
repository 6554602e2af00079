#include "sim/kernel/SimContext.h"

namespace edgesim::sim {

SimContext::SimContext()
    : context_(new sc_core::sc_simcontext()), previous_(sc_core::sc_curr_simcontext) {
    sc_core::sc_curr_simcontext = context_;
    sc_core::sc_default_global_context = context_;
}

SimContext::~SimContext() {
    // Restore only if this context is still the current one: contexts may be destroyed in
    // any order, and a context made current elsewhere must not be replaced by one of ours.
    if (sc_core::sc_curr_simcontext == context_) {
        sc_core::sc_curr_simcontext = previous_;
        sc_core::sc_default_global_context = previous_;
    }
    delete context_;
}

SimContext::Detached::Detached() : SimContext() {
    // Leave the process's current context as it was; Scope switches to this one when used.
    sc_core::sc_curr_simcontext = previous_;
    sc_core::sc_default_global_context = previous_;
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
