#include "explorer/results/Hdf5Check.h"

#include "common/Diagnostics.h"

#include <fmt/format.h>
#include <hdf5.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace edgesim::explorer {

namespace {

/// Time the child gets: generous for any intact file (reading is far faster than this).
constexpr double kBaseSeconds = 10.0;
constexpr double kSecondsPerByte = 1.0 / 10e6;
/// Rows read per dataset access, bounding the child's memory whatever the file's size.
constexpr hsize_t kRowsPerRead = 65536;

/// Reads `n` rows of dataset `d` from row `first` (or the whole of a scalar dataset)
/// through a memory copy of its type, freeing variable-length data. False on any failure.
bool readRows(hid_t d, hid_t type, hid_t space, int rank, hsize_t first, hsize_t n) {
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    std::vector<hsize_t> start(dims.size(), 0);
    std::vector<hsize_t> count = dims;
    hsize_t elements = 1;
    if (rank > 0) {
        start[0] = first;
        count[0] = n;
    }
    for (const hsize_t c : count) {
        elements *= c;
    }
    const hid_t fileSpace = H5Scopy(space);
    if (rank > 0) {
        H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start.data(), nullptr, count.data(),
                            nullptr);
    }
    const hid_t memSpace =
        rank > 0 ? H5Screate_simple(rank, count.data(), nullptr) : H5Screate(H5S_SCALAR);
    std::vector<unsigned char> buffer(static_cast<std::size_t>(elements) * H5Tget_size(type));
    bool ok = H5Dread(d, type, memSpace, fileSpace, H5P_DEFAULT, buffer.data()) >= 0;
    if (ok && (H5Tdetect_class(type, H5T_VLEN) > 0 || H5Tis_variable_str(type) > 0)) {
        H5Dvlen_reclaim(type, memSpace, H5P_DEFAULT, buffer.data());
    }
    H5Sclose(memSpace);
    H5Sclose(fileSpace);
    return ok;
}

bool readDataset(hid_t file, const char* name) {
    const hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0) {
        return false;
    }
    const hid_t fileType = H5Dget_type(d);
    const hid_t type = H5Tget_native_type(fileType, H5T_DIR_ASCEND);
    const hid_t space = H5Dget_space(d);
    bool ok = fileType >= 0 && type >= 0 && space >= 0;
    const int rank = ok ? H5Sget_simple_extent_ndims(space) : -1;
    ok = ok && rank >= 0;
    hsize_t rows = 1;
    if (ok && rank > 0) {
        std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
        H5Sget_simple_extent_dims(space, dims.data(), nullptr);
        rows = dims[0];
    }
    for (hsize_t first = 0; ok && first < rows; first += kRowsPerRead) {
        ok = readRows(d, type, space, rank, first, std::min(kRowsPerRead, rows - first));
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Tclose(fileType);
    H5Dclose(d);
    return ok;
}

herr_t readAttribute(hid_t object, const char* name, const H5A_info_t* /*info*/, void* failed) {
    const hid_t a = H5Aopen(object, name, H5P_DEFAULT);
    const hid_t fileType = a >= 0 ? H5Aget_type(a) : -1;
    const hid_t type = fileType >= 0 ? H5Tget_native_type(fileType, H5T_DIR_ASCEND) : -1;
    const hid_t space = a >= 0 ? H5Aget_space(a) : -1;
    const hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    bool ok = type >= 0 && n >= 0;
    if (ok) {
        std::vector<unsigned char> buffer(static_cast<std::size_t>(n) * H5Tget_size(type) + 1);
        ok = H5Aread(a, type, buffer.data()) >= 0;
        if (ok && (H5Tdetect_class(type, H5T_VLEN) > 0 || H5Tis_variable_str(type) > 0)) {
            H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer.data());
        }
    }
    for (const auto& [id, close] : {std::pair{space, &H5Sclose}, std::pair{type, &H5Tclose},
                                    std::pair{fileType, &H5Tclose}, std::pair{a, &H5Aclose}}) {
        if (id >= 0) {
            close(id);
        }
    }
    if (!ok) {
        *static_cast<bool*>(failed) = true;
        return -1;
    }
    return 0;
}

herr_t visitObject(hid_t file, const char* name, const H5O_info_t* info, void* failed) {
    bool& bad = *static_cast<bool*>(failed);
    const hid_t object = H5Oopen(file, name, H5P_DEFAULT);
    if (object < 0) {
        bad = true;
        return -1;
    }
    hsize_t next = 0;
    if (H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &next, readAttribute, failed) < 0) {
        bad = true;
    }
    H5Oclose(object);
    if (!bad && info->type == H5O_TYPE_DATASET && !readDataset(file, name)) {
        bad = true;
    }
    return bad ? -1 : 0;
}

/// The child: reads everything, exits 0 when it could.
[[noreturn]] void readEverything(const std::string& path) {
    // Its diagnostics (HDF5's, or a sanitizer's about the library) are not the user's.
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
        ::dup2(null, STDERR_FILENO);
        ::dup2(null, STDOUT_FILENO);
    }
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    bool failed = file < 0;
    if (!failed) {
        failed = H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, visitObject, &failed) < 0 || failed;
    }
    ::_exit(failed ? 3 : 0);
}

using Identity = std::tuple<dev_t, ino_t, off_t, std::int64_t, long>;

std::mutex& checkedMutex() {
    static std::mutex m;
    return m;
}
std::set<Identity>& checkedFiles() {
    static std::set<Identity> files;
    return files;
}

} // namespace

void checkReadableHdf5(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw InputError(path, "", "cannot read the file");
    }
    const Identity id{st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    {
        const std::lock_guard<std::mutex> lock(checkedMutex());
        if (checkedFiles().count(id) != 0) {
            return;
        }
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw InputError(path, "", "cannot start a process to check the file");
    }
    if (pid == 0) {
        readEverything(path);
    }
    const double limit = kBaseSeconds + static_cast<double>(st.st_size) * kSecondsPerByte;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit);
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (done == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        throw InputError(path, "",
                         fmt::format("reading the file did not finish in {:.0f} s: a corrupt "
                                     "HDF5 file (the HDF5 library loops on some damage)",
                                     limit));
    }
    if (WIFSIGNALED(status)) {
        throw InputError(path, "",
                         fmt::format("reading the file crashed the HDF5 library (signal {}): a "
                                     "corrupt HDF5 file",
                                     WTERMSIG(status)));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw InputError(path, "",
                         "the HDF5 library cannot read every object of the file: a corrupt or "
                         "truncated HDF5 file");
    }
    const std::lock_guard<std::mutex> lock(checkedMutex());
    checkedFiles().insert(id);
}

} // namespace edgesim::explorer
