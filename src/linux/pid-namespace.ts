// The processes of a pid namespace, found without a cgroup (a rootless container whose user could
// write none): every /proc entry whose ns/pid is the same namespace file as the init's.
import * as fs from 'node:fs';

/** The namespace a process's ns/pid names, as "dev:ino", or undefined when it cannot be read. */
function pidNamespaceOf(pid: number | 'self'): string | undefined {
  try {
    const st = fs.statSync(`/proc/${pid}/ns/pid`);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * The host pids of the processes in init's pid namespace, in /proc's order, or undefined when the
 * init shares this process's pid namespace (then the namespace tells nothing apart) or is gone.
 * A process this user may not inspect is left out: one in a container's user namespace that the
 * user owns is inspectable.
 */
export function pidNamespaceMembers(init: number): number[] | undefined {
  const ns = pidNamespaceOf(init);
  if (ns === undefined || ns === pidNamespaceOf('self')) return undefined;
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pidNamespaceOf(pid) === ns) pids.push(pid);
  }
  return pids;
}
