// POSIX path functions: path-browserify, Node's own path code as a package, for the modules the
// lifecycle commands load (node:path costs a Bun executable more at start, docs/architecture.md).
// Taken with require rather than `import * as`: for that the bundler wraps the CommonJS module
// in a namespace object made property by property, which every command paid at start (0.06 ms).
import type * as PathModule from 'path-browserify';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const path: typeof PathModule = require('path-browserify');
