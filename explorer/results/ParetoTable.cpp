#include "explorer/results/ParetoTable.h"

#include "common/Diagnostics.h"
#include "common/Strings.h"
#include "explorer/results/WriterLock.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

namespace edgesim::explorer {

Objective parseObjective(const std::string& text, const std::string& field) {
    Objective o;
    o.column = text;
    o.field = field;
    if (text.rfind("max:", 0) == 0) {
        o.column = text.substr(4);
        o.sense = analysis::Sense::Maximize;
    } else if (text.rfind("min:", 0) == 0) {
        o.column = text.substr(4);
    }
    if (o.column.empty()) {
        throw InputError("<command line>", field, "no column given");
    }
    return o;
}

namespace {

double numberOf(const Cell& c) {
    if (const auto* i = std::get_if<int64_t>(&c)) {
        return static_cast<double>(*i);
    }
    return std::get<double>(c);
}

} // namespace

ParetoFront paretoFront(const Table& table, const ParetoRequest& request, const std::string& file) {
    const auto columnOf = [&](const std::string& name, const std::string& field, bool numeric) {
        const int c = table.column(name);
        if (c < 0) {
            std::vector<std::string> known;
            for (const auto& col : table.columns) {
                if (!numeric || col.kind != ColumnKind::String) {
                    known.push_back(col.name);
                }
            }
            throw InputError(file, field,
                             fmt::format("/{} has no column '{}' ({}columns: {})", request.dataset,
                                         name, numeric ? "numeric " : "", join(known)));
        }
        return static_cast<std::size_t>(c);
    };
    // Filters.
    struct Filter {
        std::size_t column;
        std::string text;
        double number = 0;
    };
    std::vector<Filter> filters;
    for (const auto& w : request.where) {
        const auto eq = w.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw InputError("<command line>", "--where",
                             "'" + w + "' is not column=value (e.g. status=ok)");
        }
        Filter f{columnOf(w.substr(0, eq), "--where", false), w.substr(eq + 1)};
        if (table.columns[f.column].kind != ColumnKind::String) {
            char* end = nullptr;
            f.number = std::strtod(f.text.c_str(), &end);
            if (f.text.empty() || *end != '\0') {
                throw InputError("<command line>", "--where",
                                 "'" + w + "': " + table.columns[f.column].name +
                                     " is a numeric column");
            }
        }
        filters.push_back(std::move(f));
    }
    std::vector<std::size_t> objectiveColumns;
    std::vector<analysis::Sense> senses;
    for (const auto& o : request.objectives) {
        const std::string field = o.field.empty() ? "objective" : o.field;
        const std::size_t c = columnOf(o.column, field, true);
        if (table.columns[c].kind == ColumnKind::String) {
            throw InputError(file, field,
                             "'" + o.column + "' is a text column; objectives are numeric columns");
        }
        objectiveColumns.push_back(c);
        senses.push_back(o.sense);
    }
    ParetoFront front;
    front.rows.columns = table.columns;
    std::vector<std::size_t> kept;
    std::vector<std::vector<double>> points;
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const TableRow& row = table.rows[r];
        const bool pass = std::all_of(filters.begin(), filters.end(), [&](const Filter& f) {
            const Cell& c = row[f.column];
            if (const auto* s = std::get_if<std::string>(&c)) {
                return *s == f.text;
            }
            return numberOf(c) == f.number;
        });
        if (!pass) {
            continue;
        }
        ++front.considered;
        std::vector<double> p;
        for (std::size_t c : objectiveColumns) {
            p.push_back(numberOf(row[c]));
        }
        front.withNaN += std::any_of(p.begin(), p.end(), [](double v) { return std::isnan(v); });
        kept.push_back(r);
        points.push_back(std::move(p));
    }
    std::vector<std::size_t> best = analysis::paretoFront(points, senses);
    // Best first by the first objective.
    const bool descending = !senses.empty() && senses[0] == analysis::Sense::Maximize;
    std::stable_sort(best.begin(), best.end(), [&](std::size_t a, std::size_t b) {
        return descending ? points[a][0] > points[b][0] : points[a][0] < points[b][0];
    });
    for (std::size_t i : best) {
        front.rows.rows.push_back(table.rows[kept[i]]);
    }
    return front;
}

ParetoFront paretoOfFile(const std::string& path, const ParetoRequest& request, bool write) {
    if (!write) {
        return paretoFront(readTable(path, request.dataset), request, path);
    }
    // Locked from the read to the write: the front is of the table the file then holds.
    const WriterLock lock(path, "file");
    ParetoFront front = paretoFront(readTable(path, request.dataset), request, path);
    std::vector<std::string> objectives;
    for (const auto& o : request.objectives) {
        objectives.push_back((o.sense == analysis::Sense::Maximize ? "max:" : "min:") + o.column);
    }
    updateResultsFile(path, [&](ResultsFile& file) {
        file.replace("pareto", front.rows.columns, front.rows.rows);
        file.setAttribute("pareto", "objectives", join(objectives, ","));
        file.setAttribute("pareto", "where", join(request.where, ","));
        file.setAttribute("pareto", "source", request.dataset);
    });
    return front;
}

} // namespace edgesim::explorer
