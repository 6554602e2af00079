// A results file read before edgesim trusts it: the HDF5 library (1.10 in Debian 12) crashes
// or loops forever on some corrupted files (a damaged global heap, where variable-length
// strings live, makes H5HG_read read out of bounds or spin). A file given to `pareto` or
// `sweep --resume` is therefore read once, completely, in a forked child process first; a
// child that fails, crashes or does not finish in time makes the file bad input.
#pragma once

#include <string>

namespace edgesim::explorer {

/// Throws InputError naming `path` unless a child process can read every object, dataset
/// and attribute of the HDF5 file at `path` within the time limit (10 s plus 1 s per 10 MB).
/// A file already checked by this process, unchanged since (device, inode, size, mtime),
/// is not read again.
void checkReadableHdf5(const std::string& path);

} // namespace edgesim::explorer
