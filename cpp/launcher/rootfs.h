// The container's filesystem: propagation, the configured mounts (destinations always resolved
// inside the rootfs), /dev, pivot_root, then masked and read-only paths.
#pragma once
#include "masks.h"
#include "plan.h"
#include "procfs.h"
#include "sys.h"

enum class Create { Nothing, Directory, File };
// Refuse: no component may be a symlink (openat2 RESOLVE_NO_SYMLINKS), for the places an image
// has no business redirecting: /dev, the device nodes, /dev/pts, /dev/console.
enum class Symlinks { Follow, Refuse };

// Opens `path` inside the tree rooted at rootfd, never leaving it: ".." and symlinks (absolute or
// relative) are resolved as if rootfd were "/". Missing components are created when asked.
Result openInRoot(int rootfd, const std::string& path, Create create, sys::Fd& out, Symlinks symlinks = Symlinks::Follow);

// Before any mount: make "/" a slave (or what rootfsPropagation asks) and the rootfs a mount point.
Result prepareRoot(const Plan& plan);
// Each destination is checked against the container's procfs (procmount.h) before the mount;
// idmappedTrees: the launcher's id-mapped trees, by mount index (see idmap-mount.h).
Result mountAll(const Plan& plan, int rootfd, const ProcfsHandle& proc, std::vector<sys::Fd>& idmappedTrees);
Result setupDev(const Plan& plan, int rootfd);
Result enterRoot(const Plan& plan, int rootfd);
// After entering the root: read-only and masked paths (from the copies prepareMasks made before
// the root was entered), then the read-only root itself.
Result finalizeRoot(const Plan& plan, MaskSources& masks);
