// Implementations of an extension point (samplers, mappers, strategies, ...) found by name.
// Each implementation registers itself from its own file in impl/ at static initialisation;
// the table is a function-local static, so registration finds it constructed whatever the
// order in which files initialise.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace edgesim {

template <typename Interface> class Registry {
public:
    using Factory = std::function<std::unique_ptr<Interface>()>;

    /// The one table of `Interface`'s implementations.
    static Registry& instance() {
        static Registry registry;
        return registry;
    }
    /// False (and the first registration kept) when `name` is taken.
    bool add(const std::string& name, Factory factory) {
        return factories_.emplace(name, std::move(factory)).second;
    }
    /// Null when no implementation has that name.
    std::unique_ptr<Interface> make(const std::string& name) const {
        const auto it = factories_.find(name);
        return it == factories_.end() ? nullptr : it->second();
    }
    bool has(const std::string& name) const { return factories_.count(name) != 0; }
    /// Registered names, sorted.
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& entry : factories_) {
            out.push_back(entry.first);
        }
        return out;
    }

private:
    std::map<std::string, Factory> factories_;
};

} // namespace edgesim
