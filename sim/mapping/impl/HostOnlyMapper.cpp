// host-only: every layer on the platform's host core (the baseline an accelerator is
// compared with).
#include "sim/mapping/Mapper.h"

namespace edgesim::sim {

namespace {

class HostOnlyMapper : public Mapper {
public:
    Mapping map(const workloads::Schedule& schedule, const LayerCoster& coster,
                const MapperOptions& /*options*/) const override {
        return hostOnlyMapping(schedule, coster.platform());
    }
};

const bool kRegistered =
    registerMapper("host-only", [] { return std::make_unique<HostOnlyMapper>(); });

} // namespace

} // namespace edgesim::sim
