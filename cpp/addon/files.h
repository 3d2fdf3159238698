// The file system calls the runtime's short commands need (state, list, start, kill, delete), so
// that they never load Bun's node:fs and node:path: those two modules alone cost a command about a
// millisecond and 5 MB (docs/performance.md). Errors look like Node's system errors (code, errno,
// syscall, path), so callers and errors.ts treat both alike.
#pragma once

#include <napi.h>

// Adds the object `files` (readFile, writeFile, open, close, read, write, stat, lstat, readdir,
// mkdir, rmdir, unlink, rename, readlink, realpath, access, chmod, and the open flags, mode bits and signal
// numbers of this machine) to the addon's exports.
void RegisterFiles(Napi::Env env, Napi::Object exports);
