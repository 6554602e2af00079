// Runs the edgesim binary (EDGESIM_BINARY) as a user does and captures its exit code,
// stdout and stderr. Used by the CLI test suites.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace edgesim::test {

struct CliRun {
    int code = -1;
    std::string out;  // stdout
    std::string err;  // stderr
};

inline CliRun runCli(const std::string& args) {
    // One file per process: CTest runs the tests of a suite in parallel processes.
    const std::string errFile =
        ::testing::TempDir() + "edgesim_cli_stderr_" + std::to_string(getpid()) + ".txt";
    const std::string cmd = std::string(EDGESIM_BINARY) + " " + args + " 2>" + errFile;
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

} // namespace edgesim::test
