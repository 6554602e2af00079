// Ownership of the SystemC simulation context. SystemC keeps one global context per process
// and cannot re-elaborate after sc_start; a SimContext installs a fresh context so that a
// different platform can be elaborated in the same process (tests, structural sweeps), and
// restores the previous one when it goes away (the approach of DRAMSys' test fixture).
// Modules elaborated in a context must be destroyed before it: declare the SimContext first.
#pragma once

#include <systemc>

namespace edgesim::sim {

class SimContext {
public:
    SimContext();
    ~SimContext();
    SimContext(const SimContext&) = delete;
    SimContext& operator=(const SimContext&) = delete;
    SimContext(SimContext&&) = delete;
    SimContext& operator=(SimContext&&) = delete;

    sc_core::sc_simcontext& context() { return *context_; }

private:
    sc_core::sc_simcontext* context_;
    sc_core::sc_simcontext* previous_;
};

} // namespace edgesim::sim
