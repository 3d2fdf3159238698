// Finding and loading the native addon, at the bottom of the layers: the file calls the lifecycle
// commands make instead of node:fs (sys/files.ts) go through it, and even the logger writes with
// them. native/addon.ts types the rest of what the addon exports.
import { path } from './path';
import { TsruncError } from '../errors';

const ADDON_FILE = 'tsrunc_addon.node';

let loaded: unknown;
let nativeDir: string | undefined;

/** Where the addon and the launcher are (set once, by the executable's entry, before any use). */
export function setNativeDir(dir: string): void {
  nativeDir = dir;
}

/** The directory of the addon and the launcher: the executable's libexec, or build/Release above
 * the compiled code when Node runs it from the source tree (tests). */
export function nativeDirectory(): string {
  if (nativeDir !== undefined) return nativeDir;
  // Only Node runs this (the executable sets the directory first), so node:fs costs nothing there.
  const fs = require('node:fs') as typeof import('node:fs');
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'build', 'Release');
    if (fs.existsSync(path.join(candidate, ADDON_FILE))) return candidate;
    dir = path.dirname(dir);
  }
  throw new TsruncError(`the native addon is not built: run \`npm run build\` (looked for build/Release/${ADDON_FILE} above ${__dirname})`);
}

/** The addon's exports, loaded on first use. TSRUNC_ADDON names another file. */
export function nativeModule(): unknown {
  if (loaded === undefined) {
    const file = process.env.TSRUNC_ADDON ?? path.join(nativeDirectory(), ADDON_FILE);
    const mod = { exports: {} };
    try {
      process.dlopen(mod, file);
    } catch (e) {
      throw new TsruncError(`cannot load the native addon ${file}: ${(e as Error).message}`);
    }
    loaded = mod.exports;
  }
  return loaded;
}
