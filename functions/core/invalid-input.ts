import type * as z from './zod';

/**
 * The one way a zod failure becomes the message of a 400: the first issue, naming the field by its path
 * (`batch[2].stateValues`), saying what is wrong with it. A schema's own message is kept (it was written to
 * say exactly that); zod's default wording ("Invalid input: expected record, received string") is said
 * plainly instead. "is required" is said only of a field that is absent: zod 4 reports a missing field and a
 * field of the wrong type with the same code, so the input itself is looked at.
 */
export function describeInvalid(error: z.core.$ZodError, input: unknown): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid request';
  const path = pathText(issue.path);
  const field = path === '' ? 'the value' : path;
  if (issue.code === 'unrecognized_keys') {
    return withPath(path, `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}`);
  }
  if (issue.code === 'invalid_type' && path !== '' && valueAt(input, issue.path) === undefined) {
    return `${path} is required`;
  }
  if (!ZOD_DEFAULT.test(issue.message)) return withPath(path, issue.message);
  switch (issue.code) {
    case 'invalid_type':
      return `${field} must be ${TYPE_NAMES[issue.expected] ?? `of type ${issue.expected}`}`;
    case 'too_big':
      return `${field} must be at most ${issue.maximum}${unit(issue.origin)}`;
    case 'too_small':
      return `${field} must be at least ${issue.minimum}${unit(issue.origin)}`;
    case 'invalid_value':
      return `${field} must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue
        ? `${field} must match ${String(issue.pattern)}`
        : `${field} must be a valid ${issue.format}`;
    case 'invalid_union':
      return `${field} is none of the accepted forms`;
    default:
      return withPath(path, issue.message);
  }
}

/** zod 4's own messages start so ("Invalid input: …", "Invalid email address", "Too big: …"); hookflow's own never do. */
const ZOD_DEFAULT = /^(Invalid |Too big|Too small)/;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  null: 'null',
};

function unit(origin: string): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array' || origin === 'set') return ' items';
  return '';
}

function withPath(path: string, message: string): string {
  return path === '' || message.startsWith(path) ? message : `${path}: ${message}`;
}

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}
