// Pareto fronts of results tables (explorer/results/ParetoTable.h): objectives parsed from the
// command line, filters, NaN handling and /pareto written back, on small tables written by
// hand with ResultsFile whose fronts are worked out in the comments.
#include "explorer/results/ParetoTable.h"

#include "common/Diagnostics.h"
#include "explorer/results/ResultsFile.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace edgesim::explorer {
namespace {

using test::expectInputError;
using test::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = kNotProduced;

const std::vector<ColumnDef> kColumns = {
    {"point_index", ColumnKind::Int, ""},   {"platform", ColumnKind::String, ""},
    {"batch", ColumnKind::Int, "1"},        {"status", ColumnKind::String, ""},
    {"latency_s", ColumnKind::Double, "s"}, {"energy_j", ColumnKind::Double, "J"},
    {"accuracy", ColumnKind::Double, "1"},  {"l1_bytes", ColumnKind::Double, "B"},
};

TableRow row(int64_t i, const std::string& platform, int64_t batch, const std::string& status,
             double latency, double energy, double accuracy, double l1) {
    return {i, platform, batch, status, latency, energy, accuracy, l1};
}

/// Points in (latency_s, energy_j), both minimised:
///   0 a (1, 5)   front: least latency
///   1 b (2, 3)   front
///   2 c (3, 4)   dominated by b
///   3 d (4, 1)   front: least energy
///   4 e (2, 3)   a copy of b: equal points do not dominate each other, both kept
///   5 f (NaN, 0) did not fit: never in a front, never dominates (else it would beat d)
///   6 g (5, 1)   dominated by d (equal energy, more latency)
///   7 h (1.5, 4) front
/// accuracy (maximised) and l1_bytes vary as written; platform x/y splits the rows.
std::vector<TableRow> rows() {
    return {
        row(0, "x", 1, "ok", 1, 5, 0.90, 1000), row(1, "x", 1, "ok", 2, 3, 0.80, 2000),
        row(2, "y", 1, "ok", 3, 4, 0.95, 1000), row(3, "y", 2, "ok", 4, 1, 0.70, 4000),
        row(4, "x", 2, "ok", 2, 3, 0.80, 2000), row(5, "y", 1, "does_not_fit", kNaN, 0, kNaN, 500),
        row(6, "x", 1, "ok", 5, 1, 0.99, 1000), row(7, "y", 2, "ok", 1.5, 4, 0.60, 8000),
    };
}

/// Writes the table as /sweep of a new results file and reads it back.
struct SweepFixture {
    TempDir dir{"pareto-table-test"};
    std::string path = dir.file("sweep.h5");
    Table table;

