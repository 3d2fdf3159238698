// Reads the schema itself to word messages: which node an error is about and what it expects.
// The schema has no oneOf/anyOf, so the instance path alone leads to exactly one schema node.
// Only consulted when a config has problems, never on the success path.
import schema from './schema/config.schema.json';

export interface SchemaNode {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  propertyNames?: SchemaNode;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  'x-expect'?: string;
}

const ROOT = schema as unknown as SchemaNode & { definitions: Record<string, SchemaNode> };

function deref(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  for (let hops = 0; n?.$ref !== undefined && hops < 16; hops++) {
    n = ROOT.definitions[n.$ref.replace('#/definitions/', '')];
  }
  return n;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The schema node that validates the value at `segments` (already decoded from the pointer). */
export function schemaNodeAt(segments: readonly string[]): SchemaNode | undefined {
  let node = deref(ROOT);
  for (const seg of segments) {
    if (node === undefined) return undefined;
    if (node.items !== undefined) node = deref(node.items);
    else if (node.properties !== undefined && hasOwn(node.properties, seg)) node = deref(node.properties[seg]);
    else if (typeof node.additionalProperties === 'object') node = deref(node.additionalProperties);
    else return undefined;
  }
  return node;
}

export function knownProperties(node: SchemaNode | undefined): string[] {
  return node?.properties ? Object.keys(node.properties) : [];
}

/** What a node accepts, as the object of "must be ...". */
export function describe(node: SchemaNode | undefined): string {
  const n = deref(node);
  if (n === undefined) return 'valid';
  if (n['x-expect'] !== undefined) return n['x-expect'];
  if (n.enum !== undefined) return 'one of ' + n.enum.map(listItem).join(', ');
  switch (n.type) {
    case 'string': return n.minLength ? 'a non-empty string' : 'a string';
    case 'boolean': return 'true or false';
    case 'integer': return integerRange(n);
    case 'array': return n.items ? `an array of ${plural(deref(n.items))}` : 'an array';
    case 'object':
      return typeof n.additionalProperties === 'object'
        ? `an object whose values are ${plural(deref(n.additionalProperties))}`
        : 'an object';
    default: return 'valid';
  }
}

function listItem(v: unknown): string {
  return typeof v === 'string' && /^[\w.-]+$/.test(v) ? v : JSON.stringify(v);
}

function integerRange(n: SchemaNode): string {
  const { minimum: min, maximum: max } = n;
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min === 0) return 'a non-negative integer';
  if (min !== undefined) return `an integer of at least ${min}`;
  if (max !== undefined) return `an integer of at most ${max}`;
  return 'an integer';
}

function plural(n: SchemaNode | undefined): string {
  if (n?.enum !== undefined) return 'strings';
  switch (n?.type) {
    case 'string': return 'strings';
    case 'integer': return 'integers';
    case 'boolean': return 'booleans';
    case 'array': return 'arrays';
    default: return 'objects';
  }
}
