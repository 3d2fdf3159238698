// Opening an existing container for an operation: lock it, read its state, derive its status.
import { TsruncError } from '../errors';
import { liveStatus } from './status';
import { ownerNamer } from '../linux/users';
import { ContainerLock, containerDir, listContainerIds, readState, readStateUnlocked, validateId, type ContainerState, type Status } from '../state/store';
import { stat } from '../sys/files';

export interface OpenContainer {
  lock: ContainerLock;
  state: ContainerState;
  status: Status;
}

/** The container's directory locked, with its state.json when its create got that far. */
export function lockContainer(root: string, id: string | undefined): { lock: ContainerLock; state?: ContainerState } {
  const lock = ContainerLock.acquire(containerDir(root, validateId(id)));
  try {
    return { lock, state: readState(lock.dir) };
  } catch (e) {
    lock.release();
    throw e;
  }
}

export function openContainer(root: string, id: string | undefined): OpenContainer {
  const { lock, state } = lockContainer(root, id);
  if (!state) {
    lock.release();
    throw new TsruncError('container does not exist');
  }
  return { lock, state, status: liveStatus(lock.dir, state) };
}

/** The state and status of a container, read without its lock (state, list: see readStateUnlocked). */
export function peekContainer(root: string, id: string | undefined): { state: ContainerState; status: Status } {
  const dir = containerDir(root, validateId(id));
  const state = readStateUnlocked(dir);
  return { state, status: liveStatus(dir, state) };
}

/** Runs fn with the container locked, releasing the lock whatever happens. */
export async function withContainer<T>(root: string, id: string | undefined, fn: (c: OpenContainer) => T | Promise<T>): Promise<T> {
  const c = openContainer(root, id);
  try {
    return await fn(c);
  } finally {
    c.lock.release();
  }
}

/**
 * Who owns each container's state directory, by name (`list`'s OWNER, as runc: the directory's
 * uid, not who state.json says created it). Throws ENOENT for a container deleted meanwhile.
 */
export function containerOwners(root: string): (id: string) => string {
  const name = ownerNamer();
  return (id) => name(stat(containerDir(root, validateId(id))).uid);
}

/** The ids of every container under root, for `list` (each still to be opened, and maybe gone). */
export function containerIds(root: string): string[] {
  return listContainerIds(root);
}
