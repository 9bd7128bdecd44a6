type Schema = Record<string, unknown>;

/** Past this nesting, optional branches are cut so recursive schemas still end. */
const MAX_DEPTH = 8;

/** Hands out the prompt's words in order, round and round, so strings are deterministic. */
export class WordSupply {
  private next = 0;
  constructor(private readonly words: readonly string[]) {}

  take(): string {
    const word = this.words[this.next % Math.max(1, this.words.length)] ?? 'mock';
    this.next += 1;
    return word;
  }
}

/**
 * A value that validates against a JSON schema (the subset Structured Outputs and zod emit):
 * objects with every property, arrays of one item, the first enum value, strings from the words.
 */
export function valueFromSchema(schema: unknown, words: WordSupply, root: unknown = schema, depth = 0): unknown {
  if (schema === true || schema === undefined) return words.take();
  if (!isSchema(schema)) return null;
  if (typeof schema.$ref === 'string') return valueFromSchema(resolveRef(root, schema.$ref), words, root, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const choices = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (Array.isArray(choices) && choices.length > 0) return valueFromSchema(pickChoice(choices, root, depth), words, root, depth + 1);
  if (Array.isArray(schema.allOf)) return valueFromSchema(Object.assign({}, ...schema.allOf.filter(isSchema)), words, root, depth + 1);

  switch (typeOf(schema, depth)) {
    case 'object':
      return objectValue(schema, words, root, depth);
    case 'array':
      return arrayValue(schema, words, root, depth);
    case 'string':
      return stringValue(schema, words);
    case 'integer':
      return numberValue(schema, true);
    case 'number':
      return numberValue(schema, false);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return words.take();
  }
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Local references only (`#/$defs/Node`, `#/definitions/...`), which is what schema generators emit. */
function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isSchema(node) ? node[key] : undefined;
  }
  return node;
}

function isNullSchema(choice: unknown, root: unknown): boolean {
  const schema = isSchema(choice) && typeof choice.$ref === 'string' ? resolveRef(root, choice.$ref) : choice;
  return isSchema(schema) && schema.type === 'null';
}

/** The first non-null branch, or the null one once deep enough to need the recursion to stop. */
function pickChoice(choices: unknown[], root: unknown, depth: number): unknown {
  const nullBranch = choices.find((choice) => isNullSchema(choice, root));
  if (depth >= MAX_DEPTH && nullBranch !== undefined) return nullBranch;
  return choices.find((choice) => !isNullSchema(choice, root)) ?? choices[0];
}

function typeOf(schema: Schema, depth: number): string | undefined {
  const { type } = schema;
  if (Array.isArray(type)) {
    if (depth >= MAX_DEPTH && type.includes('null')) return 'null';
    return type.find((t) => t !== 'null') ?? type[0];
  }
  if (typeof type === 'string') return type;
  if (isSchema(schema.properties)) return 'object';
  if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
  return undefined;
}

function objectValue(schema: Schema, words: WordSupply, root: unknown, depth: number): Record<string, unknown> {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const value: Record<string, unknown> = {};
  for (const [key, propertySchema] of Object.entries(properties)) {
    if (depth >= MAX_DEPTH && !required.has(key)) continue;
    value[key] = valueFromSchema(propertySchema, words, root, depth + 1);
  }
  return value;
}

function arrayValue(schema: Schema, words: WordSupply, root: unknown, depth: number): unknown[] {
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  const length = Math.min(maxItems, Math.max(minItems, depth >= MAX_DEPTH ? 0 : 1));
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  return Array.from({ length }, (_, index) => valueFromSchema(prefix[index] ?? schema.items, words, root, depth + 1));
}

function stringValue(schema: Schema, words: WordSupply): string {
  const word = words.take();
  const byFormat: Record<string, string> = {
    'date-time': '2025-01-01T00:00:00Z',
    date: '2025-01-01',
    time: '00:00:00Z',
    email: `${word.toLowerCase()}@example.com`,
    uri: `https://example.com/${encodeURIComponent(word)}`,
    url: `https://example.com/${encodeURIComponent(word)}`,
    uuid: '00000000-0000-4000-8000-000000000000',
  };
  let text = (typeof schema.format === 'string' ? byFormat[schema.format] : undefined) ?? word;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  while (text.length < minLength) text += ` ${word}`;
  return text.slice(0, Math.max(minLength, Math.min(maxLength, text.length)));
}

/** 1 when the bounds allow it, otherwise a value inside them. */
function numberValue(schema: Schema, integer: boolean): number {
  const bound = (key: string) => (typeof schema[key] === 'number' ? (schema[key] as number) : undefined);
  const minimum = bound('minimum');
  const maximum = bound('maximum');
  const exclusiveMin = bound('exclusiveMinimum');
  const exclusiveMax = bound('exclusiveMaximum');
  if (integer) {
    const low = Math.max(minimum ?? -Infinity, exclusiveMin === undefined ? -Infinity : Math.floor(exclusiveMin) + 1);
    const high = Math.min(maximum ?? Infinity, exclusiveMax === undefined ? Infinity : Math.ceil(exclusiveMax) - 1);
    return Math.min(Math.max(1, Math.ceil(low)), Math.floor(high));
  }
  const low = Math.max(minimum ?? -Infinity, exclusiveMin ?? -Infinity);
  const high = Math.min(maximum ?? Infinity, exclusiveMax ?? Infinity);
  const inside = (value: number) =>
    (minimum === undefined || value >= minimum) &&
    (maximum === undefined || value <= maximum) &&
    (exclusiveMin === undefined || value > exclusiveMin) &&
    (exclusiveMax === undefined || value < exclusiveMax);
  if (inside(1)) return 1;
  if (Number.isFinite(low) && Number.isFinite(high)) return (low + high) / 2;
  return Number.isFinite(low) ? low + 1 : high - 1;
}
