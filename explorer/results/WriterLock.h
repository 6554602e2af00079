// One writer per results file: a sweep, `pareto` and `simulate --out` replace the file by
// renaming a finished copy over it, so two of them at once would lose one's rows. Each holds
// an exclusive advisory lock (flock) on "<file>.lock" while it writes; the lock file is removed
// when the writer is done.
#pragma once

#include <string>
#include <vector>

namespace edgesim::explorer {

class WriterLock {
public:
    /// Takes the lock of `path`. Throws InputError naming `path` and `field` when another
    /// process holds it (another sweep or pareto is writing the file), or when the lock file
    /// cannot be created.
    WriterLock(const std::string& path, const std::string& field);
    /// Releases the lock and removes the lock file.
    ~WriterLock();
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;

private:
    std::string lockPath_;
    int fd_ = -1;
};

/// Throws InputError naming `path` and `field` when the directory `path` would be in does not
/// exist, or when `path` exists and is not a regular file (a directory, a device): outputs are
/// written by renaming a new file over it. Call it before the work whose output it is.
void checkOutputPath(const std::string& path, const std::string& field);

/// An output (`path`, its option) or an input a command reads.
struct NamedPath {
    std::string path; ///< empty: the option was not given
    std::string field;
};
/// checkOutputPath for each of `outputs`, then InputError when two of them name the same
/// file, or an output names one of `inputs` that exists as a file (it would be replaced while, or
/// after, being read): `simulate --out net.onnx --network net.onnx`. Paths are compared after
/// resolving symlinks, "." and "..".
void checkOutputPaths(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs);

/// Whether a run's output `out` exists, to be continued (`resume`) or replaced
/// (`overwrite`): InputError when it exists without either. Removes the temporary copy a killed
/// commit may have left. Call it holding the file's WriterLock.
bool existingOutput(const std::string& out, bool resume, bool overwrite);

/// InputError for both --resume and --overwrite, or a --flush-seconds that is not > 0.
void checkRunOptions(bool resume, bool overwrite, double flushSeconds);

} // namespace edgesim::explorer
