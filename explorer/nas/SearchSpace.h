// A NAS search space (explorer/spec/nas.proto SearchSpace): a parameterised family of
// networks, stages of repeated blocks over a 2-D feature map or a sequence, and its genes.
// A genome is one choice index per gene; decoding builds the candidate directly as a network
// spec and graph (no text round trip), which is what is simulated, trained and exported.
#pragma once

#include "common/TextProto.h"
#include "explorer/spec/nas.pb.h"
#include "workloads/graph/Network.h"
#include "workloads/spec/network.pb.h"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace edgesim::explorer::nas {

/// One choice index per gene of a SearchSpace.
using Genome = std::vector<int>;

/// A gene: a named choice among labelled values ("body.channels": "16", "32", "64").
struct Gene {
    std::string name;
    std::vector<std::string> labels;
};

/// Checks a search space spec (ops, kernels, channels, strides, ... and that every stage's
/// ops suit the input: 2-D blocks need "HxW" resolutions, TCN blocks "T"), reporting every
/// problem through `at`.
void validateSearchSpace(const spec::SearchSpace& space, const FieldCursor& at);

/// A decoded candidate: its network spec and graph (shapes inferred), or why it has none.
struct Candidate {
    workloads::spec::NetworkSpec spec;
    std::optional<workloads::Network> network;
    std::string reason; ///< why the genome gave no network (empty when it did)
    std::string sha256; ///< of the spec without its name: equal networks hash equally
};

class SearchSpace {
public:
    /// `space` must have passed validateSearchSpace.
    explicit SearchSpace(spec::SearchSpace space);

    /// The genes: only choices with two or more values (a single value is fixed).
    const std::vector<Gene>& genes() const { return genes_; }
    /// Number of distinct genomes (saturating at INT64_MAX).
    int64_t size() const;

    /// The network of `genome` (each gene's index in range, else std::invalid_argument),
    /// named `name`. A genome whose network cannot be built is a Candidate with a reason.
    Candidate decode(const Genome& genome, const std::string& name) const;
    /// The network spec of `genome` only (no graph built).
    workloads::spec::NetworkSpec networkSpec(const Genome& genome, const std::string& name) const;
    /// Candidate::sha256 of `genome`, without building its graph.
    std::string sha256(const Genome& genome) const;
    /// The hash of a candidate's spec: its deterministic serialisation without name and
    /// description.
    static std::string specSha256(const workloads::spec::NetworkSpec& spec);

    /// A genome drawn uniformly, gene by gene.
    Genome random(std::mt19937& rng) const;
    /// "gene=value" pairs (SeedSpec.genes): every gene not named takes its first choice; a
    /// fixed choice may be named with its one value. std::invalid_argument naming the pair for
    /// an unknown gene or value.
    Genome parse(const std::vector<std::string>& pairs) const;
    /// The genome as text: choice indices joined by '.', in gene order ("2.0.1").
    std::string encode(const Genome& genome) const;
    /// The genome as "gene=value" pairs, space-separated (readable, and parse() takes it).
    std::string describe(const Genome& genome) const;

private:
    /// A potential gene: every choice of the spec, fixed (one value) or not.
    struct Choice {
        std::string name;
        std::vector<std::string> labels;
        int gene = -1; ///< index in genes_, -1 when fixed
    };
    int addChoice(std::string name, std::vector<std::string> labels);
    /// The label chosen for choice `c` in `genome`.
    const std::string& value(const Genome& genome, int c) const;

    spec::SearchSpace spec_;
    std::vector<Choice> choices_;
    std::vector<Gene> genes_;
    int resolution_ = -1;
    int hidden_ = -1;
    struct StageChoices {
        int op, kernel, channels, stride, depth, expansion, skip, dilation, precision, activation;
    };
    std::vector<StageChoices> stages_;
};

} // namespace edgesim::explorer::nas
