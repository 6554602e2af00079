// Runs the edgesim binary (EDGESIM_BINARY) as a user does and captures its exit code,
// stdout and stderr. Used by the CLI test suites.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
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

/// Runs `edgesim ARGS` (in directory `cwd` when given).
inline CliRun runCli(const std::string& args, const std::string& cwd = "") {
    // One file per process: CTest runs the tests of a suite in parallel processes.
    const std::string errFile =
        ::testing::TempDir() + "edgesim_cli_stderr_" + std::to_string(getpid()) + ".txt";
    const std::string cmd = (cwd.empty() ? std::string() : "cd '" + cwd + "' && ") +
                            std::string(EDGESIM_BINARY) + " " + args + " 2>" + errFile;
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
