// What create refuses of a config that passed validation: Intel RDT (no resctrl side), and the
// plan builder's own rules (a config with no mount namespace, for one), found by building the plan
// without running it. `tsrunc validate` asks this, so it accepts exactly what create would.
import type { Spec } from '../config/types';
import { refuseIntelRdt } from '../linux/intel-rdt';
import { buildLaunchPlan, resolveRootfs } from '../plan/build';

/** Throws create's TsruncError for the first thing it would refuse. */
export function checkCreateWouldAccept(spec: Spec, bundle: string, warn: (msg: string) => void): void {
  refuseIntelRdt(spec);
  buildLaunchPlan(spec, resolveRootfs(spec, bundle), {
    id: 'validate', bundle, execFifo: '/dev/null', noPivot: false, noNewKeyring: false, preserveFds: 0, debug: false, warn,
  });
}
