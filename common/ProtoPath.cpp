#include "common/ProtoPath.h"

#include "common/Diagnostics.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <type_traits>

namespace edgesim {

namespace pb = google::protobuf;

namespace {

struct Step {
    std::string field;
    std::string selector;  ///< empty: no bracket
};

std::vector<Step> parseExpr(const std::string& expr, const std::string& file) {
    std::vector<Step> steps;
    std::size_t i = 0;
    while (i < expr.size()) {
        Step s;
        while (i < expr.size() && expr[i] != '.' && expr[i] != '[') {
            s.field += expr[i++];
        }
        if (i < expr.size() && expr[i] == '[') {
            const std::size_t close = expr.find(']', i);
            if (close == std::string::npos) {
                throw InputError(file, expr, "unclosed '[' in the parameter path");
            }
            s.selector = expr.substr(i + 1, close - i - 1);
            if (s.selector.empty()) {
                throw InputError(file, expr, "empty '[]' in the parameter path");
            }
            i = close + 1;
        }
        if (s.field.empty()) {
            throw InputError(file, expr, "empty field name in the parameter path");
        }
        steps.push_back(std::move(s));
        if (i < expr.size()) {
            if (expr[i] != '.') {
                throw InputError(file, expr, "expected '.' after ']' in the parameter path");
            }
            ++i;
        }
    }
    if (steps.empty()) {
        throw InputError(file, expr, "empty parameter path");
    }
    return steps;
}

bool isNumeric(const pb::FieldDescriptor* f) {
    switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64:
        return true;
    default:
        return false;
    }
}

/// Key of a repeated message element: its `name`, else its `op` field, qualified as
/// "<engine>/<op>" when the element has a non-empty `engine` field (a stack's kernels for an
/// accelerator; host kernels keep the plain op).
std::string keyOf(const pb::Message& m) {
    const auto stringField = [&m](const char* name, std::string& value) {
        const auto* f = m.GetDescriptor()->FindFieldByName(name);
        if (f == nullptr || f->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING ||
            f->is_repeated()) {
            return false;
        }
        value = m.GetReflection()->GetString(m, f);
        return true;
    };
    std::string key;
    if (stringField("name", key)) {
        return key;
    }
    if (stringField("op", key)) {
        std::string engine;
        if (stringField("engine", engine) && !engine.empty()) {
            return engine + "/" + key;
        }
        return key;
    }
    return {};
}

void resolve(const pb::Message& msg, const std::vector<Step>& steps, std::size_t k,
             ProtoPath& prefix, std::vector<ProtoPath>& out, const std::string& expr,
             const std::string& file) {
    const Step& step = steps[k];
    const auto* f = msg.GetDescriptor()->FindFieldByName(step.field);
    if (f == nullptr) {
        throw InputError(file, expr,
                         "'" + msg.GetDescriptor()->name() + "' has no field '" + step.field + "'");
    }
    const bool last = k + 1 == steps.size();
    const pb::Reflection* r = msg.GetReflection();
    std::vector<int> indices;
    if (f->is_repeated()) {
        const int n = r->FieldSize(msg, f);
        if (step.selector.empty() || step.selector == "*") {
            if (step.selector.empty() && !last) {
                throw InputError(file, expr, "'" + step.field + "' is a list: select elements "
                                             "with [index], [name] or [*]");
            }
            for (int i = 0; i < n; ++i) {
                indices.push_back(i);
            }
        } else if (std::all_of(step.selector.begin(), step.selector.end(), ::isdigit)) {
            const int i = std::stoi(step.selector);
            if (i >= n) {
                throw InputError(file, expr,
                                 "'" + step.field + "' has " + std::to_string(n) + " elements");
            }
            indices.push_back(i);
        } else {
            // One or more keys separated by commas: "conv2d,depthwise_conv2d".
            std::vector<std::string> keys;
            std::size_t from = 0;
            while (from <= step.selector.size()) {
                const std::size_t comma = std::min(step.selector.find(',', from),
                                                   step.selector.size());
                keys.push_back(step.selector.substr(from, comma - from));
                from = comma + 1;
            }
            for (int i = 0; i < n; ++i) {
                if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
                    std::find(keys.begin(), keys.end(),
                              keyOf(r->GetRepeatedMessage(msg, f, i))) != keys.end()) {
                    indices.push_back(i);
                }
            }
        }
        if (indices.empty()) {
            throw InputError(file, expr, "no element of '" + step.field + "' matches '" +
                                             step.selector + "'");
        }
    } else {
        if (!step.selector.empty()) {
            throw InputError(file, expr, "'" + step.field + "' is not a list");
        }
        indices.push_back(-1);
    }
    for (int i : indices) {
        prefix.emplace_back(step.field, i);
        if (last) {
            if (!isNumeric(f)) {
                throw InputError(file, expr, "'" + step.field + "' is not a numeric field");
            }
            out.push_back(prefix);
        } else {
            if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
                throw InputError(file, expr, "'" + step.field + "' is not a message");
            }
            const pb::Message& child =
                i < 0 ? r->GetMessage(msg, f) : r->GetRepeatedMessage(msg, f, i);
            resolve(child, steps, k + 1, prefix, out, expr, file);
        }
        prefix.pop_back();
    }
}

} // namespace

