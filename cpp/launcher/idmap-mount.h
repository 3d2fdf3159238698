// Id-mapped bind mounts (mount options idmap/ridmap, a mount's own uidMappings/gidMappings).
//
// Mapping a mount needs CAP_SYS_ADMIN over the filesystem's user namespace (the host's), which the
// init has lost by the time it mounts. So the launcher, host root, clones each source as a detached
// tree (open_tree OPEN_TREE_CLONE), maps it with mount_setattr(MOUNT_ATTR_IDMAP) and passes the tree
// to the init over the stage channel before "go"; the init attaches it by fd (move_mount) in its
// place among the other mounts.
#pragma once
#include <sys/types.h>

#include <vector>

#include "channel.h"
#include "plan.h"
#include "procfs.h"
#include "sys.h"

// Launcher, once the init exists (its user namespace serves mounts without mappings of their own).
Result sendIdmappedMounts(const Plan& plan, pid_t init, const Channel& toInit, const ProcfsHandle& proc);

// Init, before "go": one tree per id-mapped mount, at the mount's index (others stay invalid).
Result receiveIdmappedMounts(const Plan& plan, Channel& fromLauncher, std::vector<sys::Fd>& trees);

// Init: the tree on the (already opened) destination.
Result attachIdmappedMount(int tree, int target, const MountPlan& m);

// mount_setattr(2) exists (Linux 5.12, which brought MOUNT_ATTR_IDMAP with it): for `features`.
bool kernelHasIdmappedMounts();
