// The sealed copy of the launcher, made on demand or ahead on a thread (sealed-launcher.h).
#include "sealed-launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

int sealedCopy(const std::string& path, int& err, const char*& failedCall) {
  int src = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src < 0) { err = errno; failedCall = "open"; return -1; }
  struct stat st;
  if (fstat(src, &st) != 0) { err = errno; failedCall = "fstat"; close(src); return -1; }
  int mem = static_cast<int>(syscall(SYS_memfd_create, "tsrunc-launcher", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (mem < 0) { err = errno; failedCall = "memfd_create"; close(src); return -1; }
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mem, src, &off, static_cast<size_t>(st.st_size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { err = n < 0 ? errno : EIO; failedCall = "sendfile"; close(src); close(mem); return -1; }
  }
  close(src);
  if (fchmod(mem, 0555) != 0 ||
      fcntl(mem, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
    err = errno; failedCall = "seal"; close(mem); return -1;
  }
  return mem;
}

namespace {

// Allocated once and never freed: the thread is detached, and a process that exits before taking
// the copy must not run destructors of what that thread still uses.
struct Prepared {
  std::mutex lock;
  std::condition_variable ready;
  std::string path;
  bool done = false;
  int fd = -1, err = 0;
  const char* failedCall = "";
};
Prepared* prepared = nullptr;

void* makeCopy(void* arg) {
  Prepared* p = static_cast<Prepared*>(arg);
  int err = 0;
  const char* failedCall = "";
  int fd = sealedCopy(p->path, err, failedCall);
  std::lock_guard<std::mutex> hold(p->lock);
  p->fd = fd;
  p->err = err;
  p->failedCall = failedCall;
  p->done = true;
  p->ready.notify_all();
  return nullptr;
}

}  // namespace

void prepareSealedCopy(const std::string& path) {
  if (prepared) return;
  Prepared* p = new Prepared();
  p->path = path;
  pthread_t thread;
  if (pthread_create(&thread, nullptr, makeCopy, p) != 0) {
    delete p;  // no thread: the copy is made when it is taken
    return;
  }
  pthread_detach(thread);
  prepared = p;
}

int takeSealedCopy(const std::string& path, int& err, const char*& failedCall) {
  Prepared* p = prepared;
  prepared = nullptr;
  if (!p) return sealedCopy(path, err, failedCall);
  std::unique_lock<std::mutex> hold(p->lock);
  p->ready.wait(hold, [p] { return p->done; });
  if (p->path == path) {
    err = p->err;
    failedCall = p->failedCall;
    return p->fd;  // p stays allocated: see Prepared
  }
  if (p->fd >= 0) close(p->fd);
  hold.unlock();
  return sealedCopy(path, err, failedCall);
}
