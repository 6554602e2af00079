// The Python package (python/, issue 16) tested as Python users use it: each case runs one
// TestCase class of tests/python/test_binding.py with Debian's interpreter (EDGESIM_PYTHON),
// the package on PYTHONPATH (EDGESIM_PYTHON_DIR) and the CLI beside it for comparisons, and
// passes when every Python test in it passes (their output is shown when one fails).
#include "tests/util/CliRun.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using edgesim::test::CliRun;
using edgesim::test::runShell;

/// `python3 -m unittest -v <module>.<testCase>` in tests/python with the package importable.
CliRun unittestCase(const std::string& module, const std::string& testCase) {
    const std::string env = std::string("PYTHONPATH='") + EDGESIM_PYTHON_DIR + ":" +
                            EDGESIM_TEST_DIR + "/python' EDGESIM_CLI='" + EDGESIM_BINARY +
                            "' EDGESIM_TEST_DIR='" + EDGESIM_TEST_DIR + "' EDGESIM_SOURCE_DIR='" +
                            EDGESIM_SOURCE_DIR + "' ";
    return runShell(env + EDGESIM_PYTHON + " -m unittest -v " + module + "." + testCase);
}

void expectPasses(const std::string& module, const std::string& testCase) {
    const CliRun r = unittestCase(module, testCase);
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    // unittest prints "OK" (possibly with skips) only when every test passed.
    EXPECT_NE(r.err.find("\nOK"), std::string::npos) << r.err;
}

} // namespace

TEST(PythonBinding, ResultsEqualTheCliForTheSameQueries) {
    expectPasses("test_binding", "SameAsCli");
}

TEST(PythonBinding, NetworksFromNamesBytesTheBuilderAndTorch) {
    expectPasses("test_binding", "Networks");
}

TEST(PythonBinding, CostModelTablesPredictTheSimulator) {
    expectPasses("test_binding", "CostModels");
}

TEST(PythonBinding, BadInputRaisesInputErrorWithTheCliText) {
    expectPasses("test_binding", "Errors");
}

TEST(PythonBinding, SimulatorsAndResultsPickleAcrossProcesses) {
    expectPasses("test_binding", "Pickling");
}

TEST(PythonBinding, ResultsFilesAndStudiesAsDataFrames) {
    expectPasses("test_binding", "ResultsFiles");
}

TEST(PythonBinding, ReportsOfEveryTableKindRenderInABrowser) {
    expectPasses("test_report", "Reports");
}

TEST(PythonBinding, ExamplesRunAndTheirLatencyTermMatchesTheSimulator) {
    expectPasses("test_examples", "Examples");
}
