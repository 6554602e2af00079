#include "common/ConfigPaths.h"

#include "common/Diagnostics.h"
#include "common/Strings.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace edgesim {

#ifndef EDGESIM_DEFAULT_CONFIG_DIR
#error "EDGESIM_DEFAULT_CONFIG_DIR must be defined by the build"
#endif

ConfigPaths::ConfigPaths(std::string explicitDir) : root_(std::move(explicitDir)) {
    const char* origin = "--config-dir";
    if (root_.empty()) {
        if (const char* env = std::getenv("EDGESIM_CONFIG_DIR"); env != nullptr && *env != '\0') {
            root_ = env;
            origin = "EDGESIM_CONFIG_DIR";
        } else {
            root_ = EDGESIM_DEFAULT_CONFIG_DIR;
            origin = "the build's config directory";
        }
    }
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) {
        throw InputError(root_, origin,
                         fs::exists(root_, ec) ? "not a directory" : "no such directory");
    }
}

std::string ConfigPaths::dir(const std::string& kind) const {
    return (fs::path(root_) / kind).string();
}

std::vector<std::string> ConfigPaths::list(const std::string& kind) const {
    std::vector<std::string> names;
    const fs::path base(dir(kind));
    std::error_code ec;
    if (!fs::is_directory(base, ec)) {
        return names;
    }
    for (auto it = fs::recursive_directory_iterator(base, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".textproto") {
            auto rel = fs::relative(it->path(), base).replace_extension("");
            names.push_back(rel.generic_string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool hasSuffix(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string ConfigPaths::locate(const std::string& kind, const std::string& nameOrPath,
                                const std::string& field, const std::string& source) const {
    return hasSuffix(nameOrPath, ".textproto") ? nameOrPath
                                               : resolve(kind, nameOrPath, field, source);
}

std::string ConfigPaths::resolve(const std::string& kind, const std::string& name,
                                 const std::string& field, const std::string& source) const {
    const fs::path p = fs::path(dir(kind)) / (name + ".textproto");
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
        const std::string known = join(list(kind));
        throw InputError(
            source, field,
            "unknown " +
                (kind == "studies" ? std::string("study") : kind.substr(0, kind.size() - 1)) +
                " '" + name + "' (no " + p.string() +
                "); known: " + (known.empty() ? "none" : known));
    }
    return p.string();
}

} // namespace edgesim
