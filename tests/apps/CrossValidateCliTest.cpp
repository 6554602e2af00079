// `edgesim validate --cross-validate` end to end on small inputs: a held-out row never
// reaches its fold's fit (perturbing it leaves the fold's parameters unchanged, perturbing a
// training row does not), a parameter no training row identifies falls back to its a-priori
// value (not the value the configs hold, calibrated on every row), the HDF5 fold columns read
// back with NaN where a fold has no rows of a metric, identical inputs give identical output,
// and bad input exits 2 naming file and field without writing anything. A two-parameter
// calibration set and the analytical fidelity keep each run well under a second.
#include "explorer/results/ResultsFile.h"
#include "tests/util/CliRun.h"
#include "tests/util/TestUtil.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using edgesim::test::BadInput;
using edgesim::test::CliRun;
using edgesim::test::expectBadInputs;
using edgesim::test::TempDir;

const std::string kCalibrationCsv = EDGESIM_TEST_DIR "/data/silicon/calibration.csv";

/// A calibration set of two parameters: X-CUBE-AI's convolution cycles per MAC (rows on the
/// L4R5 and the H7A3) and the H7A3's cycle scale (rows on the H7A3 only), with a-priori values
/// that differ from the configs' calibrated ones.
constexpr double kCpmPrior = 1.5;
constexpr double kScalePrior = 0.6;
std::string writeSet(const TempDir& dir) {
    std::ostringstream s;
    s << "description: \"test set\"\n"
         "identifiability { min_elasticity: 0.05 min_independence: 0.2 }\n"
         "parameters {\n"
         "  field: \"stack/x-cube-ai-7.3:kernels[conv2d,depthwise_conv2d,temporal_conv]"
         ".cycles_per_mac\"\n"
      << "  prior: " << kCpmPrior
      << "\n  prior_source: \"test\" min_scale: 0.2 max_scale: 5\n}\n"
         "parameters {\n"
         "  field: \"platform/nucleo-h7a3zi-q:cores[cpu].cycle_scale\"\n"
      << "  prior: " << kScalePrior
      << "\n  prior_source: \"test\" min_scale: 0.4 max_scale: 2.5\n}\n";
    return dir.write("set.textproto", s.str());
}

/// The X-CUBE-AI latency rows of calibration.csv (L4R5 ad and kws, H7A3 ic and vww), the
/// H7A3's values (or the L4R5's) multiplied by `h7Factor` (`l4Factor`).
std::string xcubeCsv(const TempDir& dir, const std::string& name, double h7Factor = 1.0,
                     double l4Factor = 1.0) {
    return dir.write(
        name,
        edgesim::test::editMeasurementRows(kCalibrationCsv, [&](std::vector<std::string>& cells) {
            if (cells.size() < 7 || cells[1] != "x-cube-ai-7.3" || cells[4] != "latency") {
                return false;
            }
            const double f = cells[0] == "nucleo-h7a3zi-q" ? h7Factor : l4Factor;
            cells[5] = std::to_string(std::stod(cells[5]) * f);
            return true;
        }));
}

std::string cvArgs(const std::string& csv, const std::string& set) {
    return "validate -m " + csv + " --cross-validate board --parameters " + set +
           " --fidelity analytical";
}

