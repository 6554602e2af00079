#include "explorer/results/WriterLock.h"

#include "common/Diagnostics.h"
#include "common/TextProto.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace edgesim::explorer {

WriterLock::WriterLock(const std::string& path, const std::string& field)
    : lockPath_(path + ".lock") {
    // A lock file another writer removed between our open and our lock is not the lock any
    // more: check that the path still names the file we locked, else start again.
    for (;;) {
        fd_ = ::open(lockPath_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
        if (fd_ < 0) {
            throw InputError(path, field,
                             "cannot create the lock file " + lockPath_ + ": " +
                                 std::strerror(errno));
        }
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            ::close(fd_);
            fd_ = -1;
            if (err == EWOULDBLOCK) {
                throw InputError(path, field,
                                 "another edgesim is writing this file (it holds " + lockPath_ +
                                     "); wait for it to finish");
            }
            throw InputError(path, field, "cannot lock " + lockPath_ + ": " + std::strerror(err));
        }
        struct stat held {};
        struct stat named {};
        if (::fstat(fd_, &held) == 0 && ::stat(lockPath_.c_str(), &named) == 0 &&
            held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
            return;
        }
        ::close(fd_);
        fd_ = -1;
    }
}

WriterLock::~WriterLock() {
    if (fd_ >= 0) {
        ::unlink(lockPath_.c_str()); // while still holding it: the next writer re-creates it
        ::close(fd_);
    }
}

void checkOutputPath(const std::string& output, const std::string& field) {
    // Where the output is written: through a symlink, the file it points to (which must be a
    // regular file if it exists, outputTarget says so).
    const std::string path = outputTarget(output, field);
    std::error_code ec;
    const auto parent = std::filesystem::absolute(path, ec).parent_path();
    if (!std::filesystem::is_directory(parent, ec)) {
        throw InputError(output, field,
                         "the directory " + parent.string() + " does not exist" +
                             (path != output ? " (the symlink points to " + path + ")" : ""));
    }
}

namespace {

/// `path` made absolute with symlinks, "." and ".." resolved as far as it exists.
std::filesystem::path identity(const std::string& path) {
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(path, ec).lexically_normal();
    auto p = std::filesystem::weakly_canonical(absolute, ec);
    return ec ? absolute : p;
}

} // namespace

void checkOutputPaths(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs) {
    std::vector<std::pair<std::filesystem::path, const NamedPath*>> seen;
    for (const auto& out : outputs) {
        if (out.path.empty()) {
            continue;
        }
        checkOutputPath(out.path, out.field);
        // Through symlinks to the file written, dangling ones included (outputTarget).
        const auto id = identity(outputTarget(out.path, out.field));
        for (const auto& [other, named] : seen) {
            if (other == id) {
                throw InputError(out.path, out.field,
                                 "names the same file as " + named->field + " (" + named->path +
                                     "); give each output its own file");
            }
        }
        for (const auto& in : inputs) {
            std::error_code ec;
            if (!in.path.empty() && std::filesystem::exists(in.path, ec) &&
                identity(in.path) == id) {
                throw InputError(out.path, out.field,
                                 "is the input " + in.field + " (" + in.path +
                                     "); an output never replaces an input");
            }
        }
        seen.emplace_back(id, &out);
    }
}

bool existingOutput(const std::string& out, bool resume, bool overwrite) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(out, ec);
    if (exists && !resume && !overwrite) {
        throw InputError(out, "--out",
                         "the file exists: --resume continues it, --overwrite replaces it");
    }
    std::filesystem::remove(out + ".tmp", ec); // a commit a killed run did not finish
    return exists;
}

void checkRunOptions(bool resume, bool overwrite, double flushSeconds) {
    if (resume && overwrite) {
        throw InputError("<command line>", "--resume",
                         "--resume continues the file, --overwrite replaces it: give one");
    }
    if (!(flushSeconds > 0)) {
        throw InputError("<command line>", "--flush-seconds", "must be > 0");
    }
}

} // namespace edgesim::explorer
