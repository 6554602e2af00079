#include "explorer/session/Query.h"

#include "common/Diagnostics.h"
#include "common/ProtoPath.h"
#include "common/Strings.h"
#include "common/TextProto.h"
#include "platforms/PlatformCatalog.h"

#include <algorithm>

namespace edgesim::explorer {

namespace {

const char* targetName(Override::Target t) {
    return t == Override::Target::Platform ? "platform" : "stack";
}

} // namespace

std::string Override::fullPath() const {
    return std::string(targetName(target)) + "." + path;
}

std::string Override::text() const {
    return fullPath() + "=" + value;
}

Override parseOverride(const std::string& text, const std::string& source, const std::string& field,
                       int line) {
    Override o;
    o.source = source;
    o.field = field;
    o.line = line;
    const auto fail = [&](const std::string& reason) {
        throw InputError({Diagnostic{source, line, 0, field, "'" + text + "': " + reason}});
    };
    int depth = 0;
    std::size_t eq = std::string::npos;
    for (std::size_t i = 0; i < text.size() && eq == std::string::npos; ++i) {
        if (text[i] == '[') {
            ++depth;
        } else if (text[i] == ']') {
            --depth;
        } else if (text[i] == '=' && depth == 0) {
            eq = i;
        }
    }
    if (eq == std::string::npos) {
        fail("expected platform.<field path>=<value> or stack.<field path>=<value>");
    }
    const std::string lhs = text.substr(0, eq);
    o.value = text.substr(eq + 1);
    const auto dot = lhs.find('.');
    const std::string target = lhs.substr(0, dot);
    if (target == "platform") {
        o.target = Override::Target::Platform;
    } else if (target == "stack") {
        o.target = Override::Target::Stack;
    } else {
        fail("the path must start with 'platform.' or 'stack.'");
    }
    if (dot == std::string::npos || dot + 1 == lhs.size()) {
        fail("no field path after '" + target + ".'");
    }
    o.path = lhs.substr(dot + 1);
    if (o.value.empty()) {
        fail("no value after '='");
    }
    return o;
}

std::vector<Diagnostic> applyOverrides(const std::vector<Override>& overrides,
                                       platforms::spec::PlatformSpec& platform,
                                       platforms::spec::StackSpec& stack,
                                       std::string (*changes)[2]) {
    std::vector<const Override*> byTarget[2];
    // Fields touched, in order, with their value before the overrides (few per query: a
    // vector beats a map here).
    std::vector<std::pair<ProtoPath, std::string>> touched[2];
    for (const auto& o : overrides) {
        google::protobuf::Message& spec = o.target == Override::Target::Platform
                                              ? static_cast<google::protobuf::Message&>(platform)
                                              : static_cast<google::protobuf::Message&>(stack);
        const int t = o.target == Override::Target::Platform ? 0 : 1;
        try {
            for (const auto& path : resolveScalarPaths(spec, o.path, o.source)) {
                if (changes != nullptr &&
                    std::none_of(touched[t].begin(), touched[t].end(),
                                 [&path](const auto& seen) { return seen.first == path; })) {
                    touched[t].emplace_back(path, getAsText(spec, path));
                }
                setFromText(spec, path, o.value, o.source, o.fullPath());
            }
        } catch (const InputError& e) {
            // Name the override as the user wrote it, where it was written.
            const Diagnostic& d = e.diagnostics().front();
            throw InputError(
                {Diagnostic{o.source, o.line, 0, o.field, "'" + o.text() + "': " + d.reason}});
        }
        byTarget[t].push_back(&o);
    }
    for (int t = 0; t < 2 && changes != nullptr; ++t) {
        const google::protobuf::Message& spec =
            t == 0 ? static_cast<const google::protobuf::Message&>(platform)
                   : static_cast<const google::protobuf::Message&>(stack);
        for (const auto& [path, before] : touched[t]) {
            const std::string now = getAsText(spec, path);
            if (now != before) { // an override to the value it had changes nothing
                (*changes)[t] += toString(path) + "=" + now + "\n";
            }
        }
    }
    std::vector<Diagnostic> problems;
    for (int t = 0; t < 2; ++t) {
        if (byTarget[t].empty()) {
            continue;
        }
        Diagnostics diags;
        const FieldCursor at(diags, nullptr);
        if (t == 0) {
            platforms::validatePlatform(platform, at);
        } else {
            platforms::validateStack(stack, at);
        }
        if (diags.empty()) {
            continue;
        }
        std::vector<std::string> texts;
        for (const Override* o : byTarget[t]) {
            texts.push_back(o->text());
        }
        const std::string changed = join(texts);
        const Override& first = *byTarget[t].front();
        for (const auto& d : diags.items()) {
            problems.push_back({first.source, first.line, 0, first.field,
                                changed + " makes the " + targetName(first.target) +
                                    " invalid: " + d.fieldAndReason()});
        }
    }
    return problems;
}

} // namespace edgesim::explorer
