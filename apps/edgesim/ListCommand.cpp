// `edgesim list networks|platforms|stacks|strategies|studies`
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "explorer/sweep/Study.h"
#include "platforms/PlatformCatalog.h"
#include "workloads/NetworkSource.h"
#include "workloads/strategy/Strategy.h"

#include <iostream>
#include <memory>

namespace edgesim::app {

namespace {

struct ListOptions {
    std::string what;
    std::string format = "table";
};

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
            out.push_back({name, explorer::loadStudy(name, paths).spec.description(), "", ""});
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
    const auto items = entries(o.what, paths);
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
    for (const auto& e : items) {
        t.rows.push_back({e.name, e.description});
        if (o.what == "stacks") {
            t.rows.back().push_back(e.targets);
            t.rows.back().push_back(e.precision.empty() ? "as stored" : e.precision);
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
