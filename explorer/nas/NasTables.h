// The tables of a NAS results file (DESIGN.md §3): /nas/evaluations (one row per distinct
// network evaluated: the cache a resumed run reads back), /nas/population (one row per
// individual), /nas/generations and /nas/pareto, their columns (targets' metrics as
// "<target>.<metric>", genes as "gene.<name>") and rows.
#pragma once

#include "explorer/nas/NasStudy.h"
#include "explorer/nas/SearchAlgorithm.h"
#include "explorer/results/ResultsFile.h"
#include "explorer/spec/nas_wire.pb.h"

#include <string>
#include <vector>

namespace edgesim::explorer::nas {

inline constexpr const char* kEvaluationsTable = "nas/evaluations";
inline constexpr const char* kPopulationTable = "nas/population";
inline constexpr const char* kGenerationsTable = "nas/generations";
inline constexpr const char* kParetoTable = "nas/pareto";

class NasTables {
public:
    NasTables(const spec::NasStudySpec& study, const SearchSpace& space);

    const std::vector<ColumnDef>& evaluationColumns() const { return evaluations_; }
    const std::vector<ColumnDef>& populationColumns() const { return population_; }
    const std::vector<ColumnDef>& generationColumns() const { return generations_; }

    TableRow evaluationRow(const wire::NasOutcome& outcome) const;
    /// Reads an outcome back from a /nas/evaluations row (std::runtime_error on a row of
    /// other columns).
    wire::NasOutcome outcomeOf(const Table& table, std::size_t row) const;
    /// An individual's row: its outcome and whether it came from the cache.
    TableRow populationRow(const Individual& individual, const Genome& genome,
                           const wire::NasOutcome& outcome, bool cached) const;

    /// A /nas/generations row: `population` after survival, the individuals evaluated,
    /// counts and times.
    struct GenerationFigures {
        int generation = 0;
        int64_t individuals = 0; ///< evaluated so far (all generations)
        int64_t simulated = 0;   ///< networks new to the search this generation
        double hypervolume = 0;
        double wallS = 0, simS = 0, trainS = 0;
    };
    TableRow generationRow(const GenerationFigures& f,
                           const std::vector<Individual>& population) const;

    /// "<target>.<metric>" or "<metric>" for an objective or constraint.
    static std::string key(const std::string& metric, const std::string& target);

private:
    const spec::NasStudySpec& study_;
    const SearchSpace& space_;
    std::vector<ColumnDef> evaluations_, population_, generations_;
};

/// Unit of a metric's column.
std::string metricUnit(const std::string& metric);

} // namespace edgesim::explorer::nas
