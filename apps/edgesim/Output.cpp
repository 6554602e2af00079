#include "apps/edgesim/Output.h"

#include "common/Diagnostics.h"
#include "explorer/results/Provenance.h"

#include <algorithm>
#include <ostream>

namespace edgesim::app {

Format parseFormat(const std::string& s) {
    if (s == "table")
        return Format::Table;
    if (s == "json")
        return Format::Json;
    if (s == "csv")
        return Format::Csv;
    throw InputError("<command line>", "--format",
                     "unknown format '" + s + "' (expected table, json or csv)");
}

void Table::print(std::ostream& os) const {
    std::vector<std::size_t> width(header.size(), 0);
    auto measure = [&](const std::vector<std::string>& r) {
        for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) {
            width[c] = std::max(width[c], r[c].size());
        }
    };
    measure(header);
    for (const auto& r : rows) {
        measure(r);
    }
    auto line = [&](const std::vector<std::string>& r) {
        std::string out;
        for (std::size_t c = 0; c < width.size(); ++c) {
            const std::string cell = c < r.size() ? r[c] : std::string();
            const std::string pad(width[c] - cell.size(), ' ');
            const bool right = c < rightAlign.size() && rightAlign[c];
            out += right ? pad + cell : cell + pad;
            if (c + 1 < width.size()) {
                out += "  ";
            }
        }
        while (!out.empty() && out.back() == ' ') {
            out.pop_back();
        }
        os << out << '\n';
    };
    line(header);
    std::vector<std::string> rule;
    for (std::size_t w : width) {
        rule.emplace_back(w, '-');
    }
    line(rule);
    for (const auto& r : rows) {
        line(r);
    }
}

namespace {
std::string csvCell(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) {
        return s;
    }
    std::string q = "\"";
    for (char c : s) {
        q += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return q + "\"";
}
} // namespace

void Table::printCsv(std::ostream& os) const {
    auto line = [&](const std::vector<std::string>& r) {
        for (std::size_t c = 0; c < r.size(); ++c) {
            os << (c ? "," : "") << csvCell(r[c]);
        }
        os << '\n';
    };
    line(header);
    for (const auto& r : rows) {
        line(r);
    }
}

std::string groupDigits(int64_t v) {
    // The magnitude as unsigned: -INT64_MIN does not fit an int64.
    const uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    std::string digits = std::to_string(magnitude);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

std::string jsonText(const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json provenance(const std::string& commandLine, const std::string& configSha256) {
    return explorer::provenanceJson(explorer::makeProvenance(commandLine, configSha256),
                                    /*hasSeed=*/false);
}

} // namespace edgesim::app
