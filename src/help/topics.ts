// The longer prose of help and man pages, keyed by command name: what a one-line description in
// cli-table.ts cannot say, and examples. Loaded only for `--help`, `help COMMAND` and the docs
// build, never by a command that runs.

export interface Example {
  /** The command line(s), one shell command a line. */
  lines: string[];
  /** What it does, one sentence. */
  explain: string;
}

export interface Topic {
  /** A paragraph or two after the one-line description. */
  details: string;
  examples: Example[];
}

export const OVERVIEW = `tsrunc runs OCI containers from bundles: a directory with a config.json (the runtime-spec configuration) and a root filesystem. It takes runc's commands, flags and exit codes, so container engines (containerd's runc shim, podman, CRI-O) can drive it in runc's place. A container lives through create, start, its process running, kill and delete; run does create and start at once. Every command works on the containers whose state is under --root.`;

export const TOPICS: Readonly<Record<string, Topic>> = {
  create: {
    details: 'The bundle\'s config.json is validated (every problem is listed with its JSON path), the namespaces, mounts, cgroups and security settings are put in place, and the container\'s process is left waiting just before it executes the program. Nothing of the program runs until start. The standard input, output and error of create become the container\'s, unless the process asks for a terminal, whose master then goes to --console-socket.',
    examples: [
      { lines: ['tsrunc create --bundle /containers/web web1', 'tsrunc start web1'], explain: 'Create the container web1 from the bundle in /containers/web, then let it run.' },
      { lines: ['tsrunc create --bundle . --pid-file /run/web1.pid --console-socket /run/web1.sock web1'], explain: 'The same for a process with "terminal": true: the terminal goes to the socket\'s listener, the init\'s pid to /run/web1.pid.' },
    ],
  },
  start: {
    details: 'Runs the poststart hooks after it and returns once the program has been executed. A container can be started once; a stopped one has to be deleted and created again.',
    examples: [{ lines: ['tsrunc start web1'], explain: 'Let the created container web1 run its program.' }],
  },
  run: {
    details: 'Without --detach, tsrunc stays in the foreground: the container shares its standard input and output (or tsrunc relays its terminal), signals sent to tsrunc are passed on to the container, and the exit status is the container\'s (128+N after signal N). Unless --keep is given, the container is deleted when it exits.',
    examples: [
      { lines: ['tsrunc run --bundle /containers/web web1'], explain: 'Run web1 in the foreground and exit with its status; nothing is left afterwards.' },
      { lines: ['tsrunc run --detach --console-socket /run/web1.sock --bundle /containers/web web1'], explain: 'Start it in the background, sending its terminal to the listener on /run/web1.sock.' },
    ],
  },
  state: {
    details: 'The fields are the runtime-spec\'s: ociVersion, id, pid (0 once stopped), status (created, running, paused or stopped), bundle, rootfs, created, owner and annotations. The status is checked against the live process, not only read from disk. Exits 1 with "container does not exist" for an unknown id.',
    examples: [{ lines: ['tsrunc state web1'], explain: 'Print web1\'s state as JSON.' }],
  },
  kill: {
    details: 'The signal may be a name with or without SIG (KILL, SIGKILL) or a number (9). A paused container receives SIGKILL at once; other signals are delivered when it is resumed.',
    examples: [
      { lines: ['tsrunc kill web1'], explain: 'Ask web1\'s init to stop (SIGTERM).' },
      { lines: ['tsrunc kill --all web1 KILL'], explain: 'Kill every process of web1, including ones that left the init\'s pid namespace view.' },
    ],
  },
  delete: {
    details: 'Removes the container\'s state directory and cgroups and runs its poststop hooks. A running or created container is refused unless --force is given. An unknown id fails with "container does not exist", except with --force.',
    examples: [
      { lines: ['tsrunc delete web1'], explain: 'Clean up the stopped container web1.' },
      { lines: ['tsrunc delete --force web1'], explain: 'Kill web1 if it still runs, then clean it up.' },
    ],
  },
  list: {
    details: 'The table has the columns ID, PID, STATUS, BUNDLE, CREATED and OWNER; the JSON form is an array of the same objects state prints, with owner filled in.',
    examples: [
      { lines: ['tsrunc list'], explain: 'Show every container under the default root.' },
      { lines: ['tsrunc --root /run/other list --format json'], explain: 'The containers of another root, as JSON.' },
    ],
  },
  validate: {
    details: 'Reads config.json the way create does and reports every problem at once, each with its JSON path: schema errors, values the kernel or this host cannot honour, a missing root filesystem or namespace file. Exits 0 and says the config is valid when create would accept it.',
    examples: [{ lines: ['tsrunc validate --bundle /containers/web'], explain: 'Check the bundle before creating anything from it.' }],
  },
  spec: {
    details: 'The file runs sh in the bundle\'s rootfs directory with a terminal, in new namespaces, with the usual masked paths and a default set of capabilities; edit it to taste. An existing config.json is never overwritten.',
    examples: [
      { lines: ['mkdir -p mybundle/rootfs && cd mybundle', 'tsrunc spec'], explain: 'Start a bundle: unpack a root filesystem into rootfs, then edit config.json.' },
      { lines: ['tsrunc spec --rootless --bundle mybundle'], explain: 'A config with a user namespace that maps the caller to root in the container.' },
    ],
  },
  exec: {
    details: 'The new process joins the container\'s namespaces and cgroup and takes its capabilities, seccomp profile, limits and labels from the config the container was created with; flags change single fields, or --process gives the whole process object. In the foreground tsrunc waits and exits with the process\'s status.',
    examples: [
      { lines: ['tsrunc exec -t web1 sh'], explain: 'An interactive shell in web1 on your terminal.' },
      { lines: ['tsrunc exec --process /tmp/job.json --detach --pid-file /run/job.pid web1'], explain: 'Start the process described in /tmp/job.json in web1 in the background and record its pid.' },
    ],
  },
  pause: {
    details: 'Uses the cgroup freezer, so the processes stop without being signalled and cannot tell. Resume lets them go on.',
    examples: [{ lines: ['tsrunc pause web1', 'tsrunc resume web1'], explain: 'Freeze web1, then thaw it.' }],
  },
  resume: {
    details: 'The counterpart of pause; a container that is not paused is refused.',
    examples: [{ lines: ['tsrunc resume web1'], explain: 'Let the paused web1 go on.' }],
  },
  ps: {
    details: 'Everything after the container id is passed to ps(1) as its options; the table keeps only the lines of the container\'s processes.',
    examples: [
      { lines: ['tsrunc ps web1'], explain: 'The processes of web1, as ps -ef shows them.' },
      { lines: ['tsrunc ps --format json web1'], explain: 'Just their host pids, as a JSON array.' },
    ],
  },
  events: {
    details: 'Each line is a JSON object: {"type":"stats",...} with the cgroup\'s CPU, memory, pids, block I/O and hugetlb figures every --interval, and {"type":"oom"} when the OOM killer kills one of the container\'s processes. It ends when the container stops.',
    examples: [
      { lines: ['tsrunc events --interval 1s web1'], explain: 'Statistics of web1 every second, until it stops.' },
      { lines: ['tsrunc events --stats web1'], explain: 'One statistics line, then exit.' },
    ],
  },
  update: {
    details: 'Only the limits given are written; the others keep their values. A stopped container is refused.',
    examples: [
      { lines: ['tsrunc update --memory 512m --pids-limit 100 web1'], explain: 'Cap web1 at 512 MiB of memory and 100 processes.' },
      { lines: ['tsrunc update --resources /tmp/limits.json web1'], explain: 'Apply a linux.resources object from a file (- reads standard input).' },
    ],
  },
  features: {
    details: 'Lists the namespaces, capabilities, mount options, hooks, seccomp actions and cgroup support this build has, in the runtime-spec\'s features.json format, so an engine can tell what it may ask for.',
    examples: [{ lines: ['tsrunc features'], explain: 'Print the features document.' }],
  },
};

/** The exit statuses every command shares; run and exec add the container process's own. */
export const EXIT_STATUS = 'tsrunc exits with 0 on success and 1 on failure (exec: 255, as any other status may be the process\'s own), after an error line on standard error (or in --log) that names what failed and why. run and exec in the foreground exit with the status of the process they waited for, 128+N when signal N killed it.';
