// `edgesim list networks|platforms|stacks|strategies|studies`
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "common/Strings.h"
#include "explorer/sweep/Study.h"
#include "platforms/PlatformCatalog.h"
#include "workloads/NetworkSource.h"
#include "workloads/strategy/Strategy.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

namespace edgesim::app {

namespace {

struct ListOptions {
    std::string what;
    std::string format = "table";
};

/// A strategy's parameters for a table cell: "key=default (a|b|c)", "key=default [1, 8]".
std::string parametersText(const std::vector<workloads::StrategyParameter>& params) {
    std::vector<std::string> items;
    for (const auto& p : params) {
        items.push_back(p.key + "=" + p.defaultValue + " " +
                        (p.choices.empty()
                             ? fmt::format("{}[{}, {}]", p.list ? "list of " : "", p.min, p.max)
                             : "(" + join(p.choices, "|") + ")"));
    }
    return items.empty() ? "-" : join(items, "; ");
}

nlohmann::json parametersJson(const std::vector<workloads::StrategyParameter>& params) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& p : params) {
        nlohmann::json item = {
            {"key", p.key}, {"default", p.defaultValue}, {"description", p.description}};
        if (p.choices.empty()) {
            item["min"] = p.min;
            item["max"] = p.max;
            item["integer"] = p.integer;
            item["list"] = p.list;
        } else {
            item["choices"] = p.choices;
        }
        j.push_back(item);
    }
    return j;
}

/// name + one-line description per entry (+ what a stack targets).
std::vector<platforms::CatalogEntry> entries(const std::string& what, const ConfigPaths& paths) {
    std::vector<platforms::CatalogEntry> out;
    if (what == "networks") {
        for (const auto& name : workloads::builtinNetworks(paths)) {
            auto net = workloads::loadNetwork(name, paths);
            out.push_back({name, net.network.description, "", ""});
        }
    } else if (what == "platforms") {
        out = platforms::listPlatforms(paths);
    } else if (what == "stacks") {
        out = platforms::listStacks(paths);
    } else if (what == "studies") {
        for (const auto& name : paths.list("studies")) {
            const auto [kind, description] = explorer::describeStudy(name, paths);
            out.push_back({name,
                           (kind == explorer::StudyKind::Nas    ? "[nas] "
                            : kind == explorer::StudyKind::Dnas ? "[dnas] "
                                                                : "[sweep] ") +
                               description,
                           "", ""});
        }
    } else if (what == "strategies") {
        for (const auto& s : workloads::availableStrategies()) {
            out.push_back({s.name, s.description, "", ""});
        }
    }
    return out;
}

void run(const ListOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    const ConfigPaths paths(g.configDir);
    if (o.what == "platforms" || o.what == "stacks" || o.what == "studies" ||
        o.what == "networks") {
        std::error_code ec;
        if (!std::filesystem::is_directory(paths.dir(o.what), ec)) {
            // An empty table would read as "there are none"; the directory is missing.
            throw InputError(paths.root(), "--config-dir",
                             "has no " + o.what + "/ directory: not an edgesim config directory");
        }
    }
    const auto items = entries(o.what, paths);
    std::map<std::string, std::vector<workloads::StrategyParameter>> params;
    if (o.what == "strategies") {
        for (const auto& s : workloads::availableStrategies()) {
            params[s.name] = s.parameters;
        }
    }
    if (format == Format::Json) {
        nlohmann::json j;
        j["provenance"] = provenance(g.commandLine, "");
        j["kind"] = o.what;
        j["items"] = nlohmann::json::array();
        for (const auto& e : items) {
            nlohmann::json item = {{"name", e.name}, {"description", e.description}};
            if (o.what == "stacks") {
                item["targets"] = e.targets;
                item["default_precision"] = e.precision.empty() ? "as stored" : e.precision;
            }
            if (o.what == "strategies") {
                item["parameters"] = parametersJson(params[e.name]);
            }
            j["items"].push_back(item);
        }
        std::cout << jsonText(j) << "\n";
        return;
    }
    Table t;
    t.header = {"name", "description"};
    if (o.what == "stacks") {
        t.header.push_back("targets");
        t.header.push_back("precision");
    }
    if (o.what == "strategies") {
        t.header.push_back("parameters (--strategy-param key=value; the batch is --batch)");
    }
    for (const auto& e : items) {
        t.rows.push_back({e.name, e.description});
        if (o.what == "stacks") {
            t.rows.back().push_back(e.targets);
            t.rows.back().push_back(e.precision.empty() ? "as stored" : e.precision);
        }
        if (o.what == "strategies") {
            t.rows.back().push_back(parametersText(params[e.name]));
        }
    }
    if (format == Format::Csv) {
        t.printCsv(std::cout);
    } else {
        t.print(std::cout);
    }
}

} // namespace

void registerList(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<ListOptions>();
    auto* cmd = app.add_subcommand("list", "List what is built in or configured");
    cmd->add_option("what", opts->what, "networks | platforms | stacks | strategies | studies")
        ->required()
        ->check(CLI::IsMember({"networks", "platforms", "stacks", "strategies", "studies"}));
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->callback([opts, &global] { run(*opts, global); });
}

} // namespace edgesim::app
