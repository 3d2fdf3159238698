// linux.maskedPaths: a file is covered by the null device, a directory by an empty read-only tmpfs
// (as runc does). The null device is opened by the launcher before the root is entered, by fd and
// never through a symlink (an image's /dev/null linked to a host file is never followed), checked
// with fstat to be the 1:3 character device, and one detached copy of it made per masked path;
// each is mounted from its fd onto a target opened without following its last component, so
// nothing is ever mounted by a path the container controls.
#pragma once
#include <vector>

#include "plan.h"
#include "sys.h"

struct MaskSources {
  std::vector<sys::Fd> nullMounts;  // detached mounts of the null device (open_tree clones)
};

// Before pivot_root, after /dev is set up: rootfd is the container's root, "/" still the runtime's.
Result prepareMasks(const Plan& plan, int rootfd, MaskSources& out);

// After pivot_root (or chroot), each path resolved inside the container's root; a path that does
// not exist is skipped.
Result maskPaths(const Plan& plan, MaskSources& sources);