    SweepFixture() {
        {
            ResultsFile file(path, Provenance{"0.0.0-test",
                                              "2024-01-01T00:00:00Z",
                                              "edgesim sweep (test)",
                                              std::string(64, 'a'),
                                              7,
                                              {{"study_sha256", std::string(64, 'b')}}});
            file.append("sweep", kColumns, rows());
        }
        table = readTable(path, "sweep");
    }
};

std::vector<int64_t> indices(const Table& t) {
    std::vector<int64_t> out;
    const int c = t.column("point_index");
    for (const auto& r : t.rows) {
        out.push_back(std::get<int64_t>(r.at(static_cast<std::size_t>(c))));
    }
    return out;
}

ParetoRequest request(std::vector<std::string> objectives, std::vector<std::string> where = {}) {
    ParetoRequest r;
    const char* fields[] = {"--x", "--y", "--z"};
    for (std::size_t i = 0; i < objectives.size(); ++i) {
        r.objectives.push_back(parseObjective(objectives[i], fields[i % 3]));
    }
    r.where = std::move(where);
    return r;
}

// ---- parseObjective -------------------------------------------------------------------------

TEST(ParetoTable, ParseObjectiveReadsTheSense) {
    const Objective plain = parseObjective("latency_s", "--x");
    EXPECT_EQ(plain.column, "latency_s");
    EXPECT_EQ(plain.sense, analysis::Sense::Minimize);
    const Objective min = parseObjective("min:energy_j", "--y");
    EXPECT_EQ(min.column, "energy_j");
    EXPECT_EQ(min.sense, analysis::Sense::Minimize);
    const Objective max = parseObjective("max:accuracy", "--z");
    EXPECT_EQ(max.column, "accuracy");
    EXPECT_EQ(max.sense, analysis::Sense::Maximize);
}

TEST(ParetoTable, ParseObjectiveWithoutAColumnNamesTheOption) {
    for (const char* text : {"", "max:", "min:"}) {
        const InputError e = expectInputError([&] { parseObjective(text, "--y"); }, text);
        ASSERT_EQ(e.diagnostics().size(), 1U) << text;
        EXPECT_EQ(e.diagnostics()[0].field, "--y") << text;
    }
}

// ---- paretoFront ----------------------------------------------------------------------------

TEST(ParetoTable, TwoObjectivesByHandOrderedByTheFirst) {
    SweepFixture f;
    const ParetoFront front = paretoFront(f.table, request({"latency_s", "energy_j"}), f.path);
    // a (1), h (1.5), b and e (2, in table order), d (4).
    EXPECT_THAT(indices(front.rows), ElementsAre(0, 7, 1, 4, 3));
    EXPECT_EQ(front.considered, 8);
    EXPECT_EQ(front.withNaN, 1);
    // Every column, rows as in the table.
    EXPECT_EQ(front.rows.columns, kColumns);
    EXPECT_EQ(front.rows.rows[1], f.table.rows[7]);
}

TEST(ParetoTable, MaximisedObjective) {
    SweepFixture f;
    // latency min, accuracy max: a (1, .90), h (1.5, .60) dominated by a, b/e (2, .80)
    // dominated by a, c (3, .95) front, d dominated, g (5, .99) front, f NaN.
    const ParetoFront front = paretoFront(f.table, request({"latency_s", "max:accuracy"}), f.path);
    EXPECT_THAT(indices(front.rows), ElementsAre(0, 2, 6));
    EXPECT_EQ(front.withNaN, 1);
    // Both maximised and minimised on the same column: no row dominates another.
    const ParetoFront all = paretoFront(f.table, request({"l1_bytes", "max:l1_bytes"}), f.path);
    EXPECT_EQ(all.rows.rows.size(), 8U);
    EXPECT_EQ(all.withNaN, 0);
}

TEST(ParetoTable, ThreeObjectives) {
    SweepFixture f;
    // (latency, energy, l1) minimised: adding l1 saves c (3, 4, 1000; b and e have 2000) and
    // g (5, 1, 1000; d has 4000); f has a NaN.
    const ParetoFront front =
        paretoFront(f.table, request({"latency_s", "energy_j", "l1_bytes"}), f.path);
    EXPECT_THAT(indices(front.rows), ElementsAre(0, 7, 1, 4, 2, 3, 6));
}

TEST(ParetoTable, IntegerColumnsAreObjectives) {
    SweepFixture f;
    // (batch, latency): batch 1 rows a (1), b (2), c, f (NaN), g: front a; batch 2 rows
    // d (4), e (2), h (1.5): all dominated by a (batch 1, latency 1).
    const ParetoFront front = paretoFront(f.table, request({"batch", "latency_s"}), f.path);
    EXPECT_THAT(indices(front.rows), ElementsAre(0));
    // max:batch: h (2, 1.5) and a (1, 1) are the front, best (largest batch) first.
    const ParetoFront max = paretoFront(f.table, request({"max:batch", "latency_s"}), f.path);
    EXPECT_THAT(indices(max.rows), ElementsAre(7, 0));
}

TEST(ParetoTable, WhereFiltersTextAndNumbers) {
    SweepFixture f;
    // platform x: a, b, e, g; front (latency, energy): a, b, e, g (g has the least energy there).
    const ParetoFront x =
        paretoFront(f.table, request({"latency_s", "energy_j"}, {"platform=x"}), f.path);
    EXPECT_THAT(indices(x.rows), ElementsAre(0, 1, 4, 6));
    EXPECT_EQ(x.considered, 4);
    EXPECT_EQ(x.withNaN, 0);
    // platform y and batch 2 (an integer column): d, h.
    const ParetoFront y2 =
        paretoFront(f.table, request({"latency_s", "energy_j"}, {"platform=y", "batch=2"}), f.path);
    EXPECT_THAT(indices(y2.rows), ElementsAre(7, 3));
    EXPECT_EQ(y2.considered, 2);
    // A double column compares as a number: 1e3 is 1000 (a, c, g; g dominates none of them).
    const ParetoFront l1 =
        paretoFront(f.table, request({"latency_s", "energy_j"}, {"l1_bytes=1e3"}), f.path);
    EXPECT_THAT(indices(l1.rows), ElementsAre(0, 2, 6));
    EXPECT_EQ(l1.considered, 3);
    // status=ok leaves the NaN row out before counting.
    const ParetoFront ok =
        paretoFront(f.table, request({"latency_s", "energy_j"}, {"status=ok"}), f.path);
    EXPECT_EQ(ok.considered, 7);
    EXPECT_EQ(ok.withNaN, 0);
    // Nothing passes: an empty front with the table's columns.
    const ParetoFront none =
        paretoFront(f.table, request({"latency_s", "energy_j"}, {"platform=z"}), f.path);
    EXPECT_TRUE(none.rows.rows.empty());
    EXPECT_EQ(none.rows.columns, kColumns);
    EXPECT_EQ(none.considered, 0);
}

TEST(ParetoTable, NaNRowsNeverDominate) {
    SweepFixture f;
    // energy alone would pick f (0); f has no latency, so d and g (energy 1) are the front of
    // (energy, accuracy max): d (1, .70), g (1, .99) -> g dominates d.
    const ParetoFront front = paretoFront(f.table, request({"energy_j", "max:accuracy"}), f.path);
    EXPECT_THAT(indices(front.rows), ElementsAre(6));
    EXPECT_EQ(front.withNaN, 1);
}

TEST(ParetoTable, BadColumnsAndFiltersNameTheFileAndOption) {
    SweepFixture f;
    const auto error = [&](const ParetoRequest& r) {
        return expectInputError([&] { paretoFront(f.table, r, f.path); });
    };
    {
        const InputError e = error(request({"latency_s", "no_such_column"}));
        ASSERT_EQ(e.diagnostics().size(), 1U);
        EXPECT_EQ(e.diagnostics()[0].file, f.path);
        EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("no_such_column"));
        // The numeric columns are listed, text ones not.
        EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("latency_s"));
        EXPECT_THAT(e.diagnostics()[0].reason, ::testing::Not(HasSubstr("platform")));
    }
    {
        const InputError e = error(request({"platform", "energy_j"}));
        ASSERT_EQ(e.diagnostics().size(), 1U);
        EXPECT_EQ(e.diagnostics()[0].file, f.path);
        EXPECT_THAT(e.formatAll(), HasSubstr("platform"));
        EXPECT_THAT(e.formatAll(), HasSubstr("text column"));
    }
    for (const char* where : {"no_such_column=1", "platform", "=x", "batch=two", "l1_bytes="}) {
        const InputError e = error(request({"latency_s", "energy_j"}, {where}));
        ASSERT_EQ(e.diagnostics().size(), 1U) << where;
        EXPECT_EQ(e.diagnostics()[0].field, "--where") << where;
    }
}

