// Debian's libsystemc.so defines main() and calls sc_main() from it, so every executable
// linking SystemC needs an sc_main to link. edgesim programs (the CLI, tests, benchmarks)
// have their own main() and elaborate through SimContext; this one is never called.
// Compiled as an object linked into every consumer of edgesim::sim (see CMakeLists.txt).
#include <systemc>  // declares sc_main with C linkage

int sc_main(int /*argc*/, char* /*argv*/[]) {
    return 1;
}
