// The container's filesystem: propagation, the configured mounts (destinations always resolved
// inside the rootfs), /dev, pivot_root, then masked and read-only paths.
#pragma once
#include "plan.h"
#include "sys.h"

enum class Create { Nothing, Directory, File };

// Opens `path` inside the tree rooted at rootfd, never leaving it: ".." and symlinks (absolute or
// relative) are resolved as if rootfd were "/". Missing components are created when asked.
Result openInRoot(int rootfd, const std::string& path, Create create, sys::Fd& out);

// Before any mount: make "/" a slave (or what rootfsPropagation asks) and the rootfs a mount point.
Result prepareRoot(const Plan& plan);
// idmappedTrees: the launcher's id-mapped trees, by mount index (see idmap-mount.h).
Result mountAll(const Plan& plan, int rootfd, std::vector<sys::Fd>& idmappedTrees);
Result setupDev(const Plan& plan, int rootfd);
Result enterRoot(const Plan& plan, int rootfd);
// After entering the root: read-only and masked paths, then the read-only root itself.
Result finalizeRoot(const Plan& plan);

// A procfs instance of the init's pid namespace, showing processes only, mounted nowhere: the init
// reopens exec.fifo and writes its exec-time LSM labels through it, so it holds no handle on the
// host's /proc once the root is entered.
// -1 when the kernel refuses (the caller falls back to the container's /proc).
int openPrivateProc();
