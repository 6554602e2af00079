// edgesim command line: a thin shell over the library. Exit codes (DESIGN.md §3):
// 0 success, 2 bad input (one line per problem, naming file and field), 1 internal error.
#include "apps/edgesim/Commands.h"
#include "common/Diagnostics.h"
#include "common/Version.h"
#include "explorer/sweep/WorkerPool.h"

#include <google/protobuf/stubs/common.h>

#include <iostream>

int main(int argc, char** argv) {
    using namespace edgesim;
    // Under mpirun every rank runs this binary (sweep and nas use the ranks as workers).
    const explorer::MpiRuntime mpi(&argc, &argv);
    const bool printErrors = explorer::MpiRuntime::rank() == 0; // one rank reports
    app::GlobalOptions global;
    for (int i = 0; i < argc; ++i) {
        global.commandLine += (i ? " " : "") + std::string(argv[i]);
    }
    CLI::App cli{"edgesim: simulator and design-space explorer for edge AI hardware"};
    cli.set_version_flag("--version", versionString());
    cli.require_subcommand(1);
    cli.option_defaults()->always_capture_default();
    cli.add_option("--config-dir", global.configDir,
                   "Configs directory (default: $EDGESIM_CONFIG_DIR, else the source tree's "
                   "configs/)");
    app::registerList(cli, global);
    app::registerInspect(cli, global);
    app::registerSimulate(cli, global);
    app::registerValidate(cli, global);
    app::registerCalibrate(cli, global);
    app::registerSweep(cli, global);
    app::registerPareto(cli, global);
    app::registerNas(cli, global);
    app::registerDnas(cli, global);
    app::registerReport(cli, global);

    int rc = 0;
    try {
        cli.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        rc = cli.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        rc = cli.exit(e);
    } catch (const CLI::CallForVersion& e) {
        rc = cli.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string reason = e.what();
        // Name an unknown subcommand instead of CLI11's generic "a subcommand is required".
        if (cli.get_subcommands().empty()) {
            for (int i = 1; i < argc; ++i) {
                const std::string arg = argv[i];
                if (arg == "--config-dir") {
                    ++i;
                } else if (!arg.empty() && arg[0] != '-') {
                    std::string known;
                    for (const auto* sub : cli.get_subcommands({})) {
                        known += (known.empty() ? "" : ", ") + sub->get_name();
                    }
                    reason = "unknown subcommand '" + arg + "' (expected one of: " + known + ")";
                    break;
                }
            }
        }
        if (printErrors) {
            std::cerr << "edgesim: " << reason << "\n";
            std::cerr << "Run with --help for more information.\n";
        }
        rc = 2;
    } catch (const InputError& e) {
        if (printErrors) {
            std::cerr << e.formatAll();
        }
        rc = 2;
    } catch (const app::Interrupted& i) {
        rc = 128 + i.signal;
    } catch (const std::exception& e) {
        std::cerr << "edgesim: internal error: " << e.what() << "\n";
        rc = 1;
    }
    google::protobuf::ShutdownProtobufLibrary();
    return rc;
}
