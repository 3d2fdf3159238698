// The launch plan: everything the launcher needs, already decided by the TypeScript side (option
// strings turned into flags, default devices added, paths made absolute). Its JSON form is
// documented in docs/launch-plan.md; new features add fields here and in src/plan/types.ts.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../common/json.h"
#include "cgroups.h"
#include "failure.h"
#include "hooks.h"
#include "mempolicy.h"
#include "netdevices.h"
#include "pty.h"
#include "seccomp.h"
#include "scheduling.h"

struct IdMap {
  uint32_t containerID = 0, hostID = 0, size = 0;
};

struct NamespacePlan {
  std::string type;  // "user", "pid", ...
  int cloneFlag = 0;
  std::string path;  // join this namespace when set; create a new one otherwise
};

struct MountPlan {
  std::string source, destination, type, data;
  unsigned long flags = 0;             // MS_* flags for mount(2), MS_BIND/MS_REC included
  std::vector<unsigned long> propagation;  // applied one by one after the mount
  uint64_t recAttrSet = 0, recAttrClr = 0;  // mount_setattr(AT_RECURSIVE) for the r* options
  bool tmpcopyup = false;
  bool isBind() const { return (flags & 0x1000) != 0; }
};

struct DevicePlan {
  std::string path;  // absolute, inside the container
  char type = 'c';   // c, b, u (unbuffered char), p (fifo)
  uint32_t major = 0, minor = 0, mode = 0666, uid = 0, gid = 0;
};

struct RlimitPlan {
  int type = 0;
  uint64_t soft = 0, hard = 0;
};

struct ProcessPlan {
  std::vector<std::string> args, env;
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additionalGids;
  int umask = -1;  // -1: unset (the init gets 0022, an exec'd process keeps its caller's)
  bool hasCapabilities = false;  // absent: keep what the init has (the plan builder always sends the sets)
  uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
  bool noNewPrivileges = false;
  std::vector<RlimitPlan> rlimits;
  bool hasOomScoreAdj = false;
  int oomScoreAdj = 0;
  SchedulingPlan scheduling;
  std::string apparmorProfile, selinuxLabel;  // empty: none
};

struct TimeOffsetPlan {
  std::string clock;  // "monotonic" or "boottime"
  int64_t secs = 0, nanosecs = 0;
};

struct Plan {
  // "create": a new container's init; "exec": a process joining a running container's namespaces
  // and cgroup (no rootfs work, no exec.fifo: it execs as soon as it is set up).
  std::string kind = "create";
  bool isExec() const { return kind == "exec"; }
  pid_t targetInitPid = 0;            // exec: the init whose namespaces are joined
  std::string targetInitStartTime;    // its start time at create (/proc/<pid>/stat field 22)
  int targetInitFd = -1;              // its pidfd, opened by the launcher
  std::string id;
  bool debug = false;
  std::string rootfs;
  bool readonlyRoot = false;
  unsigned long rootPropagation = 0;  // 0: make "/" rslave, as runc does
  bool noPivot = false;
  bool newKeyring = true;
  std::vector<NamespacePlan> namespaces;
  std::vector<IdMap> uidMappings, gidMappings;
  std::vector<TimeOffsetPlan> timeOffsets;
  bool setHostname = false, setDomainname = false;
  std::string hostname, domainname;
  std::string mountLabel;  // SELinux; config mounts already carry it in their data
  std::vector<MountPlan> mounts;
  bool setupDev = true;  // false when the bundle bind-mounts its own /dev
  std::vector<DevicePlan> devices;
  std::vector<std::string> maskedPaths, readonlyPaths;
  struct Sysctl {
    std::string key, path, value;  // path: /proc/sys/... as the plan builder computed it
  };
  std::vector<Sysctl> sysctl;
  std::string execFifo;
  int execFifoFd = -1;  // opened by the launcher (host root): the init may not reach the state dir
  int preserveFds = 0;
  bool hasProcess = false;
  ProcessPlan process;
  SeccompPlan seccomp;
  SeccompProgram seccompProgram;  // compiled by the launcher before anything is created
  CgroupPlan cgroup;
  ConsolePlan console;
  // prestart/createRuntime hooks: the init stops before pivot_root while tsrunc runs them.
  bool hooksBeforePivot = false;
  ContainerHooksPlan containerHooks;  // createContainer/startContainer, run by the init itself
  int cgroupFd = -1;  // the cgroup2 directory for clone3, opened by the launcher
  MemoryPolicyPlan memoryPolicy;  // for the init and for an exec'd process alike (as runc)
  std::vector<NetDevicePlan> netDevices;  // moved by the launcher between "child" and "go"

  const NamespacePlan* ns(const std::string& type) const;
  bool newNamespace(const std::string& type) const {
    const NamespacePlan* n = ns(type);
    return n && n->path.empty();
  }
  // Without a mount namespace (neither new nor joined) the container lives in the runtime's mount
  // table: no propagation change, no pivot_root, a chroot into the rootfs instead.
  bool ownMountTable() const { return ns("mount") != nullptr; }
};

Result parsePlan(const json::Value& v, Plan& plan);
