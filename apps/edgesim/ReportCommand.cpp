// `edgesim report RESULTS.h5... --out DIR [--trace FILE]... [--title TEXT]`: the HTML report of a
// results file, drawn by the Python package (python/edgesim/report.py, matplotlib). This
// command only finds Debian's interpreter and the package built beside this binary and hands
// over to `python3 -m edgesim.report` (exec: its exit status and messages are the report's).
#include "apps/edgesim/Commands.h"
#include "common/Diagnostics.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace edgesim::app {

namespace {

struct ReportOptions {
    std::vector<std::string> results;
    std::string out;
    std::vector<std::string> traces;
    std::string title;
};

[[noreturn]] void run(const ReportOptions& o) {
#if defined(EDGESIM_PYTHON) && defined(EDGESIM_PYTHON_DIR)
    // The package of this build first; $EDGESIM_PYTHON_DIR replaces it (an installed copy).
    const char* dirEnv = std::getenv("EDGESIM_PYTHON_DIR");
    std::string path = dirEnv != nullptr && *dirEnv != '\0' ? dirEnv : EDGESIM_PYTHON_DIR;
    if (const char* old = std::getenv("PYTHONPATH"); old != nullptr && *old != '\0') {
        path += std::string(":") + old;
    }
    setenv("PYTHONPATH", path.c_str(), 1);
    std::vector<std::string> args = {EDGESIM_PYTHON, "-m", "edgesim.report"};
    args.insert(args.end(), o.results.begin(), o.results.end());
    args.insert(args.end(), {"--out", o.out});
    for (const auto& t : o.traces) {
        args.insert(args.end(), {"--trace", t});
    }
    if (!o.title.empty()) {
        args.insert(args.end(), {"--title", o.title});
    }
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    execv(EDGESIM_PYTHON, argv.data());
    throw InputError("<command line>", "report",
                     std::string("cannot start the Python interpreter ") + EDGESIM_PYTHON + ": " +
                         std::strerror(errno) + " (scripts/setup.sh installs python3)");
#else
    (void)o;
    throw InputError("<command line>", "report",
                     "this build has no Python package (configured with "
                     "EDGESIM_BUILD_PYTHON=OFF); reports need it");
#endif
}

} // namespace

void registerReport(CLI::App& app, GlobalOptions& /*global*/) {
    auto opts = std::make_shared<ReportOptions>();
    auto* cmd = app.add_subcommand(
        "report", "Write an HTML report with figures of a results file (runs, layers, "
                  "validation, sweep, NAS, DNAS)");
    cmd->add_option("results", opts->results, "HDF5 results files (one page for all)")->required();
    cmd->add_option("--out", opts->out, "Directory of the report (index.html and figures)")
        ->required();
    cmd->add_option("--trace", opts->traces,
                    "A timeline (simulate --trace) to copy and link for Perfetto; repeatable");
    cmd->add_option("--title", opts->title, "Title of the page");
    cmd->callback([opts] { run(*opts); });
}

} // namespace edgesim::app
