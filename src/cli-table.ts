// The command-line surface as data: every command, option, alias and default, in one place. The
// fast parser in argv.ts (ordinary invocations, without loading yargs), yargs (unusual syntax),
// the help (src/help/render.ts), the man pages and the shell completions are all made from it.
import { DEFAULT_ROOT } from './context';

export interface OptionSpec {
  type: 'string' | 'boolean' | 'number';
  alias?: string;
  default?: string | boolean | number;
  choices?: readonly string[];
  /** May be given more than once; the values are collected in order (an array, empty by default). */
  repeatable?: boolean;
  /** What the value is, as help and man pages show it (`--bundle DIR`); FILE, DIR, SOCKET and PATH complete as file names. */
  arg?: string;
  describe: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

export interface CommandSpec {
  name: string;
  usage: string;
  describe: string;
  /** Allowed number of positional arguments (runc's checkArgs): [min, max]. */
  positional: [number, number];
  /** runc prefixes the errors of create and run with "runc create failed: " and so on. */
  errorPrefix?: boolean;
  /** Everything after this many positionals is passed on untouched, dashes included (ps's ps options). */
  passThroughAfter?: number;
  /** The command puts a new process into the container's cgroups: the cgroup attach lock is
   * warmed before its code loads (src/cgroups/attach-warmup.ts). */
  placesProcess?: boolean;
  options: OptionTable;
}

// The prose here (describe) is ours and free to change; the names, aliases, defaults and choices
// are runc's command line, which engines type, and are not.
export const GLOBAL_OPTIONS: OptionTable = {
  root: { type: 'string', default: DEFAULT_ROOT, arg: 'DIR', describe: 'where the containers\' state lives (for a user other than root, or root of a user namespace unless $USER is root, as under rootless podman: $XDG_RUNTIME_DIR/tsrunc when set); keep it on a tmpfs (/run) so it goes away with a reboot, as the containers do' },
  log: { type: 'string', arg: 'FILE', describe: 'append tsrunc\'s own log lines to FILE instead of writing them to standard error' },
  'log-format': { type: 'string', default: 'text', choices: ['text', 'json'], arg: 'FORMAT', describe: 'how log lines look: key=value text, or one JSON object a line' },
  debug: { type: 'boolean', default: false, describe: 'log debug lines too (the launch plan, each step)' },
  'systemd-cgroup': { type: 'boolean', default: false, describe: 'have systemd manage the cgroups; cgroupsPath is then slice:prefix:name' },
  // No default: it would turn `spec --rootless` (a bare switch) into a value; 'auto' is applied later.
  rootless: { type: 'string', choices: ['true', 'false', 'auto'], arg: 'WHEN', describe: 'whether tsrunc runs as an unprivileged caller: id maps written as such a user may (newuidmap for more than its own id), cgroups it cannot write left out when the config sets no limit; auto (the default): when not root or inside a user namespace' },
};

const BUNDLE: OptionTable = {
  bundle: { type: 'string', alias: 'b', arg: 'DIR', describe: 'the bundle: a directory with config.json and the root filesystem (default: the current directory)' },
};

const CREATE: OptionTable = {
  ...BUNDLE,
  'console-socket': { type: 'string', arg: 'SOCKET', describe: 'unix socket that is sent the master fd of the container\'s terminal (for "terminal": true)' },
  'pid-file': { type: 'string', arg: 'FILE', describe: 'write the host pid of the container\'s init to FILE (replaced atomically)' },
  'pidfd-socket': { type: 'string', arg: 'SOCKET', describe: 'unix socket that is sent a pidfd of the container\'s init, a handle for signalling it that a reused pid cannot fool' },
  'no-pivot': { type: 'boolean', default: false, describe: 'enter the root filesystem with a move mount and chroot instead of pivot_root (a rootfs on a ramdisk)' },
  'no-new-keyring': { type: 'boolean', default: false, describe: 'let the container share the caller\'s session keyring instead of starting a fresh one' },
  'preserve-fds': { type: 'number', default: 0, arg: 'N', describe: 'also hand the N open fds after stdio (and after $LISTEN_FDS ones) to the container' },
};

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'create', usage: 'create [options] <container-id>', describe: 'set up a container from a bundle; its process waits until start', positional: [1, 1], errorPrefix: true, placesProcess: true, options: CREATE },
  { name: 'start', usage: 'start <container-id>', describe: 'let a created container\'s process begin', positional: [1, 1], options: {} },
  {
    name: 'run', usage: 'run [options] <container-id>', describe: 'create and start in one step; in the foreground, wait and exit with the container\'s status', positional: [1, 1], errorPrefix: true, placesProcess: true,
    options: {
      ...CREATE,
      detach: { type: 'boolean', alias: 'd', default: false, describe: 'return as soon as the container runs instead of waiting for it' },
      keep: { type: 'boolean', default: false, describe: 'leave the stopped container in place (for state, then delete) instead of removing it' },
      'no-subreaper': { type: 'boolean', default: false, describe: 'do not adopt the container\'s orphaned processes while waiting' },
    },
  },
  { name: 'state', usage: 'state <container-id>', describe: 'print a container\'s state (status, pid, bundle...) as JSON', positional: [1, 1], options: {} },
  {
    name: 'kill', usage: 'kill [options] <container-id> [signal]', describe: 'signal a container\'s init process; SIGTERM unless a signal is named', positional: [1, 2],
    options: { all: { type: 'boolean', alias: 'a', default: false, describe: 'signal every process in the container\'s cgroup, not only the init' } },
  },
  {
    name: 'delete', usage: 'delete [options] <container-id>', describe: 'remove a stopped container: its state, cgroups and the rest', positional: [1, 1],
    options: { force: { type: 'boolean', alias: 'f', default: false, describe: 'kill the container first (SIGKILL) if it is still running or created' } },
  },
  {
    name: 'list', usage: 'list [options]', describe: 'show the containers whose state is under --root', positional: [0, 0],
    options: {
      format: { type: 'string', alias: 'f', default: 'table', choices: ['table', 'json'], arg: 'FORMAT', describe: 'columns for people, or a JSON array for programs' },
      quiet: { type: 'boolean', alias: 'q', default: false, describe: 'print only the ids, one a line' },
    },
  },
  { name: 'validate', usage: 'validate [options]', describe: 'check a bundle\'s config.json and root filesystem without creating anything', positional: [0, 0], options: BUNDLE },
  {
    name: 'spec', usage: 'spec [options]', describe: 'write a starting config.json into the bundle directory', positional: [0, 0],
    options: { ...BUNDLE, rootless: { type: 'string', describe: 'write one for an unprivileged user instead (user namespace mapping the caller to root)' } },
  },
  {
    name: 'exec', usage: 'exec [options] <container-id> <command> [args...]  |  exec [options] --process FILE <container-id>',
    describe: 'run another process in a created or running container', positional: [1, Infinity], passThroughAfter: 1, placesProcess: true,
    options: {
      process: { type: 'string', alias: 'p', arg: 'FILE', describe: 'a JSON file with a whole OCI process object (args, env, user, capabilities, ...); the command and the flags that describe the process are then not used' },
      tty: { type: 'boolean', alias: 't', default: false, describe: 'give the process a terminal' },
      'console-socket': { type: 'string', arg: 'SOCKET', describe: 'unix socket that receives the terminal\'s master fd (with --tty or "terminal": true)' },
      detach: { type: 'boolean', alias: 'd', default: false, describe: 'return once the process runs, without waiting for it' },
      'pid-file': { type: 'string', arg: 'FILE', describe: 'write the process\'s pid (as seen from the host) to this file' },
      'pidfd-socket': { type: 'string', arg: 'SOCKET', describe: 'unix socket that is sent a pidfd of the new process (to signal or wait for it without pid reuse races)' },
      cwd: { type: 'string', arg: 'DIR', describe: 'directory the process starts in, a path inside the container (default: the config\'s cwd)' },
      env: { type: 'string', alias: 'e', repeatable: true, arg: 'NAME=VALUE', describe: 'add NAME=VALUE to the environment of config.json\'s process (repeatable)' },
      user: { type: 'string', alias: 'u', arg: 'UID[:GID]', describe: 'numeric user, and optionally group, to run the process as (default: the config\'s user)' },
      'additional-gids': { type: 'string', alias: 'g', repeatable: true, arg: 'GID', describe: 'add a supplementary group id (repeatable)' },
      cap: { type: 'string', alias: 'c', repeatable: true, arg: 'CAP', describe: 'add a capability to the bounding, effective and permitted sets (repeatable)' },
      'no-new-privs': { type: 'boolean', default: false, describe: 'keep the process and its children from gaining privileges through setuid files or file capabilities' },
      apparmor: { type: 'string', arg: 'PROFILE', describe: 'confine the process with this AppArmor profile (refused on a host without AppArmor)' },
      'process-label': { type: 'string', arg: 'LABEL', describe: 'run the process under this SELinux label (refused on a host without SELinux)' },
      'preserve-fds': { type: 'number', default: 0, arg: 'N', describe: 'hand N more fds after stdio (and $LISTEN_FDS) to the process' },
      cgroup: { type: 'string', repeatable: true, arg: 'CGROUP', describe: 'run in a sub-cgroup of the container: PATH (cgroup v2) or CONTROLLER[,CONTROLLER]:PATH (v1), repeatable' },
      'ignore-paused': { type: 'boolean', default: false, describe: 'accept a paused container; the process runs once it is resumed' },
    },
  },
  { name: 'pause', usage: 'pause <container-id>', describe: 'freeze every process of the container (its cgroup)', positional: [1, 1], options: {} },
  { name: 'resume', usage: 'resume <container-id>', describe: 'thaw a paused container', positional: [1, 1], options: {} },
  {
    name: 'ps', usage: 'ps [options] <container-id> [ps options]', describe: 'list the processes in the container\'s cgroup', positional: [1, Infinity], passThroughAfter: 1,
    options: { format: { type: 'string', alias: 'f', default: 'table', choices: ['table', 'json'], arg: 'FORMAT', describe: 'table (the output of ps(1), default options -ef) or json (an array of host pids)' } },
  },
  {
    name: 'events', usage: 'events [options] <container-id>', describe: 'stream the container\'s resource statistics and OOM kills as JSON lines', positional: [1, 1],
    options: {
      interval: { type: 'string', default: '5s', arg: 'DURATION', describe: 'time between two statistics lines (a duration: 500ms, 5s, 1m)' },
      stats: { type: 'boolean', default: false, describe: 'print a single statistics line and exit' },
    },
  },
  {
    name: 'update', usage: 'update [options] <container-id>', describe: 'change the resource limits of a running container', positional: [1, 1],
    options: {
      resources: { type: 'string', alias: 'r', arg: 'FILE', describe: 'a JSON file of linux.resources to apply (- reads standard input); the flags below are ignored then' },
      'blkio-weight': { type: 'string', arg: 'N', describe: 'block I/O weight, 10 to 1000' },
      'cpu-period': { type: 'string', arg: 'US', describe: 'CFS period in microseconds' },
      'cpu-quota': { type: 'string', arg: 'US', describe: 'CFS quota in microseconds per period (-1: no limit)' },
      'cpu-burst': { type: 'string', arg: 'US', describe: 'CFS burst in microseconds' },
      'cpu-share': { type: 'string', arg: 'N', describe: 'relative CPU weight (cpu.shares; converted to cpu.weight on cgroup v2)' },
      'cpu-rt-period': { type: 'string', arg: 'US', describe: 'real-time period in microseconds' },
      'cpu-rt-runtime': { type: 'string', arg: 'US', describe: 'real-time runtime in microseconds per period' },
      'cpu-idle': { type: 'string', arg: '0|1', describe: '1 makes the cgroup SCHED_IDLE, 0 restores normal scheduling' },
      'cpuset-cpus': { type: 'string', arg: 'LIST', describe: 'CPUs the container may run on (e.g. 0-1)' },
      'cpuset-mems': { type: 'string', arg: 'LIST', describe: 'memory nodes the container may use' },
      memory: { type: 'string', arg: 'BYTES', describe: 'memory limit in bytes, or with a unit (512m, 1g); -1: no limit' },
      'memory-reservation': { type: 'string', arg: 'BYTES', describe: 'soft memory limit (memory.low on cgroup v2)' },
      'memory-swap': { type: 'string', arg: 'BYTES', describe: 'cap on memory and swap together; -1 lifts the swap limit' },
      'kernel-memory': { type: 'string', arg: 'BYTES', describe: 'ignored: kernel memory limits no longer exist' },
      'kernel-memory-tcp': { type: 'string', arg: 'BYTES', describe: 'ignored: kernel memory limits no longer exist' },
      'pids-limit': { type: 'string', arg: 'N', describe: 'most processes the container may have (0 or -1: no limit)' },
      'l3-cache-schema': { type: 'string', arg: 'SCHEMA', describe: 'Intel RDT L3 cache schema (not supported by this build)' },
      'mem-bw-schema': { type: 'string', arg: 'SCHEMA', describe: 'Intel RDT memory bandwidth schema (not supported by this build)' },
    },
  },
  { name: 'features', usage: 'features', describe: 'print what this build supports, as runtime-spec features JSON', positional: [0, 0], options: {} },
];

/** "log-format" → "logFormat" (a dash before a lower-case letter goes, the letter is raised). */
export function camelCase(name: string): string {
  // A loop, not a replace with a regular expression: every command names its options this way at
  // start (src/text.ts says why that matters).
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const next = name.charCodeAt(i + 1);
    if (name[i] === '-' && next >= 97 && next <= 122) {
      out += name[i + 1].toUpperCase();
      i++;
    } else {
      out += name[i];
    }
  }
  return out;
}
