#include "analysis/Measurements.h"

#include "common/Diagnostics.h"
#include "common/SpecValues.h"
#include "common/TextProto.h"

#include <csv.h>
#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace edgesim::analysis {

std::string toString(Metric m) {
    switch (m) {
    case Metric::Latency: return "latency";
    case Metric::Energy: return "energy";
    case Metric::PeakMemory: return "peak_memory";
    case Metric::Macs: return "macs";
    case Metric::Traffic: return "traffic";
    }
    return "?";
}

namespace {

struct Record {
    int line = 0;
    std::vector<std::string> fields;
};

/// libcsv callbacks collecting records with the line each starts on.
struct Collector {
    int line = 1; // line being handed to libcsv
    std::vector<Record> records;
    Record current;
    bool inRecord = false;
};

std::optional<Metric> parseMetric(const std::string& s) {
    for (Metric m :
         {Metric::Latency, Metric::Energy, Metric::PeakMemory, Metric::Macs, Metric::Traffic}) {
        if (toString(m) == s) {
            return m;
        }
    }
    return std::nullopt;
}

struct UnitInfo {
    const char* name;
    const char* si;
    double factor;
};

constexpr UnitInfo kUnits[] = {
    {"s", "s", 1.0},      {"ms", "s", 1e-3},       {"us", "s", 1e-6}, {"cycles", "cycles", 1.0},
    {"J", "J", 1.0},      {"mJ", "J", 1e-3},       {"uJ", "J", 1e-6}, {"B", "B", 1.0},
    {"KiB", "B", 1024.0}, {"MiB", "B", 1048576.0}, {"", "", 1.0},
};

const UnitInfo* findUnit(const std::string& u) {
    for (const auto& info : kUnits) {
        if (u == info.name) {
            return &info;
        }
    }
    return nullptr;
}

/// SI units a metric may be given in.
bool unitFits(Metric m, const std::string& si) {
    switch (m) {
    case Metric::Latency: return si == "s" || si == "cycles";
    case Metric::Energy: return si == "J";
    case Metric::PeakMemory:
    case Metric::Traffic: return si == "B";
    case Metric::Macs: return si.empty();
    }
    return false;
}

std::optional<double> parseNumber(const std::string& s) {
    if (s.empty()) {
        return std::nullopt;
    }
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

} // namespace

std::vector<Measurement> parseMeasurements(const std::string& text, const std::string& file) {
    Diagnostics diags(file);
    Collector col;
    csv_parser parser{};
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) !=
        0) {
        throw std::runtime_error("csv_init failed");
    }
    auto onField = [](void* data, size_t len, void* user) {
        auto* c = static_cast<Collector*>(user);
        if (!c->inRecord) {
            c->inRecord = true;
            c->current.line = c->line;
        }
        c->current.fields.emplace_back(data ? static_cast<const char*>(data) : "", data ? len : 0);
    };
    auto onRecord = [](int, void* user) {
        auto* c = static_cast<Collector*>(user);
        c->records.push_back(std::move(c->current));
        c->current = Record{};
        c->inRecord = false;
    };
    // Feed line by line so that each record knows the line it starts on. A UTF-8 byte order
    // mark (spreadsheets' "CSV UTF-8" writes one) is not part of the first column's name.
    std::size_t pos = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
    bool ok = true;
    while (pos < text.size() && ok) {
        std::size_t nl = text.find('\n', pos);
        std::size_t len = (nl == std::string::npos ? text.size() : nl + 1) - pos;
        ok = csv_parse(&parser, text.data() + pos, len, onField, onRecord, &col) == len;
        pos += len;
        if (ok) {
            ++col.line;
        }
    }
    if (ok) {
        ok = csv_fini(&parser, onField, onRecord, &col) == 0;
    }
    if (!ok) {
        // An unterminated quote is only noticed at the end: name the record it opened in.
        diags.error("", std::string("malformed CSV: ") + csv_strerror(csv_error(&parser)),
                    col.inRecord ? col.current.line : col.line);
    }
    csv_free(&parser);
    diags.throwIfAny();

    if (col.records.empty()) {
        throw InputError(file, "", "empty file: expected a header row");
    }

    const auto& header = col.records.front().fields;
    std::map<std::string, std::size_t> column;
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (!column.emplace(header[i], i).second) {
            diags.error("header", "duplicate column '" + header[i] + "'", 1);
        }
    }
    for (const char* required :
         {"platform", "stack", "network", "strategy", "metric", "value", "unit", "source"}) {
        if (column.count(required) == 0) {
            diags.error("header", std::string("missing column '") + required + "'", 1);
        }
    }
    diags.throwIfAny();
    if (col.records.size() == 1) {
        throw InputError({Diagnostic{file, col.records.front().line, 0, "",
                                     "no measurement rows after the header"}});
    }

    std::vector<Measurement> out;
    for (std::size_t r = 1; r < col.records.size(); ++r) {
        const Record& rec = col.records[r];
        if (rec.fields.size() == 1 && rec.fields[0].empty()) {
            continue; // blank line
        }
        if (rec.fields.size() != header.size()) {
            diags.error("",
                        fmt::format("row has {} fields, the header has {}", rec.fields.size(),
                                    header.size()),
                        rec.line);
            continue;
        }
        auto get = [&](const char* name) { return rec.fields[column.at(name)]; };
        Measurement m;
        m.line = rec.line;
        m.platform = get("platform");
        m.stack = get("stack");
        m.network = get("network");
        m.strategy = get("strategy");
        m.source = get("source");
        m.unit = get("unit");
        bool good = true;
        // Names and sources become HDF5 strings, JSON and table cells: the same limits as in
        // a config (no NUL or other control bytes, UTF-8, bounded length).
        for (const char* name : {"platform", "stack", "network", "strategy", "source", "unit"}) {
            if (const std::string problem = stringValueProblem(get(name)); !problem.empty()) {
                diags.error(name, problem, rec.line);
                good = false;
            }
        }
        for (const char* name : {"platform", "stack", "network", "strategy"}) {
            if (get(name).empty()) {
                diags.error(name, "empty value", rec.line);
                good = false;
            }
        }
        auto metric = parseMetric(get("metric"));
        if (!metric) {
            diags.error("metric",
                        "unknown metric '" + get("metric") +
                            "' (expected latency, energy, peak_memory, macs or traffic)",
                        rec.line);
            good = false;
        }
        auto value = parseNumber(get("value"));
        if (!value || *value <= 0) {
            // errors are relative to the measurement: a zero has none
            diags.error("value", "'" + get("value") + "' is not a positive number", rec.line);
            good = false;
        }
        const UnitInfo* unit = findUnit(m.unit);
        if (value && unit != nullptr && !std::isfinite(*value * unit->factor)) {
            diags.error("value", "'" + get("value") + " " + m.unit + "' is out of range", rec.line);
            good = false;
        }
        if (unit == nullptr) {
            diags.error("unit",
                        "unknown unit '" + m.unit +
                            "' (expected s, ms, us, cycles, J, mJ, uJ, B, KiB or MiB)",
                        rec.line);
            good = false;
        } else if (metric && !unitFits(*metric, unit->si)) {
            diags.error(
                "unit",
                fmt::format("unit '{}' does not fit metric '{}'", m.unit, toString(*metric)),
                rec.line);
            good = false;
        }
        for (const char* name : {"clock_mhz", "voltage_v"}) {
            if (column.count(name) == 0 || get(name).empty()) {
                continue;
            }
            auto v = parseNumber(get(name));
            if (!v || *v <= 0) {
                diags.error(name, "'" + get(name) + "' is not a positive number", rec.line);
                good = false;
            } else {
                (std::string(name) == "clock_mhz" ? m.clockMhz : m.voltageV) = *v;
            }
        }
        if (!good) {
            continue;
        }
        m.metric = *metric;
        m.rawValue = *value;
        m.value = *value * unit->factor;
        m.siUnit = unit->si;
        for (std::size_t i = 0; i < header.size(); ++i) {
            static const char* const kKnown[] = {"platform",  "stack",    "network", "strategy",
                                                 "metric",    "value",    "unit",    "source",
                                                 "clock_mhz", "voltage_v"};
            bool known = false;
            for (const char* k : kKnown) {
                known = known || header[i] == k;
            }
            if (!known) {
                m.extra[header[i]] = rec.fields[i];
            }
        }
        out.push_back(std::move(m));
    }
    diags.throwIfAny();
    return out;
}

std::vector<Measurement> loadMeasurements(const std::string& path) {
    return parseMeasurements(readFile(path), path);
}

} // namespace edgesim::analysis
