// The command-line surface as data: every command, option, alias and default, in one place. yargs is
// configured from it (help, errors, unusual syntax) and so is the fast parser in argv.ts that
// handles ordinary invocations without loading yargs.
import { DEFAULT_ROOT } from './context';

export interface OptionSpec {
  type: 'string' | 'boolean' | 'number';
  alias?: string;
  default?: string | boolean | number;
  choices?: readonly string[];
  /** May be given more than once; the values are collected in order (an array, empty by default). */
  repeatable?: boolean;
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
  options: OptionTable;
}

export const GLOBAL_OPTIONS: OptionTable = {
  root: { type: 'string', default: DEFAULT_ROOT, describe: 'root directory for storage of container state (this should be located in tmpfs)' },
  log: { type: 'string', describe: 'set the log file to write tsrunc logs to (default is \'/dev/stderr\')' },
  'log-format': { type: 'string', default: 'text', choices: ['text', 'json'], describe: 'set the log format' },
  debug: { type: 'boolean', default: false, describe: 'enable debug logging' },
  'systemd-cgroup': { type: 'boolean', default: false, describe: 'enable systemd cgroup support' },
  // No default: it would turn `spec --rootless` (a bare switch) into a value; 'auto' is applied later.
  rootless: { type: 'string', describe: 'ignore cgroup permission errors (\'true\', \'false\', or \'auto\') (default: "auto")' },
};

const BUNDLE: OptionTable = {
  bundle: { type: 'string', alias: 'b', describe: 'path to the root of the bundle directory, defaults to the current directory' },
};