// ---- paretoOfFile ---------------------------------------------------------------------------

TEST(ParetoTable, ParetoOfFileReplacesTheTableWithItsAttributes) {
    SweepFixture f;
    const ParetoRequest r1 = request({"latency_s", "max:accuracy"}, {"status=ok"});
    paretoOfFile(f.path, r1, true);
    Table written = readTable(f.path, "pareto");
    EXPECT_EQ(written.columns, kColumns); // names, kinds and units
    EXPECT_THAT(indices(written), ElementsAre(0, 2, 6));
    EXPECT_EQ(readStringAttribute(f.path, "pareto", "objectives"),
              std::string("min:latency_s,max:accuracy"));
    EXPECT_EQ(readStringAttribute(f.path, "pareto", "where"), std::string("status=ok"));
    EXPECT_EQ(readStringAttribute(f.path, "pareto", "source"), std::string("sweep"));
    EXPECT_FALSE(std::filesystem::exists(f.path + ".tmp"));

    // A second front replaces the first (not appended), attributes too.
    const ParetoRequest r2 =
        request({"latency_s", "energy_j", "l1_bytes"}, {"platform=x", "batch=1"});
    paretoOfFile(f.path, r2, true);
    written = readTable(f.path, "pareto");
    EXPECT_THAT(indices(written), ElementsAre(0, 1, 6));
    EXPECT_EQ(readStringAttribute(f.path, "pareto", "objectives"),
              std::string("min:latency_s,min:energy_j,min:l1_bytes"));
    EXPECT_EQ(readStringAttribute(f.path, "pareto", "where"), std::string("platform=x,batch=1"));

    // An empty front is still a table.
    const ParetoRequest r3 = request({"latency_s", "energy_j"}, {"platform=z"});
    paretoOfFile(f.path, r3, true);
    EXPECT_EQ(countRows(f.path, "pareto"), 0);
    EXPECT_EQ(readTable(f.path, "pareto").columns, kColumns);
    EXPECT_EQ(readStringAttribute(f.path, "pareto", "where"), std::string("platform=z"));

    // The rest of the file is as it was: /sweep and the provenance.
    const Table sweep = readTable(f.path, "sweep");
    EXPECT_EQ(sweep.columns, f.table.columns);
    ASSERT_EQ(sweep.rows.size(), f.table.rows.size());
    for (std::size_t i = 0; i < sweep.rows.size(); ++i) {
        for (std::size_t c = 0; c < sweep.columns.size(); ++c) {
            const Cell& a = sweep.rows[i][c];
            const Cell& b = f.table.rows[i][c];
            const bool nan = std::holds_alternative<double>(a) && std::isnan(std::get<double>(a)) &&
                             std::isnan(std::get<double>(b));
            EXPECT_TRUE(nan || a == b) << "row " << i << " column " << sweep.columns[c].name;
        }
    }
    EXPECT_EQ(readStringAttribute(f.path, "/", "study_sha256"), std::string(64, 'b'));
    EXPECT_EQ(readStringAttribute(f.path, "/", "command_line"),
              std::string("edgesim sweep (test)"));
}

