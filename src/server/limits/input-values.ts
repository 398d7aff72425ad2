import type { GraphQLError } from 'graphql';
import { badField } from '../../kernel/errors';
import { overLimit } from './operation-limits';

/** PostgreSQL cannot store U+0000 in text, so such a string is refused where it enters, naming its field. */
export function nulCharacter(field: string): GraphQLError {
  return badField(field, 'must not contain the NUL character (U+0000)');
}

/**
 * The variables of a request, before they are coerced: no string (or key) holds a NUL character,
 * and lists and objects nest at most `maxDepth` deep (deeper filters would exhaust the stack of
 * the code that coerces, validates and compiles them). The first problem, or null.
 */
export function checkVariables(variables: Record<string, unknown> | null | undefined, maxDepth: number): GraphQLError | null {
  if (!variables || typeof variables !== 'object') return null;
  for (const [name, value] of Object.entries(variables)) {
    const problem = checkValue(value, name, 1, maxDepth);
    if (problem) return problem;
  }
  return null;
}

function checkValue(value: unknown, path: string, depth: number, maxDepth: number): GraphQLError | null {
  if (typeof value === 'string') return value.includes('\u0000') ? nulCharacter(path) : null;
  if (!value || typeof value !== 'object') return null;
  if (depth > maxDepth) return overLimit('inputDepth', depth, maxDepth, `${path} is nested ${depth} deep; the limit is ${maxDepth}`, path);
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [`${path}[${index}]`, item])
    : Object.entries(value).map(([key, item]) => [`${path}.${key}`, item]);
  for (const [inner, item] of entries) {
    if (inner.includes('\u0000')) return nulCharacter(path);
    const problem = checkValue(item, inner, depth + 1, maxDepth);
    if (problem) return problem;
  }
  return null;
}
