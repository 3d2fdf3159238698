// Runs the rules the schema cannot express. Each rule module owns one part of the config; adding a
// rule means adding a function there (or a new module listed below) — see docs/config-validation.md.
import type { Findings } from './findings';
import { checkFilesystem } from './rules/filesystem';
import { asObject, get, NamespaceIndex, type RuleInput, type RuleOptions } from './rules/guards';
import { checkLinuxMisc } from './rules/linux-misc';
import { checkMemoryPolicy } from './rules/memory-policy';
import { checkMounts } from './rules/mounts';
import { checkNamespaces } from './rules/namespaces';
import { checkNetDevices } from './rules/net-devices';
import { checkProcMounts } from './rules/proc-mounts';
import { checkProcess } from './rules/process';
import { checkCgroups } from './rules/resources';
import { checkSeccomp } from './rules/seccomp';
import { checkVersion } from './rules/version';

const RULES: readonly ((input: RuleInput, out: Findings) => void)[] = [
  checkVersion,
  checkProcess,
  checkMounts,
  checkNamespaces,
  checkCgroups,
  checkSeccomp,
  checkLinuxMisc,
  checkMemoryPolicy,
  checkNetDevices,
  checkProcMounts,
];

export function checkSemantics(doc: unknown, out: Findings, options: RuleOptions & { bundle?: string }): void {
  const spec = asObject(doc);
  if (spec === undefined) return;
  const linux = asObject(get(spec, 'linux'));
  const input: RuleInput = {
    spec,
    process: asObject(get(spec, 'process')),
    linux,
    namespaces: new NamespaceIndex(linux),
    options,
  };
  for (const rule of RULES) rule(input, out);
  if (options.bundle !== undefined) checkFilesystem(input, options.bundle, out);
}
