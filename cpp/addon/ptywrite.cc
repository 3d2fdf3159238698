// writeOnThread(fd, data) -> Promise<number>: writes data to fd (all of it, unless an error stops
// it) on a thread started for this write, and settles on the JavaScript thread.
//
// Why a thread of our own: a pty master's input can be full for as long as the container does
// not read, so the write must not run on the event loop. The runtime's worker pool is not safe
// either: Bun reads a tty stream with blocking reads on the workers its asynchronous fs.write
// would queue behind, so input would wait for output that only the input can cause. Writes are
// keystrokes or a paste cut into chunks, so one short-lived thread per write is cheap.
#include "ptywrite.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace {

struct WriteJob {
  int fd;
  std::vector<char> data;
  size_t written = 0;
  int err = 0;
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction done;
};

// On the JavaScript thread: settles the promise with what the thread did. A write that got part
// of the way resolves with that part; the caller writes the rest (and then meets the error).
void settle(Napi::Env env, Napi::Function, WriteJob* job) {
  if (job->err == 0 || job->written > 0) {
    job->deferred.Resolve(Napi::Number::New(env, static_cast<double>(job->written)));
  } else {
    const char* name = strerrorname_np(job->err);
    Napi::Error e = Napi::Error::New(env, std::string("write: ") + strerror(job->err));
    if (name) e.Set("code", Napi::String::New(env, name));
    e.Set("errno", Napi::Number::New(env, job->err));
    e.Set("syscall", Napi::String::New(env, "write"));
    job->deferred.Reject(e.Value());
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
                           0, 0, Napi::Promise::Deferred::New(env), Napi::ThreadSafeFunction()};
  Napi::Promise promise = job->deferred.Promise();
  job->done = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "tsrunc-pty-write", 0, 1);
  // A write the container never takes must not keep the process alive once the relay is done.
  job->done.Unref(env);
  std::thread([job] {
    while (job->written < job->data.size()) {
      ssize_t n = write(job->fd, job->data.data() + job->written, job->data.size() - job->written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) { job->err = errno; break; }
      job->written += static_cast<size_t>(n);
    }
    job->done.BlockingCall(job, settle);
  }).detach();
  return promise;
}

}  // namespace

void RegisterPtyWrite(Napi::Env env, Napi::Object exports) {
  exports.Set("writeOnThread", Napi::Function::New(env, WriteOnThread));
}