TEST(ParetoTable, ParetoOfAMissingFileThrowsAndCreatesNothing) {
    TempDir dir("pareto-table-test");
    const std::string path = dir.file("missing.h5");
    const ParetoRequest r = request({"latency_s", "energy_j"});
    const InputError e = expectInputError([&] { paretoOfFile(path, r, true); });
    EXPECT_THAT(e.formatAll(), HasSubstr(path));
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(ParetoTable, FrontOfAnotherTable) {
    // pareto reads any table of the file (--dataset): here a /runs table of two runs.
    TempDir dir("pareto-table-test");
    const std::string path = dir.file("runs.h5");
    {
        ResultsFile file(path, Provenance{"0.0.0-test",
                                          "2024-01-01T00:00:00Z",
                                          "edgesim simulate",
                                          std::string(64, 'a'),
                                          0,
                                          {}});
        RunRow fast;
        fast.runId = 0;
        fast.status = "ok";
        fast.latencyS = 1e-3;
        fast.energyJ = 2e-3;
        RunRow frugal = fast;
        frugal.runId = 1;
        frugal.latencyS = 2e-3;
        frugal.energyJ = 1e-3;
        RunRow worse = fast;
        worse.runId = 2;
        worse.latencyS = 3e-3;
        worse.energyJ = 3e-3;
        file.appendRuns({fast, frugal, worse});
    }
    ParetoRequest r = request({"latency_s", "energy_j"});
    r.dataset = "runs";
    const Table runs = readTable(path, "runs");
    const ParetoFront front = paretoOfFile(path, r, true);
    std::vector<int64_t> ids;
    for (const auto& row : front.rows.rows) {
        ids.push_back(std::get<int64_t>(row.at(static_cast<std::size_t>(runs.column("run_id")))));
    }
    EXPECT_THAT(ids, ElementsAre(0, 1));
    EXPECT_EQ(readStringAttribute(path, "pareto", "source"), std::string("runs"));
    EXPECT_EQ(countRows(path, "pareto"), 2);
    EXPECT_EQ(countRows(path, "runs"), 3);
}

} // namespace
} // namespace edgesim::explorer
