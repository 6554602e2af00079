// Offloading a kernel to the platform's engines during binding: the engine models at the
// operating point, the DMA routes between the data's memories and each engine's local
// memory, and the split of a layer's output channels across two engines.
#pragma once

#include "sim/engine/EngineModel.h"
#include "sim/mapping/Mapping.h"
#include "sim/model/Program.h"

#include <memory>
#include <string>
#include <vector>

namespace edgesim::sim {

class Offloader {
public:
    /// `program` must already hold the memories, buses and DMAs (bindProgram's first steps);
    /// fills program.engines. Throws InputError naming `source` when an engine's DMA cannot
    /// reach the data.
    Offloader(const platforms::spec::PlatformSpec& platform,
              const platforms::spec::StackSpec& stack, const StackIndex& index, Program& program,
              const std::string& source);
    ~Offloader();

    /// Fills `job` (launch cost, tasks, label) for `kernel` under `choice`. Returns false and
    /// sets `why` when no chosen engine can run it (the host runs it instead); a plan that
    /// does not fit returns true with the task's status set.
    bool offload(const workloads::Kernel& kernel, const std::string& dtype,
                 const LayerChoice& choice, KernelJob& job, std::string& why) const;

    int engineIndex(const std::string& name) const;

private:
    struct Engine;
    bool planTask(const Engine& e, const workloads::Kernel& kernel, const std::string& dtype,
                  int slot, EngineTask& task) const;
    const Program& program_;
    std::vector<std::unique_ptr<Engine>> engines_;
};

} // namespace edgesim::sim
