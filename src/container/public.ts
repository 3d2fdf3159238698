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
 * `owner` as runc prints it: `state` leaves it empty and only `list` names the owner, so the same
 * function serves both with the caller choosing.
 */
export function publicState(s: ContainerState, status: Status, withOwner = false): PublicState {
  const out: PublicState = {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: status === 'stopped' ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: withOwner ? s.owner : '',
  };
  if (s.annotations && Object.keys(s.annotations).length) out.annotations = s.annotations;
  return out;
}