const CREATE: OptionTable = {
  ...BUNDLE,
  'console-socket': { type: 'string', describe: 'path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console\'s pseudoterminal' },
  'pid-file': { type: 'string', describe: 'specify the file to write the process id to' },
  'no-pivot': { type: 'boolean', default: false, describe: 'do not use pivot root to jail process inside rootfs' },
  'no-new-keyring': { type: 'boolean', default: false, describe: 'do not create a new session keyring for the container' },
  'preserve-fds': { type: 'number', default: 0, describe: 'Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)' },
};

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'create', usage: 'create [options] <container-id>', describe: 'create a container', positional: [1, 1], errorPrefix: true, options: CREATE },
  { name: 'start', usage: 'start <container-id>', describe: 'executes the user defined process in a created container', positional: [1, 1], options: {} },
  {
    name: 'run', usage: 'run [options] <container-id>', describe: 'create and run a container', positional: [1, 1], errorPrefix: true,
    options: {
      ...CREATE,
      detach: { type: 'boolean', alias: 'd', default: false, describe: 'detach from the container\'s process' },
      keep: { type: 'boolean', default: false, describe: 'do not delete the container after it exits' },
      'no-subreaper': { type: 'boolean', default: false, describe: 'disable the use of the subreaper used to reap reparented processes' },
    },
  },
  { name: 'state', usage: 'state <container-id>', describe: 'output the state of a container', positional: [1, 1], options: {} },
  {
    name: 'kill', usage: 'kill [options] <container-id> [signal]', describe: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process', positional: [1, 2],
    options: { all: { type: 'boolean', alias: 'a', default: false, describe: 'send the specified signal to all processes inside the container' } },
  },
  {
    name: 'delete', usage: 'delete [options] <container-id>', describe: 'delete any resources held by the container often used with detached container', positional: [1, 1],
    options: { force: { type: 'boolean', alias: 'f', default: false, describe: 'Forcibly deletes the container if it is still running (uses SIGKILL)' } },
  },
  {
    name: 'list', usage: 'list [options]', describe: 'lists containers started by tsrunc with the given root', positional: [0, 0],
    options: {
      format: { type: 'string', alias: 'f', default: 'table', choices: ['table', 'json'], describe: 'select one of: table or json' },
      quiet: { type: 'boolean', alias: 'q', default: false, describe: 'display only container IDs' },
    },
  },
  { name: 'validate', usage: 'validate [options]', describe: 'check a bundle\'s config.json and root filesystem without creating anything', positional: [0, 0], options: BUNDLE },
  {
    name: 'spec', usage: 'spec [options]', describe: 'create a new specification file', positional: [0, 0],
    options: { ...BUNDLE, rootless: { type: 'string', describe: 'generate a configuration for a rootless container' } },
  },
  {
    name: 'exec', usage: 'exec [options] <container-id> <command> [args...]  |  exec [options] --process FILE <container-id>',
    describe: 'run another process in a created or running container', positional: [1, Infinity], passThroughAfter: 1,
    options: {
      process: { type: 'string', alias: 'p', describe: 'a JSON file with a whole OCI process object (args, env, user, capabilities, ...); the command and the flags that describe the process are then not used' },
      tty: { type: 'boolean', alias: 't', default: false, describe: 'give the process a terminal' },
      'console-socket': { type: 'string', describe: 'unix socket that receives the terminal\'s master fd (with --tty or "terminal": true)' },
      detach: { type: 'boolean', alias: 'd', default: false, describe: 'return once the process runs, without waiting for it' },
      'pid-file': { type: 'string', describe: 'write the process\'s pid (as seen from the host) to this file' },
      cwd: { type: 'string', describe: 'working directory inside the container' },
      env: { type: 'string', alias: 'e', repeatable: true, describe: 'add NAME=VALUE to the environment of config.json\'s process (repeatable)' },
      user: { type: 'string', alias: 'u', describe: 'run as uid[:gid]' },
      'additional-gids': { type: 'string', alias: 'g', repeatable: true, describe: 'add a supplementary group id (repeatable)' },
      cap: { type: 'string', alias: 'c', repeatable: true, describe: 'add a capability to the bounding, effective and permitted sets (repeatable)' },
      'no-new-privs': { type: 'boolean', default: false, describe: 'set no_new_privs for the process' },
      apparmor: { type: 'string', describe: 'AppArmor profile for the process' },
      'process-label': { type: 'string', describe: 'SELinux label for the process' },
      'preserve-fds': { type: 'number', default: 0, describe: 'hand N more fds after stdio (and $LISTEN_FDS) to the process' },
      cgroup: { type: 'string', repeatable: true, describe: 'run in a sub-cgroup of the container: PATH (cgroup v2) or CONTROLLER[,CONTROLLER]:PATH (v1), repeatable' },
      'ignore-paused': { type: 'boolean', default: false, describe: 'exec even when the container is paused' },
    },
  },
  { name: 'pause', usage: 'pause <container-id>', describe: 'freeze every process of the container (its cgroup)', positional: [1, 1], options: {} },
  { name: 'resume', usage: 'resume <container-id>', describe: 'thaw a paused container', positional: [1, 1], options: {} },
  {
    name: 'ps', usage: 'ps [options] <container-id> [ps options]', describe: 'list the processes in the container\'s cgroup', positional: [1, Infinity], passThroughAfter: 1,
    options: { format: { type: 'string', alias: 'f', default: 'table', choices: ['table', 'json'], describe: 'table (the output of ps(1), default options -ef) or json (an array of host pids)' } },
  },
  {
    name: 'events', usage: 'events [options] <container-id>', describe: 'stream the container\'s resource statistics and OOM kills as JSON lines', positional: [1, 1],
    options: {
      interval: { type: 'string', default: '5s', describe: 'time between two statistics lines (a duration: 500ms, 5s, 1m)' },
      stats: { type: 'boolean', default: false, describe: 'print the statistics once and exit' },
    },
  },
  {
    name: 'update', usage: 'update [options] <container-id>', describe: 'change the resource limits of a running container', positional: [1, 1],
    options: {
      resources: { type: 'string', alias: 'r', describe: 'a JSON file of linux.resources to apply (- reads standard input); the flags below are ignored then' },
      'blkio-weight': { type: 'string', describe: 'block I/O weight, 10 to 1000' },
      'cpu-period': { type: 'string', describe: 'CFS period in microseconds' },
      'cpu-quota': { type: 'string', describe: 'CFS quota in microseconds per period (-1: no limit)' },
      'cpu-burst': { type: 'string', describe: 'CFS burst in microseconds' },
      'cpu-share': { type: 'string', describe: 'relative CPU weight (cpu.shares; converted to cpu.weight on cgroup v2)' },
      'cpu-rt-period': { type: 'string', describe: 'real-time period in microseconds' },
      'cpu-rt-runtime': { type: 'string', describe: 'real-time runtime in microseconds per period' },
      'cpu-idle': { type: 'string', describe: '1 makes the cgroup SCHED_IDLE, 0 restores normal scheduling' },
      'cpuset-cpus': { type: 'string', describe: 'CPUs the container may run on (e.g. 0-1)' },
      'cpuset-mems': { type: 'string', describe: 'memory nodes the container may use' },
      memory: { type: 'string', describe: 'memory limit in bytes, or with a unit (512m, 1g); -1: no limit' },
      'memory-reservation': { type: 'string', describe: 'soft memory limit (memory.low on cgroup v2)' },
      'memory-swap': { type: 'string', describe: 'limit of memory plus swap; -1: unlimited swap' },
      'kernel-memory': { type: 'string', describe: 'ignored: kernel memory limits no longer exist' },
      'kernel-memory-tcp': { type: 'string', describe: 'ignored: kernel memory limits no longer exist' },
      'pids-limit': { type: 'string', describe: 'most processes the container may have (0 or -1: no limit)' },
      'l3-cache-schema': { type: 'string', describe: 'Intel RDT L3 cache schema (not supported by this build)' },
      'mem-bw-schema': { type: 'string', describe: 'Intel RDT memory bandwidth schema (not supported by this build)' },
    },
  },
  { name: 'features', usage: 'features', describe: 'show the enabled features', positional: [0, 0], options: {} },
];

export function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
