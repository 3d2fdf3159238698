// The cgroup v2 device controller's native half: loading a BPF_PROG_TYPE_CGROUP_DEVICE program
// (built by src/cgroups/device-program.ts) and attaching it to a cgroup directory.
#pragma once

#include <napi.h>

// Adds setDeviceProgram and deviceProgramCount to the addon's exports.
void RegisterBpf(Napi::Env env, Napi::Object exports);
