#include "explorer/nas/NasTables.h"

#include "common/Hash.h"
#include "common/Strings.h"
#include "explorer/nas/CandidateEvaluator.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace edgesim::explorer::nas {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<ColumnDef> outcomeColumns(const spec::NasStudySpec& study) {
    std::vector<ColumnDef> c = {
        {"network_sha256", ColumnKind::String, "", kSha256HexLength},
        {"status", ColumnKind::String, ""},
        {"reason", ColumnKind::String, ""},
    };
    for (const auto& t : study.targets()) {
        const std::string n = targetName(t);
        c.push_back({n + ".status", ColumnKind::String, ""});
        for (const auto& m : targetMetrics()) {
            c.push_back({n + "." + m, ColumnKind::Double, metricUnit(m)});
        }
    }
    for (const char* m : {"params", "macs", "accuracy"}) {
        c.push_back({m, ColumnKind::Double, metricUnit(m)});
    }
    c.push_back({"train_s", ColumnKind::Double, "s"});
    c.push_back({"sim_s", ColumnKind::Double, "s"});
    return c;
}

void appendOutcome(TableRow& row, const spec::NasStudySpec& study, const wire::NasOutcome& o) {
    row.emplace_back(o.network_sha256());
    row.emplace_back(o.status());
    row.emplace_back(o.reason());
    for (int t = 0; t < study.targets_size(); ++t) {
        const bool has = t < o.targets_size();
        row.emplace_back(has ? o.targets(t).status() : std::string("not_run"));
        for (std::size_t k = 0; k < targetMetrics().size(); ++k) {
            const int i = static_cast<int>(k);
            row.emplace_back(has && i < o.targets(t).metrics_size() ? o.targets(t).metrics(i)
                                                                    : kNaN);
        }
    }
    row.emplace_back(o.params());
    row.emplace_back(o.macs());
    row.emplace_back(o.accuracy());
    row.emplace_back(o.train_s());
    row.emplace_back(o.sim_s());
}

} // namespace

std::string metricUnit(const std::string& metric) {
    if (metric == "latency_s") {
        return "s";
    }
    if (metric == "latency_cycles") {
        return "cycles";
    }
    if (metric == "energy_j") {
        return "J";
    }
    if (metric == "peak_ram_bytes" || metric == "flash_bytes") {
        return "B";
    }
    if (metric == "macs") {
        return "MAC";
    }
    return "1";
}

std::string NasTables::key(const std::string& metric, const std::string& target) {
    return target.empty() ? metric : target + "." + metric;
}

NasTables::NasTables(const spec::NasStudySpec& study, const SearchSpace& space)
    : study_(study), space_(space) {
    evaluations_ = outcomeColumns(study);
    evaluations_.insert(evaluations_.begin() + 1, {"first_id", ColumnKind::Int, ""});

    population_ = {{"generation", ColumnKind::Int, ""},
                   {"id", ColumnKind::Int, ""},
                   {"parents", ColumnKind::String, ""},
                   {"genome", ColumnKind::String, ""},
                   {"genes", ColumnKind::String, ""}};
    for (const auto& g : space.genes()) {
        population_.push_back({"gene." + g.name, ColumnKind::Int, ""});
    }
    const auto outcome = outcomeColumns(study);
    population_.insert(population_.end(), outcome.begin(), outcome.end());
    population_.push_back({"cached", ColumnKind::Int, ""});
    population_.push_back({"violation", ColumnKind::Double, "1"});
    population_.push_back({"rank", ColumnKind::Int, ""});
    population_.push_back({"crowding", ColumnKind::Double, "1"});

    generations_ = {{"generation", ColumnKind::Int, ""},
                    {"individuals", ColumnKind::Int, ""},
                    {"new_networks", ColumnKind::Int, ""},
                    {"feasible", ColumnKind::Int, ""},
                    {"hypervolume", ColumnKind::Double, "1"}};
    for (const auto& o : study.objectives()) {
        generations_.push_back(
            {"best." + key(o.metric(), o.target()), ColumnKind::Double, metricUnit(o.metric())});
    }
    generations_.push_back({"wall_s", ColumnKind::Double, "s"});
    generations_.push_back({"sim_s", ColumnKind::Double, "s"});
    generations_.push_back({"train_s", ColumnKind::Double, "s"});
}

TableRow NasTables::evaluationRow(const wire::NasOutcome& outcome) const {
    TableRow row;
    appendOutcome(row, study_, outcome);
    row.insert(row.begin() + 1, Cell(static_cast<int64_t>(outcome.id())));
    return row;
}

wire::NasOutcome NasTables::outcomeOf(const Table& table, std::size_t r) const {
    if (table.columns.size() != evaluations_.size()) {
        throw std::runtime_error("/nas/evaluations has other columns than this study's");
    }
    const TableRow& row = table.rows.at(r);
    std::size_t c = 0;
    auto text = [&] { return std::get<std::string>(row.at(c++)); };
    auto real = [&] { return std::get<double>(row.at(c++)); };
    wire::NasOutcome o;
    o.set_network_sha256(text());
    o.set_id(std::get<int64_t>(row.at(c++)));
    o.set_status(text());
    o.set_reason(text());
    for (int t = 0; t < study_.targets_size(); ++t) {
        auto& to = *o.add_targets();
        to.set_status(text());
        for (std::size_t k = 0; k < targetMetrics().size(); ++k) {
            to.add_metrics(real());
        }
    }
    o.set_params(real());
    o.set_macs(real());
    o.set_accuracy(real());
    o.set_train_s(real());
    o.set_sim_s(real());
    return o;
}

TableRow NasTables::populationRow(const Individual& ind, const Genome& genome,
                                  const wire::NasOutcome& outcome, bool cached) const {
    std::vector<std::string> parents;
    for (int64_t p : ind.parents) {
        parents.push_back(std::to_string(p));
    }
    TableRow row = {static_cast<int64_t>(ind.generation), ind.id, join(parents, " "),
                    space_.encode(genome), space_.describe(genome)};
    for (int g : genome) {
        row.emplace_back(static_cast<int64_t>(g));
    }
    appendOutcome(row, study_, outcome);
    row.emplace_back(static_cast<int64_t>(cached ? 1 : 0));
    row.emplace_back(ind.violation);
    row.emplace_back(static_cast<int64_t>(ind.rank));
    row.emplace_back(std::isfinite(ind.crowding) ? ind.crowding
                                                 : std::numeric_limits<double>::infinity());
    return row;
}

TableRow NasTables::generationRow(const GenerationFigures& f,
                                  const std::vector<Individual>& population) const {
    int64_t feasible = 0;
    for (const auto& i : population) {
        feasible += i.violation == 0 ? 1 : 0;
    }
    TableRow row = {static_cast<int64_t>(f.generation), f.individuals, f.simulated, feasible,
                    f.hypervolume};
    for (int k = 0; k < study_.objectives_size(); ++k) {
        double best = kNaN;
        for (const auto& i : population) {
            if (i.violation == 0 && (std::isnan(best) || i.objectives[k] < best)) {
                best = i.objectives[k];
            }
        }
        // Objectives are held to minimise: a maximised one comes back to its own sign.
        row.emplace_back(maximised(study_.objectives(k)) && !std::isnan(best) ? -best : best);
    }
    row.emplace_back(f.wallS);
    row.emplace_back(f.simS);
    row.emplace_back(f.trainS);
    return row;
}

} // namespace edgesim::explorer::nas
