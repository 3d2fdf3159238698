// Semantic rules run on documents the schema may have rejected, so they read every value through
// these guards: a malformed part is skipped here (the schema already reported it), never trusted.
import { NAMESPACE_TYPES } from '../../linux/namespaces';
import type { NamespaceType } from '../types';
import { eachOf, mapped } from '../../text';

export type Obj = Record<string, unknown>;

export function asObject(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

export function asArray(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Own keys only: a key named "__proto__" or "constructor" is data, not an inherited member. */
export function get(o: Obj | undefined, key: string): unknown {
  return o !== undefined && Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export function ownEntries(o: Obj | undefined): [string, unknown][] {
  return o === undefined ? [] : mapped(Object.keys(o), (k): [string, unknown] => [k, o[k]]);
}

export interface NamespaceEntry { index: number; path?: string }

/**
 * The container's namespaces by type, first entry winning. Built once per validation because
 * several rules ask whether a namespace is new, joined or absent.
 */
export class NamespaceIndex {
  private readonly byType = new Map<string, NamespaceEntry>();
  /**
   * False when linux.namespaces is malformed: a misspelt type may be the very namespace another
   * rule looks for, so "needs a ... namespace" would only repeat the schema's complaint wrongly.
   */
  readonly complete: boolean;

  constructor(linux: Obj | undefined) {
    const raw = get(linux, 'namespaces');
    let complete = raw === undefined || Array.isArray(raw);
    eachOf(asArray(raw) ?? [], (item, index) => {
      const ns = asObject(item);
      const type = asString(get(ns, 'type'));
      if (type === undefined || !(NAMESPACE_TYPES as readonly string[]).includes(type)) {
        complete = false;
      } else if (!this.byType.has(type)) {
        this.byType.set(type, { index, path: asString(get(ns, 'path')) });
      }
    });
    this.complete = complete;
  }

  get(type: NamespaceType): NamespaceEntry | undefined { return this.byType.get(type); }
  has(type: NamespaceType): boolean { return this.byType.has(type); }
}

/** The shared input of every rule. */
export interface RuleInput {
  spec: Obj;
  process: Obj | undefined;
  linux: Obj | undefined;
  namespaces: NamespaceIndex;
  options: RuleOptions;
}

export interface RuleOptions {
  /** A config without process is still creatable; only starting it needs one. */
  requireProcess?: boolean;
  /** True/false when the cgroup manager is known; undefined skips the form check. */
  systemdCgroup?: boolean;
}

export function addNamespaceHint(type: NamespaceType): string {
  return `(add {"type": "${type}"} to /linux/namespaces)`;
}

/** "a pid namespace", "an ipc namespace". */
export function aNamespace(type: string): string {
  return `${type === 'ipc' ? 'an' : 'a'} ${type} namespace`;
}
