// The launcher runs from a sealed in-memory copy: what runs (and what every waiting container
// maps) can never be rewritten through /proc/PID/exe by a container (CVE-2019-5736).
#pragma once

#include <string>

// The copy of `path`, sealed, as a close-on-exec fd; -1 with errno and the failed call set.
int sealedCopy(const std::string& path, int& err, const char*& failedCall);

// Starts making the copy of `path` on a thread of its own, so that copying 1.2 MB is not on the
// critical path of create, run and exec (it takes about 0.5 ms).
void prepareSealedCopy(const std::string& path);

// The copy prepareSealedCopy made for `path` (waiting for it if it is still being made), or a new
// one made now; as sealedCopy.
int takeSealedCopy(const std::string& path, int& err, const char*& failedCall);
