// Hand-written mutants of the C++ side for scripts/mutate-cpp.js: each is one plausible bug, a
// literal text `find` (it must occur exactly once in `file`) and its `replace`. `tests` overrides
// the area's test files (scripts/mutation/areas.js) when the bug belongs to another area's tests.
'use strict';

const m = (area, file, what, find, replace, extra = {}) => ({ area, file, what, find, replace, ...extra });
const SECCOMP = 'cpp/launcher/seccomp.cc';
const HOOKS = 'cpp/launcher/hooks.cc';
const PROCESS = 'cpp/launcher/process.cc';
const MAIN = 'cpp/launcher/main.cc';
const PTY = 'cpp/launcher/pty.cc';
const CGROUPS = 'cpp/launcher/cgroups.cc';

module.exports = [
  // ---- seccomp ----
  m('seccomp', SECCOMP, 'filter flags (LOG, SPEC_ALLOW, TSYNC) logged but not passed to seccomp(2)',
    'SECCOMP_SET_MODE_FILTER, program.flags, &prog', 'SECCOMP_SET_MODE_FILTER, program.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog'),
  m('seccomp', SECCOMP, 'the LOG flag alone dropped on the way to the kernel',
    'SECCOMP_SET_MODE_FILTER, program.flags, &prog', 'SECCOMP_SET_MODE_FILTER, program.flags & ~SECCOMP_FILTER_FLAG_LOG, &prog'),
  m('seccomp', SECCOMP, 'TSYNC_ESRCH not added to TSYNC with a listener',
    'out.flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;', '{}'),
  m('seccomp', SECCOMP, 'defaultAction errno data dropped when the plan is read',
    'out.defaultAction = static_cast<uint32_t>(u64(v["defaultAction"]));', 'out.defaultAction = static_cast<uint32_t>(u64(v["defaultAction"])) & 0xffff0000u;'),
  m('seccomp', SECCOMP, 'a rule\'s errno data dropped when the plan is read',
    'rule.action = static_cast<uint32_t>(u64(r["action"]));', 'rule.action = static_cast<uint32_t>(u64(r["action"])) & 0xffff0000u;'),
  m('seccomp', SECCOMP, 'the cache key leaves out the default action (a cached filter of another default is loaded)',
    'key.set("defaultAction", v["defaultAction"]);', ''),
  m('seccomp', SECCOMP, 'argument condition: value and valueTwo swapped (MASKED_EQ mask and datum)',
    'c.index, static_cast<scmp_compare>(c.op), c.value, c.valueTwo', 'c.index, static_cast<scmp_compare>(c.op), c.valueTwo, c.value'),
  m('seccomp', SECCOMP, 'argument conditions ignored (a conditional rule blocks every call)',
    'static_cast<unsigned>(conds.size()), conds.empty() ? nullptr : conds.data()', '0u, nullptr'),
  m('seccomp', SECCOMP, 'an argument value above 2^53 parsed as a double-precision number',
    'if (v.isString()) return std::strtoull(v.asString().c_str(), nullptr, 10);', 'if (v.isString()) return static_cast<uint64_t>(std::strtod(v.asString().c_str(), nullptr));'),
  m('seccomp', SECCOMP, 'an unknown architecture skipped instead of refused',
    'if (arch == 0) {', 'if (arch == 0 && false) {'),
  m('seccomp', SECCOMP, 'a damaged cache entry accepted when its header matches',
    'if (size == 0 || size % sizeof(sock_filter) != 0) return false;', 'if (size == 0) return false;'),
  m('seccomp', SECCOMP, 'the listener is sent the init\'s pid only in the state, not at the top',
    'msg.set("pid", json::Value::number(initPid));', ''),
  m('seccomp', MAIN, 'a notifying filter loaded like any other, just before execve (too late for the listener)',
    'if (plan.seccomp.notifies()) OR_DIE(ch, loadNotifyingFilter(plan, ch));', 'if (false) OR_DIE(ch, loadNotifyingFilter(plan, ch));'),

  // ---- hooks (createContainer, startContainer: run by the launcher) ----
  m('hooks', HOOKS, 'createContainer/startContainer hooks never time out',
    'long deadline = h.timeout > 0 ? h.timeout * 1000L : -1;', 'long deadline = -1;'),
  m('hooks', HOOKS, 'a timed-out hook is not killed (waited for instead)',
    'if (timedOut) ::kill(child, SIGKILL);', ''),
  m('hooks', HOOKS, 'a container hook gets the launcher\'s environment instead of its env',
    '::execve(h.path.c_str(), argv.data(), envp.data());', '::execve(h.path.c_str(), argv.data(), environ);'),
  m('hooks', HOOKS, 'a container hook gets no state on stdin',
    'if (::write(fds[1], input.data(), input.size()) < 0) {}', ''),
  m('hooks', HOOKS, 'a container hook\'s non-zero exit is ignored',
    'if (WEXITSTATUS(status) != 0) return', 'if (false) return'),
  m('hooks', HOOKS, 'a container hook killed by a signal counts as success',
    'if (WIFSIGNALED(status)) return', 'if (false) return'),
  m('hooks', HOOKS, 'args[0] not honoured: the hook sees its path as argv[0]',
    'if (p.args.empty()) p.args.push_back(p.path);', 'p.args.insert(p.args.begin(), p.path);'),
  m('hooks', HOOKS, 'a container hook inherits the launcher\'s open descriptors',
    'sys::closeRange(3, ~0U, 0);', ''),
  m('hooks', MAIN, 'startContainer hooks read "creating" as the status',
    'hookState(plan, "created", hostPid)', 'hookState(plan, "creating", hostPid)'),
  m('hooks', MAIN, 'the container hooks\' state has no pid',
    'state.set("pid", json::Value::number(hostPid));', ''),
  m('hooks', MAIN, 'a failing startContainer hook ignored: the process runs anyway',
    'Failure failure = hooks ? *hooks', 'Failure failure = false ? *hooks'),

  // ---- exec: what an exec'd process gets (the same code sets up the init) ----
  m('exec', PROCESS, 'the last capability (cap_last_cap) is never dropped from the bounding set',
    'for (int cap = 0; cap <= last; cap++) {', 'for (int cap = 0; cap < last; cap++) {'),
  m('exec', PROCESS, 'the inheritable set is left empty',
    'data[0].inheritable = static_cast<uint32_t>(p.inheritable);', 'data[0].inheritable = 0;'),
  m('exec', PROCESS, 'ambient capabilities are never raised',
    '::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);', ''),
  m('exec', PROCESS, 'the soft rlimit set to the hard one',
    'struct rlimit lim{r.soft == ~uint64_t{0} ? RLIM_INFINITY : r.soft,', 'struct rlimit lim{r.hard == ~uint64_t{0} ? RLIM_INFINITY : r.hard,'),
  m('exec', PROCESS, 'no_new_privs never set',
    'if (p.noNewPrivileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)', 'if (false && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)'),
  m('exec', PROCESS, 'additional gids dropped',
    'std::vector<gid_t> groups(p.additionalGids.begin(), p.additionalGids.end());', 'std::vector<gid_t> groups;'),
  m('exec', PROCESS, 'HOME from /etc/passwd not added for the process user',
    'if (!hasEnv(env, "HOME")) env.push_back("HOME=" + homeOf(p.uid));', 'if (!hasEnv(env, "HOME")) env.push_back("HOME=/");'),
  m('exec', MAIN, 'an exec\'d process does not get the process\'s oom_score_adj',
    '  if (plan.process.hasOomScoreAdj) {\n    // The container\'s procfs', '  if (false) {\n    // The container\'s procfs'),
  m('exec', MAIN, 'an exec\'d process without user.umask gets 0022 instead of its caller\'s',
    'else if (!plan.isExec()) ::umask(022);', 'else ::umask(022);'),
  m('exec', MAIN, 'the init without user.umask keeps the caller\'s umask instead of 0022',
    'else if (!plan.isExec()) ::umask(022);', '', { tests: ['differential@umask'] }),
  m('exec', MAIN, 'the exec\'d process keeps descriptors beyond --preserve-fds',
    'sys::closeRange(3 + plan.preserveFds, ~0U, CLOSE_RANGE_CLOEXEC);', ''),
  m('exec', CGROUPS, 'exec: the v1 cgroups are not joined when clone3 placed the process in the unified one',
    'if (file == skip) continue;', 'if (file != skip) continue;'),
  m('exec', MAIN, 'exec: the session keyring of the container is not joined',
    '  OR_DIE(ch, joinKeyring(plan));\n  if (plan.process.hasOomScoreAdj) {', '  if (plan.process.hasOomScoreAdj) {'),

  // ---- terminal ----
  m('terminal', PTY, 'consoleSize: rows and columns swapped',
    'ws.ws_row = static_cast<unsigned short>(plan.rows);\n    ws.ws_col = static_cast<unsigned short>(plan.cols);',
    'ws.ws_row = static_cast<unsigned short>(plan.cols);\n    ws.ws_col = static_cast<unsigned short>(plan.rows);'),
  m('terminal', PTY, 'the pty slave is not given to the process user',
    'if (::fchown(slave.get(), uid, static_cast<gid_t>(-1)) != 0)', 'if (false && ::fchown(slave.get(), uid, static_cast<gid_t>(-1)) != 0)'),
  m('terminal', PTY, 'the pty is not made the controlling terminal',
    'if (::ioctl(0, TIOCSCTTY, 0) != 0)', 'if (false && ::ioctl(0, TIOCSCTTY, 0) != 0)'),
  m('terminal', PTY, 'ONLCR not cleared on a master tsrunc relays itself',
    't.c_oflag &= ~static_cast<tcflag_t>(ONLCR);', ''),
  m('terminal', PTY, 'only stdin is the terminal (stdout and stderr left as they were)',
    'for (int fd = 0; fd < 3; fd++) {\n    if (::dup2(slave.get(), fd) < 0)', 'for (int fd = 0; fd < 1; fd++) {\n    if (::dup2(slave.get(), fd) < 0)'),
  m('terminal', MAIN, 'an exec\'d process with a terminal gets no session of its own',
    'if (::setsid() < 0) failAndExit(ch, *fail("setsid"));\n    OR_DIE(ch, setUpConsole(plan, ch));', 'OR_DIE(ch, setUpConsole(plan, ch));'),
];