nlohmann::json runJson(const std::string& args) {
    const CliRun r = edgesim::test::runCli(args + " --format json");
    EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
    return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

const nlohmann::json& foldNamed(const nlohmann::json& j, const std::string& name) {
    for (const auto& f : j["cross_validation"]["folds"]) {
        if (f["fold"] == name) {
            return f;
        }
    }
    ADD_FAILURE() << "no fold " << name;
    static const nlohmann::json none;
    return none;
}

std::vector<double> fittedValues(const nlohmann::json& fold) {
    std::vector<double> v;
    for (const auto& p : fold["parameters"]) {
        for (const auto& x : p["value"]) {
            v.push_back(x.get<double>());
        }
    }
    return v;
}

TEST(CrossValidateCli, HeldOutRowsNeverReachTheirFoldsFit) {
    TempDir dir;
    const std::string set = writeSet(dir);
    const nlohmann::json base = runJson(cvArgs(xcubeCsv(dir, "base.csv"), set));
    const nlohmann::json heldOutMoved = runJson(cvArgs(xcubeCsv(dir, "h7x1.5.csv", 1.5, 1.0), set));
    const nlohmann::json trainingMoved =
        runJson(cvArgs(xcubeCsv(dir, "l4x1.5.csv", 1.0, 1.5), set));
    ASSERT_FALSE(base.is_null());
    ASSERT_FALSE(heldOutMoved.is_null());
    ASSERT_FALSE(trainingMoved.is_null());

    const auto& h7 = foldNamed(base, "nucleo-h7a3zi-q");
    EXPECT_EQ(h7["training_rows"], 2); // the L4R5's ad and kws
    // Moving the H7A3's measurements changes neither the H7A3 fold's fit nor its predictions
    // (only their errors), bit for bit.
    const auto& h7Moved = foldNamed(heldOutMoved, "nucleo-h7a3zi-q");
    EXPECT_EQ(fittedValues(h7Moved), fittedValues(h7));
    ASSERT_EQ(h7Moved["rows"].size(), h7["rows"].size());
    for (std::size_t i = 0; i < h7["rows"].size(); ++i) {
        // (as written in ms: the same prediction up to the unit conversion's rounding)
        EXPECT_DOUBLE_EQ(h7Moved["rows"][i]["predicted"].get<double>(),
                         h7["rows"][i]["predicted"].get<double>());
        EXPECT_NE(h7Moved["rows"][i]["error_pct"], h7["rows"][i]["error_pct"]);
    }
    // Moving its training rows does change it: the test can see a leak.
    EXPECT_NE(fittedValues(foldNamed(trainingMoved, "nucleo-h7a3zi-q")), fittedValues(h7));
}

TEST(CrossValidateCli, UnidentifiableParameterFallsBackToItsPrior) {
    TempDir dir;
    const nlohmann::json j = runJson(cvArgs(xcubeCsv(dir, "x.csv"), writeSet(dir)));
    ASSERT_FALSE(j.is_null());
    // Holding out the H7A3 leaves no row that depends on its cycle scale: it is the prior,
    // not the configs' value (calibrated with the H7A3 rows), and the report says so.
    const auto& h7 = foldNamed(j, "nucleo-h7a3zi-q");
    const auto& scale = h7["parameters"][1];
    EXPECT_EQ(scale["parameter"], "platform/nucleo-h7a3zi-q:cores[cpu].cycle_scale");
    EXPECT_FALSE(scale["identifiable"].get<bool>());
    EXPECT_NE(scale["reason"].get<std::string>().find("no fitted row"), std::string::npos);
    EXPECT_EQ(scale["value"][0].get<double>(), kScalePrior);
    ASSERT_EQ(h7["not_identifiable"].size(), 1U);
    EXPECT_EQ(h7["not_identifiable"][0], scale["parameter"]);
    // The X-CUBE-AI parameter is fitted, away from its prior.
    EXPECT_TRUE(h7["parameters"][0]["identifiable"].get<bool>());
    EXPECT_NE(h7["parameters"][0]["value"][0].get<double>(), kCpmPrior);
}

TEST(CrossValidateCli, ReportsFoldsInEveryFormatAndHdf5) {
    TempDir dir;
    const std::string csv = xcubeCsv(dir, "x.csv");
    const std::string set = writeSet(dir);
    const std::string h5 = dir.file("cv.h5");
    const CliRun table = edgesim::test::runCli(cvArgs(csv, set) + " --out " + h5);
    ASSERT_EQ(table.code, 0) << table.err;
    EXPECT_NE(table.out.find("board:nucleo-l4r5zi"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("stays a priori"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("; cross-validated by board: 4 rows, MAPE "), std::string::npos)
        << table.out;

    using edgesim::explorer::countRows;
    using edgesim::explorer::readDoubleColumn;
    using edgesim::explorer::readStringColumn;
    // /validation: 4 in-sample rows, then 4 held-out ones.
    const auto folds = readStringColumn(h5, "validation", "fold");
    ASSERT_EQ(folds.size(), 8U);
    EXPECT_EQ(std::count(folds.begin(), folds.end(), "in-sample"), 4);
    EXPECT_EQ(std::count(folds.begin(), folds.end(), "board:nucleo-h7a3zi-q"), 2);
    EXPECT_EQ(std::count(folds.begin(), folds.end(), "board:nucleo-l4r5zi"), 2);
    // /validation_folds: one row per fold and one over all; no energy rows -> NaN.
    const auto names = readStringColumn(h5, "validation_folds", "fold");
    EXPECT_EQ(names, (std::vector<std::string>{"board:nucleo-h7a3zi-q", "board:nucleo-l4r5zi",
                                               "board:all"}));
    for (double v : readDoubleColumn(h5, "validation_folds", "energy_mape_pct")) {
        EXPECT_TRUE(std::isnan(v));
    }
    for (double v : readDoubleColumn(h5, "validation_folds", "latency_mape_pct")) {
        EXPECT_TRUE(std::isfinite(v) && v >= 0.0);
    }
    EXPECT_EQ(readStringColumn(h5, "validation_folds", "not_identifiable")[0],
              "platform/nucleo-h7a3zi-q:cores[cpu].cycle_scale");

    const CliRun csvOut = edgesim::test::runCli(cvArgs(csv, set) + " --format csv");
    ASSERT_EQ(csvOut.code, 0) << csvOut.err;
    const auto lines = edgesim::test::nonEmptyLines(csvOut.out);
    ASSERT_EQ(lines.size(), 5U); // header + 4 held-out rows
    EXPECT_EQ(lines[0].rfind("fold,line,", 0), 0U) << lines[0];
}

TEST(CrossValidateCli, IdenticalInputsGiveIdenticalFolds) {
    TempDir dir;
    const std::string args = cvArgs(xcubeCsv(dir, "x.csv"), writeSet(dir));
    const nlohmann::json a = runJson(args);
    const nlohmann::json b = runJson(args);
    ASSERT_FALSE(a.is_null());
    EXPECT_EQ(a["cross_validation"].dump(), b["cross_validation"].dump());
}

TEST(CrossValidateCli, BadInputExitsTwoWithoutOutputFile) {
    TempDir dir;
    const std::string csv = xcubeCsv(dir, "x.csv");
    const std::string set = writeSet(dir);
    const std::string h5 = dir.file("never.h5");
    const std::string oneBoard =
        dir.write("one.csv", edgesim::test::readFileBytes(csv).substr(
                                 0, edgesim::test::readFileBytes(csv).find("\nnucleo-l4r5zi") + 1));
    const std::string badSet =
        dir.write("bad.textproto", "identifiability { min_elasticity: 0.05 min_independence: "
                                   "0.2 }\nparameters { field: \"platform/nucleo-h7a3zi-q:"
                                   "cores[cpu].cycle_scale\" prior: 0.5 min_scale: 0.5 "
                                   "max_scale: 2 }\n");
    const std::string out = " --out " + h5;
    expectBadInputs({
        {"validate -m " + csv + " --cross-validate chip" + out, {"--cross-validate", "chip"}},
        {cvArgs(csv, set) + " --fold no-such-board" + out, {csv, "--fold", "no-such-board"}},
        {cvArgs(dir.file("missing.csv"), set) + out, {"missing.csv"}},
        {cvArgs(oneBoard, set) + out, {oneBoard, "--cross-validate", "one"}},
        {cvArgs(csv, badSet) + out, {"bad.textproto", "prior_source"}},
        {cvArgs(csv, "no-such-set") + out, {"--parameters", "no-such-set"}},
        {"validate -m " + csv + " --fold nucleo-l4r5zi" + out, {"--fold", "--cross-validate"}},
    });
    EXPECT_FALSE(fs::exists(h5));
    EXPECT_FALSE(fs::exists(h5 + ".tmp"));
}

} // namespace
