// writeOnThread(fd, data) -> Promise<number>: writes data to fd (all of it, unless an error stops
// it) on a thread started for this write, and settles on the JavaScript thread.
//
// Why a thread of our own: a pty master's input can be full for as long as the container does
// not read, so the write must not run on the event loop. The runtime's worker pool is not safe
// either: Bun reads a tty stream with blocking reads on the workers its asynchronous fs.write
// would queue behind, so input would wait for output that only the input can cause. Writes are
// keystrokes or a paste cut into chunks, so one short-lived thread per write is cheap.
//
// The thread may finish while the process tears its JavaScript environment down (create exits
// before its cgroup warm-up write returns; a terminal relay ends with a write the container never
// took). Node deletes a thread-safe function with the environment, so the thread hands its result
// over only while an environment cleanup hook, run before that, has not said the environment is
// going; and the result, if handed over in time, is settled with plain N-API calls whose failures
// are ignored (nothing can run any more then, and a throwing wrapper would abort the process).
#include "ptywrite.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace {

// Shared by the writing thread and the JavaScript thread; the thread checks `live` under the lock
// before it touches the thread-safe function.
struct EnvGuard {
  std::mutex lock;
  bool live = true;
  bool hookRan = false;  // JavaScript thread only
};

// The cleanup hook's argument: its own reference to the guard, freed by whichever of the hook and
// settle() ends the registration.
struct HookArg {
  std::shared_ptr<EnvGuard> guard;
};

void environmentGoing(void* arg) {
  auto* hook = static_cast<HookArg*>(arg);
  {
    std::lock_guard<std::mutex> hold(hook->guard->lock);
    hook->guard->live = false;
  }
  hook->guard->hookRan = true;
  delete hook;
}

struct WriteJob {
  int fd;
  std::vector<char> data;
  size_t written = 0;
  int err = 0;
  napi_deferred deferred = nullptr;
  Napi::ThreadSafeFunction done;
  std::shared_ptr<EnvGuard> guard;
  HookArg* hook = nullptr;
};

void setProperty(napi_env env, napi_value object, const char* name, napi_value value) {
  if (value != nullptr) napi_set_named_property(env, object, name, value);
}

// On the JavaScript thread: settles the promise with what the thread did. A write that got part
// of the way resolves with that part; the caller writes the rest (and then meets the error).
void settle(Napi::Env env, Napi::Function, WriteJob* job) {
  if (job->err == 0 || job->written > 0) {
    napi_value written = nullptr;
    if (napi_create_double(env, static_cast<double>(job->written), &written) == napi_ok) napi_resolve_deferred(env, job->deferred, written);
  } else {
    const char* name = strerrorname_np(job->err);
    std::string text = std::string("write: ") + strerror(job->err);
    napi_value message = nullptr, error = nullptr, value = nullptr;
    if (napi_create_string_utf8(env, text.c_str(), text.size(), &message) == napi_ok && napi_create_error(env, nullptr, message, &error) == napi_ok) {
      if (name && napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &value) == napi_ok) setProperty(env, error, "code", value);
      if (napi_create_int32(env, job->err, &value) == napi_ok) setProperty(env, error, "errno", value);
      if (napi_create_string_utf8(env, "write", NAPI_AUTO_LENGTH, &value) == napi_ok) setProperty(env, error, "syscall", value);
      napi_reject_deferred(env, job->deferred, error);
    }
  }
  if (!job->guard->hookRan) {
    napi_remove_env_cleanup_hook(env, environmentGoing, job->hook);
    delete job->hook;
  }
  job->done.Release();
  delete job;
}

Napi::Value WriteOnThread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBuffer()) {
    Napi::TypeError::New(env, "writeOnThread: expected (fd: number, data: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto buf = info[1].As<Napi::Buffer<char>>();
  auto* job = new WriteJob{info[0].As<Napi::Number>().Int32Value(), std::vector<char>(buf.Data(), buf.Data() + buf.Length()),
                           0, 0, nullptr, Napi::ThreadSafeFunction(), std::make_shared<EnvGuard>(), nullptr};
  napi_value promise = nullptr;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    delete job;
    Napi::Error::New(env, "writeOnThread: cannot make a promise").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  job->done = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "tsrunc-pty-write", 0, 1);
  // A write the container never takes must not keep the process alive once the relay is done.
  job->done.Unref(env);
  // Added after the thread-safe function, so it runs before the cleanup that deletes it (Node
  // runs cleanup hooks in the reverse order of their adding).
  job->hook = new HookArg{job->guard};
  if (napi_add_env_cleanup_hook(env, environmentGoing, job->hook) != napi_ok) {
    delete job->hook;
    job->hook = nullptr;
    job->guard->hookRan = true;  // nothing to remove; the thread still checks `live`
  }
  std::thread([job] {
    while (job->written < job->data.size()) {
      ssize_t n = write(job->fd, job->data.data() + job->written, job->data.size() - job->written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) { job->err = errno; break; }
      job->written += static_cast<size_t>(n);
    }
    // `guard` is kept by a copy of its own: once the call is queued, settle() may free the job.
    std::shared_ptr<EnvGuard> guard = job->guard;
    std::lock_guard<std::mutex> hold(guard->lock);
    if (guard->live) job->done.BlockingCall(job, settle);
    // Otherwise the environment is gone: the job stays unfreed, as the process is ending.
  }).detach();
  return Napi::Value(env, promise);
}

}  // namespace

void RegisterPtyWrite(Napi::Env env, Napi::Object exports) {
  exports.Set("writeOnThread", Napi::Function::New(env, WriteOnThread));
}
