// The single entry point for checking a parsed config.json: schema (compiled at build time) plus
// semantic rules, every problem collected, nothing thrown.
import { Findings, type ValidationResult } from './findings';
import validateConfig from './generated/config-validator';
import { checkSemantics } from './semantic';

export type { ValidationResult } from './findings';

/** Loaded only for a config the schema refuses: the words come from the schema file itself, which
 * a valid config never needs (every create would load it). */
function schemaMessages(): typeof import('./messages') {
  return require('./messages') as typeof import('./messages');
}

export interface ValidateOptions {
  /** Bundle directory. When given, the filesystem is checked too (root.path, namespace paths). */
  bundle?: string;
  /** Whether the cgroup manager is systemd (--systemd-cgroup); undefined skips the cgroupsPath form check. */
  systemdCgroup?: boolean;
  /** Report a missing process (needed to start, not to create). */
  requireProcess?: boolean;
}

/**
 * Returns every problem (errors: the config must be refused) and warning, one line each in the form
 * `config.json: <JSON pointer>: <reason>`. Never throws, whatever `spec` is.
 */
export function validateSpec(spec: unknown, opts: ValidateOptions = {}): ValidationResult {
  const out = new Findings();
  try {
    if (!validateConfig(spec)) schemaMessages().reportSchemaErrors(validateConfig.errors ?? [], spec, out);
    checkSemantics(spec, out, opts);
  } catch (e) {
    // A bug in a rule must still end in a refusal with a reason, never in a crash mid-create.
    out.problem('', `internal error while validating: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return out.render(spec);
  } catch (e) {
    return { problems: [`config.json: internal error while reporting problems: ${e instanceof Error ? e.message : String(e)}`], warnings: [] };
  }
}