std::string toString(const ProtoPath& path) {
    std::string s;
    for (const auto& [field, index] : path) {
        s += (s.empty() ? "" : ".") + field;
        if (index >= 0) {
            s += "[" + std::to_string(index) + "]";
        }
    }
    return s;
}

std::vector<ProtoPath> resolveNumericPaths(const pb::Message& msg, const std::string& expr,
                                           const std::string& file) {
    const auto steps = parseExpr(expr, file);
    std::vector<ProtoPath> out;
    ProtoPath prefix;
    resolve(msg, steps, 0, prefix, out, expr, file);
    return out;
}

namespace {

template <typename Msg, typename Fn>
void walk(Msg& msg, const ProtoPath& path, Fn&& leaf) {
    Msg* m = &msg;
    for (std::size_t k = 0; k + 1 < path.size(); ++k) {
        const auto* f = m->GetDescriptor()->FindFieldByName(path[k].first);
        if constexpr (std::is_const_v<Msg>) {
            m = path[k].second < 0
                    ? &m->GetReflection()->GetMessage(*m, f)
                    : &m->GetReflection()->GetRepeatedMessage(*m, f, path[k].second);
        } else {
            m = path[k].second < 0
                    ? m->GetReflection()->MutableMessage(m, f)
                    : m->GetReflection()->MutableRepeatedMessage(m, f, path[k].second);
        }
    }
    leaf(*m, m->GetDescriptor()->FindFieldByName(path.back().first), path.back().second);
}

} // namespace

double getNumber(const pb::Message& msg, const ProtoPath& path) {
    double v = 0;
    walk(msg, path, [&v](const pb::Message& m, const pb::FieldDescriptor* f, int i) {
        const auto* r = m.GetReflection();
        const bool rep = i >= 0;
        switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_DOUBLE:
            v = rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f);
            break;
        case pb::FieldDescriptor::CPPTYPE_FLOAT:
            v = rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f);
            break;
        case pb::FieldDescriptor::CPPTYPE_INT32:
            v = rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f);
            break;
        case pb::FieldDescriptor::CPPTYPE_INT64:
            v = static_cast<double>(rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f));
            break;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
            v = rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f);
            break;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
            v = static_cast<double>(rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f));
            break;
        default:
            break;
        }
    });
    return v;
}

void setNumber(pb::Message& msg, const ProtoPath& path, double value) {
    walk(msg, path, [value](pb::Message& m, const pb::FieldDescriptor* f, int i) {
        const auto* r = m.GetReflection();
        const bool rep = i >= 0;
        const double rounded = std::round(value);
        switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_DOUBLE:
            rep ? r->SetRepeatedDouble(&m, f, i, value) : r->SetDouble(&m, f, value);
            break;
        case pb::FieldDescriptor::CPPTYPE_FLOAT:
            rep ? r->SetRepeatedFloat(&m, f, i, static_cast<float>(value))
                : r->SetFloat(&m, f, static_cast<float>(value));
            break;
        case pb::FieldDescriptor::CPPTYPE_INT32:
            rep ? r->SetRepeatedInt32(&m, f, i, static_cast<int32_t>(rounded))
                : r->SetInt32(&m, f, static_cast<int32_t>(rounded));
            break;
        case pb::FieldDescriptor::CPPTYPE_INT64:
            rep ? r->SetRepeatedInt64(&m, f, i, static_cast<int64_t>(rounded))
                : r->SetInt64(&m, f, static_cast<int64_t>(rounded));
            break;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
            rep ? r->SetRepeatedUInt32(&m, f, i, static_cast<uint32_t>(rounded))
                : r->SetUInt32(&m, f, static_cast<uint32_t>(rounded));
            break;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
            rep ? r->SetRepeatedUInt64(&m, f, i, static_cast<uint64_t>(rounded))
                : r->SetUInt64(&m, f, static_cast<uint64_t>(rounded));
            break;
        default:
            break;
        }
    });
}

} // namespace edgesim
