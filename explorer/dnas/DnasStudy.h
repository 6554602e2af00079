// DNAS studies (explorer/spec/dnas.proto, run by `edgesim dnas`): loading, the checks that
// need no configs, and the settings with their defaults filled in. What needs the configs
// (targets' platforms and stacks, the seed running there) is checked by the runner before it
// writes anything.
#pragma once

#include "common/ConfigPaths.h"
#include "common/TextProto.h"
#include "explorer/dnas/CostModel.h"
#include "explorer/dnas/DnasSearch.h"
#include "explorer/spec/dnas.pb.h"
#include "workloads/spec/network.pb.h"

#include <memory>
#include <string>
#include <vector>

namespace edgesim::explorer::dnas {

struct DnasStudy {
    spec::DnasStudySpec spec;
    std::string file;
    std::string sha256; ///< of its settings, comments and layout aside (a resume needs the same)
    std::shared_ptr<const TextLocations> locations;
    /// The seed network: its spec, its graph (shapes inferred) and the hash of its spec.
    workloads::spec::NetworkSpec seedSpec;
    workloads::Network seed;
    std::string seedSha256;
    std::string seedFile;
    /// SuperNet choice blocks (method supernet): the alternatives as graph layers (shapes
    /// inferred in the seed) and as specs, in the study's order.
    std::vector<ChoiceBlock> choices;
    std::vector<ChoiceSpec> choiceSpecs;
};

/// A search's name (its target's when unnamed).
std::string searchName(const spec::DnasSearch& search);

/// Checks a study without the configs, reporting every problem through `at`.
void validateDnasStudy(const spec::DnasStudySpec& s, const FieldCursor& at);

/// The training settings of a study with its defaults filled in.
DnasSettings dnasSettings(const spec::DnasStudySpec& s);

/// The weight bits a study's method searches (empty: the seed's precision only).
std::vector<int> searchedWeightBits(const spec::DnasStudySpec& s);

/// The cost-table cache directory of a study ("" for none).
std::string costCacheDir(const spec::DnasStudySpec& s);

/// Loads configs/studies/<name>.textproto or a path, validates it and loads its seed network
/// (a built-in name or a network .textproto); throws InputError listing every problem.
DnasStudy loadDnasStudy(const std::string& nameOrPath, const ConfigPaths& paths);

} // namespace edgesim::explorer::dnas
