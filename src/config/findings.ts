// Collects problems (errors) and warnings, each tied to the JSON pointer it is about, and renders
// them as `config.json: <pointer>: <reason>` lines in the order the values appear in the document,
// so a long list reads top to bottom like the file.
import { escapeSegment } from './pointer';
import { mapped } from '../text';

interface Finding { pointer: string; reason: string }

export interface ValidationResult {
  problems: string[];
  warnings: string[];
}

export const CONFIG_NAME = 'config.json';

function formatFinding(pointer: string, reason: string): string {
  return pointer === '' ? `${CONFIG_NAME}: ${reason}` : `${CONFIG_NAME}: ${pointer}: ${reason}`;
}

export class Findings {
  private readonly problemList: Finding[] = [];
  private readonly warningList: Finding[] = [];

  problem(pointer: string, reason: string): void { this.problemList.push({ pointer, reason }); }
  warn(pointer: string, reason: string): void { this.warningList.push({ pointer, reason }); }


  render(doc: unknown): ValidationResult {
    if (this.problemList.length + this.warningList.length === 0) return { problems: [], warnings: [] };
    const order = documentOrder(doc);
    return { problems: renderList(this.problemList, order), warnings: renderList(this.warningList, order) };
  }
}

function renderList(list: Finding[], order: Map<string, number>): string[] {
  const keyed = mapped(list, (f, i) => ({ line: formatFinding(f.pointer, f.reason), rank: rankOf(f.pointer, order), i }));
  keyed.sort((a, b) => a.rank - b.rank || a.i - b.i);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const k of keyed) {
    if (seen.has(k.line)) continue;
    seen.add(k.line);
    out.push(k.line);
  }
  return out;
}

/** Position of the deepest part of pointer that exists in the document (missing keys sort with their parent). */
function rankOf(pointer: string, order: Map<string, number>): number {
  let p = pointer;
  for (;;) {
    const r = order.get(p);
    if (r !== undefined) return r;
    if (p === '') return 0;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

// Deeper than any schema path; stops a hostile, deeply nested document from costing much.
const MAX_DEPTH = 24;

function documentOrder(doc: unknown): Map<string, number> {
  const order = new Map<string, number>();
  const visit = (value: unknown, pointer: string, depth: number): void => {
    order.set(pointer, order.size);
    if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(value[i], `${pointer}/${i}`, depth + 1);
    } else {
      for (const key of Object.keys(value)) {
        visit((value as Record<string, unknown>)[key], `${pointer}/${escapeSegment(key)}`, depth + 1);
      }
    }
  };
  visit(doc, '', 0);
  return order;
}

