// The committed calibration set (configs/calibration/mlperf-tiny.textproto) and the set
// loader: every parameter names its source, its a-priori values fit its fields and the
// configs' calibrated values lie within its bounds (else calibrate could not reproduce them);
// a bad set reports every problem with file and field.
#include "explorer/session/Calibration.h"

#include "tests/util/TestUtil.h"

#include <gtest/gtest.h>

#include <string>

namespace edgesim::explorer {
namespace {

TEST(CalibrationSet, CommittedSetLoadsAndBoundsTheConfigsValues) {
    Session session{ConfigPaths(EDGESIM_SOURCE_DIR "/configs")};
    const CalibrationSet set = loadCalibrationSet(kDefaultCalibrationSet, session);
    ASSERT_FALSE(set.parameters.empty());
    EXPECT_GT(set.identifiability.minElasticity, 0.0);
    EXPECT_GT(set.identifiability.minIndependence, 0.0);
    for (const auto& p : set.parameters) {
        EXPECT_FALSE(p.source.empty()) << p.text;
        ASSERT_EQ(p.initial.size(), p.paths.size()) << p.text;
        const CalibrationParameter current = parseCalibrationParameter(p.text, session);
        for (std::size_t i = 0; i < p.paths.size(); ++i) {
            const double scale = current.initial[i] / p.initial[i];
            EXPECT_GE(scale, p.minScale) << p.text << " " << toString(p.paths[i]);
            EXPECT_LE(scale, p.maxScale) << p.text << " " << toString(p.paths[i]);
        }
    }
}

TEST(CalibrationSet, BadSetReportsEveryProblem) {
    test::TempDir dir;
    const std::string file =
        dir.write("bad.textproto",
                  "identifiability { min_elasticity: 0 min_independence: 1 }\n"
                  "parameters { field: \"stack/tflm-2.3:kernels[conv2d].no_such\" prior: 1 "
                  "prior_source: \"x\" min_scale: 0.5 max_scale: 2 }\n"
                  "parameters { field: \"stack/tflm-2.3:kernels[conv2d,dense].cycles_per_mac\" "
                  "prior: [1, 2, 3] prior_source: \"\" min_scale: 2 max_scale: 0.5 }\n"
                  "metrics: \"speed\"\n")
            .string();
    Session session{ConfigPaths(EDGESIM_SOURCE_DIR "/configs")};
    const InputError e = test::expectInputError([&] { loadCalibrationSet(file, session); });
    const std::string all = e.formatAll();
    for (const char* part : {"min_elasticity", "min_independence", "no_such", "prior",
                             "prior_source", "min_scale", "max_scale", "metrics", "speed"}) {
        EXPECT_NE(all.find(part), std::string::npos) << part << "\n" << all;
    }
    EXPECT_NE(all.find(file), std::string::npos) << all;
}

} // namespace
} // namespace edgesim::explorer
