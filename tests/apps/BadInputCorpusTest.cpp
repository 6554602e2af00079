// The committed bad-input corpus (tests/data/bad_input/cases.txt) through the CLI as a user
// runs it: each case exits 2, prints nothing on standard output, names the file or option
// and field in its error, and leaves its working directory, where every output it asks for
// is pointed, empty (no result, trace, mapping or temporary file). One test per case.
#include "tests/util/CliRun.h"
#include "tests/util/TestUtil.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Case {
    std::string name;
    std::string expected; ///< text the error must contain
    std::string args;     ///< with {data} replaced by tests/data
};

// Names the case in test listings (instead of a byte dump of the struct).
void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<Case> loadCases() {
    const std::string data = std::string(EDGESIM_TEST_DIR) + "/data";
    std::ifstream in(data + "/bad_input/cases.txt");
    std::vector<Case> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (trim(line).empty() || trim(line)[0] == '#') {
            continue;
        }
        const auto a = line.find(" | ");
        const auto b = a == std::string::npos ? a : line.find(" | ", a + 3);
        if (b == std::string::npos) {
            cases.push_back({"malformed_line_" + std::to_string(cases.size()), "", line});
            continue;
        }
        Case c{trim(line.substr(0, a)), trim(line.substr(a + 3, b - a - 3)),
               trim(line.substr(b + 3))};
        for (std::size_t at; (at = c.args.find("{data}")) != std::string::npos;) {
            c.args.replace(at, 6, data);
        }
        for (char& ch : c.name) {
            ch = std::isalnum(static_cast<unsigned char>(ch)) != 0 ? ch : '_';
        }
        cases.push_back(std::move(c));
    }
    return cases;
}

class BadInputCorpus : public ::testing::TestWithParam<Case> {};

TEST_P(BadInputCorpus, ExitsTwoNamingTheInputAndLeavesNothing) {
    const Case& c = GetParam();
    ASSERT_FALSE(c.expected.empty()) << "cases.txt: malformed line: " << c.args;
    const edgesim::test::TempDir dir("edgesim-bad-input");
    const edgesim::test::CliRun r = edgesim::test::runCli(c.args, dir.path().string());
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos)
        << c.args << "\nexpected: " << c.expected << "\nstderr: " << r.err.substr(0, 2000);
    EXPECT_TRUE(r.out.empty()) << c.args << " printed:\n" << r.out.substr(0, 2000);
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(dir.path())) {
        left.push_back(e.path().filename().string());
    }
    EXPECT_TRUE(left.empty()) << c.args << " left " << left.size() << " file(s), first "
                              << (left.empty() ? "" : left[0]);
}

INSTANTIATE_TEST_SUITE_P(Cases, BadInputCorpus, ::testing::ValuesIn(loadCases()),
                         [](const ::testing::TestParamInfo<Case>& test) {
                             return test.param.name;
                         });

TEST(BadInputCorpusFile, HoldsTheCases) {
    // A corpus that failed to load would silently instantiate no case above.
    EXPECT_GE(loadCases().size(), 20U);
}

} // namespace
