// The flags `bun build` compiles tsrunc's executable with (scripts/build-executable.js), shared with
// the benchmark (bench/bench.ts), which builds an empty program the same way to measure the floor a
// command of this Bun cannot go below; and the commands the executable's bytecode layout follows.
'use strict';

const COMPILE_FLAGS = [
  // Split per command (ESM is what Bun splits): a hot command like `state` loads its own code,
  // not the validator, yargs or the launch planner (measured: ~20% less CPU per `state`).
  '--compile', '--bytecode', '--minify', '--format=esm', '--splitting',
  // A compiled Bun program would otherwise read bunfig.toml, .env (and, if asked, tsconfig.json and
  // package.json) from its working directory, which for containerd is the container's bundle.
  '--no-compile-autoload-bunfig', '--no-compile-autoload-dotenv',
  '--no-compile-autoload-tsconfig', '--no-compile-autoload-package-json',
  // JavaScriptCore's tier-up thresholds raised a hundredfold: see src/jit-policy.ts.
  '--compile-jit-policy=100',
];

// The commands whose use of the bytecode (scripts/bytecode-order.txt, recorded by
// scripts/record-bytecode-order.js) lays out the executable, the most common way of starting it first.
const PROFILED_COMMANDS = ['run', 'create', 'state', 'start', 'kill', 'delete', 'exec'];

module.exports = { COMPILE_FLAGS, PROFILED_COMMANDS };
