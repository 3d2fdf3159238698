// Writes to a pty master on a thread of the addon's own.
#pragma once

#include <napi.h>

// Adds writeOnThread to the addon's exports.
void RegisterPtyWrite(Napi::Env env, Napi::Object exports);
