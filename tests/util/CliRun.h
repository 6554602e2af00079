// Runs the edgesim binary (EDGESIM_BINARY) as a user does and captures its exit code,
// stdout and stderr. Used by the CLI test suites.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace edgesim::test {

struct CliRun {
    int code = -1;
    std::string out; // stdout
    std::string err; // stderr
};

/// Runs `edgesim ARGS` (in directory `cwd` when given), or the shell command line `shell`
/// instead when it is given.
inline CliRun runCli(const std::string& args, const std::string& cwd = "",
                     const std::string& shell = "") {
    // One file per process: CTest runs the tests of a suite in parallel processes.
    const std::string errFile =
        ::testing::TempDir() + "edgesim_cli_stderr_" + std::to_string(getpid()) + ".txt";
    const std::string cmd = (cwd.empty() ? std::string() : "cd '" + cwd + "' && ") +
                            (shell.empty() ? std::string(EDGESIM_BINARY) + " " + args : shell) +
                            " 2>" + errFile;
    CliRun r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) {
        return r;
    }
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
        r.out.append(buf.data(), n);
    }
    const int status = pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (FILE* f = fopen(errFile.c_str(), "r")) {
        while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) {
            r.err.append(buf.data(), n);
        }
        fclose(f);
    }
    std::remove(errFile.c_str());
    return r;
}

/// Runs a whole shell command line (not the edgesim binary alone: mpirun, python3), capturing
/// its exit code, stdout and stderr as runCli does.
inline CliRun runShell(const std::string& command) {
    return runCli("", "", command);
}

/// Whether an executable `name` is on PATH.
inline bool onPath(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) {
            return true;
        }
    }
    return false;
}

/// mpirun as the edgesim binary's launcher (`ranks` processes), with what it needs as root and
/// on few cores.
inline std::string mpirun(int ranks) {
    std::string cmd;
    if (geteuid() == 0) {
        cmd += "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ";
    }
    // In the sanitizer build: OpenMPI keeps allocations of its plugins past MPI_Finalize, which
    // LeakSanitizer would report as our leaks (ASAN_OPTIONS is ignored by other builds).
    cmd += "ASAN_OPTIONS=detect_leaks=0 ";
    return cmd + "mpirun --oversubscribe -x ASAN_OPTIONS -n " + std::to_string(ranks) + " " +
           EDGESIM_BINARY;
}

/// A command line that must fail with exit code 2, its error naming every part.
struct BadInput {
    std::string args;
    std::vector<std::string> parts;
};

/// Runs each case: exit 2, every part in the error, nothing on standard output.
inline void expectBadInputs(const std::vector<BadInput>& cases) {
    for (const auto& c : cases) {
        const CliRun r = runCli(c.args);
        EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
        for (const auto& part : c.parts) {
            EXPECT_NE(r.err.find(part), std::string::npos) << c.args << "\n" << r.err;
        }
        EXPECT_TRUE(r.out.empty()) << c.args << " printed partial output:\n" << r.out;
    }
}

} // namespace edgesim::test
