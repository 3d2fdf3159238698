#include "joined-userns.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include "sys.h"

namespace {

using Row = std::tuple<uint64_t, uint64_t, uint64_t>;

std::vector<Row> rowsOf(const std::vector<IdMap>& maps) {
  std::vector<Row> out;
  for (const IdMap& m : maps) out.emplace_back(m.containerID, m.hostID, m.size);
  std::sort(out.begin(), out.end());
  return out;
}

Result readMap(const ProcfsHandle& proc, const std::string& name, std::vector<Row>& out) {
  sys::Fd fd;
  TRY(proc.openFile("self/" + name, O_RDONLY | O_CLOEXEC, fd));
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read", "/proc/self/" + name);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  // Rows of three decimal numbers separated by blanks (no iostreams: they bring the locale code,
  // a megabyte, into a binary copied for every container).
  const char* at = text.c_str();
  for (;;) {
    uint64_t field[3];
    int got = 0;
    for (; got < 3; got++) {
      char* end;
      field[got] = std::strtoull(at, &end, 10);
      if (end == at) break;
      at = end;
    }
    if (got < 3) break;
    out.emplace_back(field[0], field[1], field[2]);
  }
  std::sort(out.begin(), out.end());
  return ok();
}

std::string show(const std::vector<Row>& rows) {
  if (rows.empty()) return "nothing";
  std::string out;
  for (const Row& r : rows) {
    if (!out.empty()) out += ", ";
    out += std::to_string(std::get<0>(r)) + " " + std::to_string(std::get<1>(r)) + " " + std::to_string(std::get<2>(r));
  }
  return out;
}

}  // namespace

Result checkJoinedUserMappings(const Plan& plan, const ProcfsHandle& proc) {
  const NamespacePlan* user = findNamespace(plan, "user");
  if (!user || user->path.empty()) return ok();
  const std::pair<const char*, const std::vector<IdMap>*> kinds[] = {{"uid", &plan.uidMappings}, {"gid", &plan.gidMappings}};
  for (const auto& [kind, maps] : kinds) {
    if (maps->empty()) continue;
    std::vector<Row> joined;
    TRY(inStep(readMap(proc, std::string(kind) + "_map", joined), "join user namespace"));
    std::vector<Row> given = rowsOf(*maps);
    if (given != joined) {
      return failWith(std::string("config.json: /linux/") + kind + "Mappings: " + show(given) + " is not the mapping of the user namespace joined at " + user->path +
                          " (" + show(joined) + "); give the namespace's path or mappings for a new one, not both", EINVAL);
    }
  }
  return ok();
}
