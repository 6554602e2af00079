// Where edgesim finds its configs (networks, platforms, stacks, studies).
// Order: an explicit directory (--config-dir), then $EDGESIM_CONFIG_DIR, then the
// directory compiled in at build time (the source tree's configs/).
#pragma once

#include <string>
#include <vector>

namespace edgesim {

/// True if `s` ends with `suffix`.
bool hasSuffix(const std::string& s, const std::string& suffix);

class ConfigPaths {
public:
    /// `explicitDir` empty means: environment, then compiled-in default.
    explicit ConfigPaths(std::string explicitDir = {});

    const std::string& root() const { return root_; }
    /// root/<kind> such as root/platforms.
    std::string dir(const std::string& kind) const;
    /// Names of the `.textproto` files below root/<kind>, recursively, without extension,
    /// relative to that directory, sorted ("mlperf_tiny/kws"). Empty if the folder is absent.
    std::vector<std::string> list(const std::string& kind) const;
    /// root/<kind>/<name>.textproto; throws InputError naming `field` of `source` (where the
    /// name was written) if it does not exist.
    std::string resolve(const std::string& kind, const std::string& name, const std::string& field,
                        const std::string& source = "<command line>") const;

    /// `nameOrPath` itself if it names a `.textproto` file, else resolve(kind, nameOrPath).
    std::string locate(const std::string& kind, const std::string& nameOrPath,
                       const std::string& field,
                       const std::string& source = "<command line>") const;

private:
    std::string root_;
};

} // namespace edgesim
