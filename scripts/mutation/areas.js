// The areas mutation testing works on (docs/testing.md, "Mutation testing"): for each, the
// TypeScript sources Stryker mutates and the tests that must notice. `unit` files run first (fast,
// no containers), then `container` files one at a time; the first failing file kills the mutant.
// A test file that does not exist (yet) is skipped, so an old tree can be measured with the same
// list. Names are test/**/NAME.test.ts (unit/ or integration/<feature>/, found by
// mutation/test-files.js); NAME@PATTERN runs only that file's tests matching PATTERN
// (node --test-name-pattern), for files that mostly test something else.
'use strict';

module.exports = {
  seccomp: {
    mutate: ['src/plan/seccomp.ts'],
    unit: ['plan', 'seccomp-plan'],
    container: ['seccomp-effects', 'seccomp'],
  },
  cgroups: {
    // update and pause/resume, down to the v1 driver's update and freezer (v1.ts lines); the
    // resource mappings' exact file writes are the unit tests' job (cgroups-v1-resources).
    mutate: [
      'src/commands/update.ts', 'src/commands/pause.ts', 'src/commands/resume.ts',
      'src/cgroups/freezer.ts', 'src/cgroups/freezer-state.ts', 'src/cgroups/v1.ts:79-144',
    ],
    unit: ['cgroups-v1-resources', 'update-flags', 'freezer'],
    // cgroups@...: v1.ts's apply is create's too (device rules, hugetlb in the unified hierarchy).
    container: ['cgroups-freezer', 'cgroups-update', 'cgroups@pause|update|events|stopped|device|hugepage|not mounted', 'exec@--cgroup'],
  },
  events: {
    // `events` (statistics lines, OOM lines, --interval) and the statistics it prints; the files'
    // parsers and the JSON are cgroups-stats' (real cgroups, kernel texts, runc's output).
    mutate: ['src/commands/events.ts', 'src/container/events.ts', 'src/cgroups/stats.ts', 'src/cgroups/stats-v1.ts', 'src/cgroups/stats-v2.ts'],
    unit: ['events-flags', 'cgroups-stats'],
    container: ['cgroups-update@events --stats', 'cgroups@events'],
  },
  hooks: {
    // The hook runner, and where start and delete call it or react to a hook's failure.
    mutate: ['src/hooks/run.ts', 'src/container/start.ts:13-38', 'src/container/start.ts:79-88', 'src/container/destroy.ts:27-29'],
    unit: [],
    container: ['hooks-effects', 'hooks'],
  },
  exec: {
    mutate: ['src/container/exec.ts', 'src/container/foreground.ts', 'src/plan/exec.ts', 'src/commands/exec.ts'],
    unit: ['plan', 'exec-flags'],
    container: ['exec-inherits', 'exec'],
  },
  terminal: {
    // The relay of a foreground terminal; receiving the master (the rest of console.ts) is the
    // unit tests' (console.test.ts) and every create --console-socket's.
    mutate: ['src/container/console.ts:217-337', 'src/container/foreground-terminal.ts'],
    unit: ['console'],
    container: ['terminal-relay', 'terminal-effects', 'terminal'],
  },
};
