// What `state` and `list --format json` print: runc's field set and order, with the live status.
import type { ContainerState, Status } from '../state/store';

export interface PublicState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/**
 * `owner` as runc prints it: `state` leaves it empty and only `list` names the owner (of the state
 * directory, see containerOwners), so the caller passes it.
 */
export function publicState(s: ContainerState, status: Status, owner = ''): PublicState {
  const out: PublicState = {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: status === 'stopped' ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner,
  };
  if (s.annotations && Object.keys(s.annotations).length) out.annotations = s.annotations;
  return out;
}
