#include "plan.h"

#include <cstdlib>

namespace {
std::vector<IdMap> idMaps(const json::Value& v) {
  std::vector<IdMap> out;
  for (const auto& m : v.items()) {
    IdMap map;
    map.containerID = static_cast<uint32_t>(m.integer("containerID"));
    map.hostID = static_cast<uint32_t>(m.integer("hostID"));
    map.size = static_cast<uint32_t>(m.integer("size"));
    out.push_back(map);
  }
  return out;
}
uint64_t capMask(const json::Value& list) {
  uint64_t mask = 0;
  for (const auto& c : list.items()) {
    int64_t n = c.asInt(-1);
    if (n >= 0 && n < 64) mask |= uint64_t{1} << n;
  }
  return mask;
}

uint64_t limitValue(const std::string& text) {
  if (text == "infinity") return ~uint64_t{0};
  return std::strtoull(text.c_str(), nullptr, 10);
}
}  // namespace

const NamespacePlan* Plan::ns(const std::string& type) const {
  for (const auto& n : namespaces) if (n.type == type) return &n;
  return nullptr;
}

Result parsePlan(const json::Value& v, Plan& plan) {
  if (v.integer("version") != 1) return failWith("launch plan version " + std::to_string(v.integer("version")) + " is not supported by this launcher", EINVAL);

  plan.id = v.str("id");
  plan.debug = v.flag("debug");
  plan.rootfs = v.str("rootfs");
  plan.readonlyRoot = v.flag("readonlyRoot");
  plan.rootPropagation = static_cast<unsigned long>(v.integer("rootPropagation"));
  plan.noPivot = v.flag("noPivot");
  plan.newKeyring = !v.flag("noNewKeyring");
  for (const auto& n : v["namespaces"].items()) {
    NamespacePlan ns;
    ns.type = n.str("type");
    ns.cloneFlag = static_cast<int>(n.integer("cloneFlag"));
    ns.path = n.str("path");
    plan.namespaces.push_back(ns);
  }
  plan.uidMappings = idMaps(v["uidMappings"]);
  plan.gidMappings = idMaps(v["gidMappings"]);
  for (const auto& t : v["timeOffsets"].items()) {
    plan.timeOffsets.push_back({t.str("clock"), t.integer("secs"), t.integer("nanosecs")});
  }
  plan.setHostname = v.has("hostname");
  plan.hostname = v.str("hostname");
  plan.setDomainname = v.has("domainname");
  plan.domainname = v.str("domainname");
  plan.mountLabel = v.str("mountLabel");
  for (const auto& m : v["mounts"].items()) {
    MountPlan mp;
    mp.source = m.str("source");
    mp.destination = m.str("destination");
    mp.type = m.str("type");
    mp.data = m.str("data");
    mp.flags = static_cast<unsigned long>(m.integer("flags"));
    for (const auto& p : m["propagation"].items()) mp.propagation.push_back(static_cast<unsigned long>(p.asInt()));
    mp.recAttrSet = static_cast<uint64_t>(m.integer("recAttrSet"));
    mp.recAttrClr = static_cast<uint64_t>(m.integer("recAttrClr"));
    mp.tmpcopyup = m.flag("tmpcopyup");
    plan.mounts.push_back(mp);
  }
  plan.setupDev = v.flag("setupDev");
  for (const auto& d : v["devices"].items()) {
    DevicePlan dev;
    dev.path = d.str("path");
    std::string t = d.str("type", "c");
    dev.type = t.empty() ? 'c' : t[0];
    dev.major = static_cast<uint32_t>(d.integer("major"));
    dev.minor = static_cast<uint32_t>(d.integer("minor"));
    dev.mode = static_cast<uint32_t>(d.integer("fileMode", 0666));
    dev.uid = static_cast<uint32_t>(d.integer("uid"));
    dev.gid = static_cast<uint32_t>(d.integer("gid"));
    plan.devices.push_back(dev);
  }
  plan.maskedPaths = v.strings("maskedPaths");
  plan.readonlyPaths = v.strings("readonlyPaths");
  for (const auto& s : v["sysctl"].items()) plan.sysctl.push_back({s.str("key"), s.str("path"), s.str("value")});
  plan.execFifo = v.str("execFifo");
  plan.preserveFds = static_cast<int>(v.integer("preserveFds"));

  const json::Value& p = v["process"];
  plan.hasProcess = p.isObject();
  if (plan.hasProcess) {
    plan.process.args = p.strings("args");
    plan.process.env = p.strings("env");
    plan.process.cwd = p.str("cwd", "/");
    plan.process.uid = static_cast<uint32_t>(p.integer("uid"));
    plan.process.gid = static_cast<uint32_t>(p.integer("gid"));
    for (const auto& g : p["additionalGids"].items()) plan.process.additionalGids.push_back(static_cast<uint32_t>(g.asInt()));
    plan.process.umask = static_cast<int>(p.integer("umask", -1));
    const json::Value& caps = p["capabilities"];
    plan.process.hasCapabilities = caps.isObject();
    plan.process.bounding = capMask(caps["bounding"]);
    plan.process.effective = capMask(caps["effective"]);
    plan.process.inheritable = capMask(caps["inheritable"]);
    plan.process.permitted = capMask(caps["permitted"]);
    plan.process.ambient = capMask(caps["ambient"]);
    plan.process.noNewPrivileges = p.flag("noNewPrivileges");
    for (const auto& r : p["rlimits"].items()) {
      plan.process.rlimits.push_back({static_cast<int>(r.integer("type")), limitValue(r.str("soft")), limitValue(r.str("hard"))});
    }
    plan.process.hasOomScoreAdj = p.has("oomScoreAdj");
    plan.process.oomScoreAdj = static_cast<int>(p.integer("oomScoreAdj"));
    parseScheduling(p["scheduling"], plan.process.scheduling);
    plan.process.apparmorProfile = p.str("apparmorProfile");
    plan.process.selinuxLabel = p.str("selinuxLabel");
  }
  TRY(parseSeccomp(v["seccomp"], plan.seccomp));
  parseCgroupPlan(v["cgroup"], plan.cgroup);
  const json::Value& console = v["console"];
  plan.console.enabled = console.isObject();
  plan.console.socketPath = console.str("socketPath");
  plan.console.rows = static_cast<unsigned>(console.integer("rows"));
  plan.console.cols = static_cast<unsigned>(console.integer("cols"));
  plan.console.clearOnlcr = console.flag("clearOnlcr");
  plan.kind = v.str("kind", "create");
  plan.hooksBeforePivot = v.flag("hooksBeforePivot");
  parseContainerHooks(v["containerHooks"], plan.containerHooks);
  parseMemoryPolicy(v["memoryPolicy"], plan.memoryPolicy);
  parseNetDevices(v["netDevices"], plan.netDevices);
  const json::Value& target = v["targetInit"];
  plan.targetInitPid = static_cast<pid_t>(target.integer("pid"));
  plan.targetInitStartTime = target.str("startTime");
  if (plan.kind != "create" && plan.kind != "exec") return failWith("launch plan: unknown kind \"" + plan.kind + "\"", EINVAL);
  if (plan.isExec() && !plan.hasProcess) return failWith("launch plan: an exec plan has no process", EINVAL);
  if (!plan.isExec() && plan.rootfs.empty()) return failWith("launch plan has no rootfs", EINVAL);
  return ok();
}
