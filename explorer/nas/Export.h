// A NAS candidate's files, for users and their tools: the network text format (what `edgesim
// simulate --network` reads back), ONNX (the architecture with random weights) and a JSON
// description of its layers with their shapes (what a user's PyTorch script builds its model
// from, for the `command` accuracy evaluator).
#pragma once

#include "explorer/nas/SearchSpace.h"

#include <string>

namespace edgesim::explorer::nas {

/// The candidate's layers as JSON: {"name", "input": {"name", "shape"}, "layers": [{"name",
/// "op", "inputs", "output_shape", op attributes...}], "macs", "params"}. Shapes are per
/// sample, channels last, as in the network text format.
std::string candidateJson(const Candidate& candidate);

/// Writes `<dir>/<stem>.textproto`, `.json` and `.onnx` (creating `dir`); returns the path
/// stem `<dir>/<stem>`. std::runtime_error naming the file when one cannot be written.
std::string writeCandidateFiles(const Candidate& candidate, const std::string& dir,
                                const std::string& stem);

} // namespace edgesim::explorer::nas
