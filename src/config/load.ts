// Reads a bundle's config.json and checks it completely before anything is created: read errors,
// JSON syntax, schema, semantic rules and the filesystem facts (root directory, namespace files).
import * as files from '../sys/files';
import { path } from '../sys/path';
import { TsruncError } from '../errors';
import { CONFIG_NAME } from './findings';
import { recordExactIntegers } from './exact-integers';
import { JsonDepthError, parseBoundedJson } from './json-depth';
import type { Spec } from './types';
import { validateSpec } from './validate';

export interface LoadedConfig {
  spec: Spec;
  bundle: string;
  configPath: string;
  warnings: string[];
}

/** Every problem found, one line each; the message is the lines joined by "\n". */
export class ConfigError extends TsruncError {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export interface LoadOptions {
  /**
   * True for `create`: a config without `process` is accepted (the container can be created and
   * inspected, not started). False when the config must be runnable (`run`).
   */
  forCreate: boolean;
  /** The global --systemd-cgroup flag, so that cgroupsPath can be checked against its form. */
  systemdCgroup?: boolean;
}

export function loadBundleConfig(bundle: string, opts: LoadOptions): LoadedConfig {
  const bundleDir = path.resolve(bundle);
  const configPath = path.join(bundleDir, CONFIG_NAME);
  const spec = parseConfig(readConfig(configPath));
  const { problems, warnings } = validateSpec(spec, {
    bundle: bundleDir,
    systemdCgroup: opts.systemdCgroup,
    requireProcess: !opts.forCreate,
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return { spec: spec as Spec, bundle: bundleDir, configPath, warnings };
}

// Worded like Go's os.PathError, which is what runc prints and what callers grep for.
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
};

export function readConfig(configPath: string): string {
  try {
    return files.readText(configPath);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const text = (err.code && ERRNO_TEXT[err.code]) ?? err.message;
    throw new ConfigError([`${err.code === 'EISDIR' ? 'read' : 'open'} ${configPath}: ${text}`]);
  }
}

export function parseConfig(text: string): unknown {
  // An editor's byte-order mark is harmless; refusing the file over it would only annoy.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let doc: unknown;
  try {
    doc = parseBoundedJson(body);
  } catch (e) {
    if (e instanceof JsonDepthError) throw new ConfigError([`${CONFIG_NAME}: invalid JSON: ${e.message}`]);
    // Loaded only for a config that is not JSON.
    const { locateJsonError } = require('./json-error') as typeof import('./json-error');
    const where = locateJsonError(body);
    if (where) throw new ConfigError([`${CONFIG_NAME}: invalid JSON at line ${where.line}, column ${where.column}: ${where.reason}`]);
    throw new ConfigError([`${CONFIG_NAME}: invalid JSON: ${(e as Error).message}`]);
  }
  // Integers beyond 2^53 (uint64 rlimits) keep their exact digits beside the rounded doubles.
  recordExactIntegers(body, doc);
  return doc;
}
