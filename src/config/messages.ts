// Turns the generated validator's raw errors into one clear finding each. The schema has no
// oneOf/anyOf, so every error concerns exactly one value; the schema node that judged it says what
// was expected. Unknown properties become warnings: the spec says runtimes must ignore them, but a
// typo such as "readOnly" deserves a hint.
import type { SchemaError } from './generated/config-validator';
import type { Findings } from './findings';
import { join, resolvePointer, show, splitPointer } from './pointer';
import { describe, knownProperties, schemaNodeAt } from './schema-words';
import { closest } from './suggest';

export function reportSchemaErrors(errors: readonly SchemaError[], doc: unknown, out: Findings): void {
  for (const e of errors) reportOne(e, doc, out);
}

function reportOne(e: SchemaError, doc: unknown, out: Findings): void {
  switch (e.keyword) {
    case 'required':
      out.problem(join(e.instancePath, String(e.params.missingProperty)), 'is required');
      return;
    case 'additionalProperties': {
      const name = String(e.params.additionalProperty);
      const hint = closest(name, knownProperties(schemaNodeAt(splitPointer(e.instancePath))));
      out.warn(join(e.instancePath, name), 'unknown property, ignored' + (hint ? ` (did you mean "${hint}"?)` : ''));
      return;
    }
    // Wrappers around errors that are reported on their own.
    case 'if':
    case 'propertyNames':
      return;
  }
  const node = schemaNodeAt(splitPointer(e.instancePath));
  if (e.propertyName !== undefined) {
    out.problem(join(e.instancePath, e.propertyName), `key must be ${describe(node?.propertyNames)} (got ${show(e.propertyName)})`);
    return;
  }
  const value = resolvePointer(doc, e.instancePath);
  switch (e.keyword) {
    case 'minItems':
      out.problem(e.instancePath, e.params.limit === 1 ? 'must not be empty' : `must have at least ${e.params.limit} entries`);
      return;
    case 'maxItems':
      out.problem(e.instancePath, e.params.limit === 0 ? 'must be empty' : `must have at most ${e.params.limit} entries (got ${Array.isArray(value) ? value.length : show(value)})`);
      return;
    case 'pattern':
      // Strings reach C APIs, where a NUL would silently cut them short; say so rather than quote a regex.
      if (typeof value === 'string' && value.includes('\u0000')) {
        out.problem(e.instancePath, 'must not contain NUL characters');
        return;
      }
      out.problem(e.instancePath, `must be ${describe(node)} (got ${show(value)})`);
      return;
    default:
      out.problem(e.instancePath, `must be ${describe(node)} (got ${show(value)})`);
  }
}
