// Opening an existing container for an operation: lock it, read its state, derive its status.
import { TsruncError } from '../errors';
import { liveStatus } from '../state/status';
import { ContainerLock, containerDir, readState, validateId, type ContainerState, type Status } from '../state/store';

export interface OpenContainer {
  lock: ContainerLock;
  state: ContainerState;
  status: Status;
}

export function openContainer(root: string, id: string | undefined): OpenContainer {
  const lock = ContainerLock.acquire(containerDir(root, validateId(id)));
  try {
    const state = readState(lock.dir);
    if (!state) throw new TsruncError('container does not exist');
    return { lock, state, status: liveStatus(lock.dir, state) };
  } catch (e) {
    lock.release();
    throw e;
  }
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
