// Path aliases and input tolerance shared by every route (SPEC §3).
import { badRequest } from '../errors.ts';

/**
 * The old base URL ended in /webhook and test deployments added -test-contur; both name the same
 * endpoint: /webhook/get-available-slots-test-contur → /get-available-slots.
 */
export function canonicalUrl(url: string): string {
  const queryAt = url.indexOf('?');
  let path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  if (path === '/webhook' || path.startsWith('/webhook/')) path = path.slice('/webhook'.length) || '/';
  path = path.replace(/-test-contur\/?$/, '');
  return path + query;
}

/** The path without its query string: queries carry usernames and must not reach the logs. */
export function pathOnly(url: string): string {
  const queryAt = url.indexOf('?');
  return queryAt === -1 ? url : url.slice(0, queryAt);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * How deeply input may nest (the body itself is level 1). No field needs more than a few levels; the cap
 * keeps every walk over the input (these hooks, the validator, the JSON column) shallow, so a body of
 * 10 000 nested brackets is a 400 instead of a stack overflow.
 */
export const MAX_NESTING = 64;

/** An empty string in an optional field means the field is absent; "null" from Tilda's utm_* too. */
export function dropEmpty(value: unknown, level = 1): unknown {
  // Deeper input is refused by unstorableField; stopping here keeps the recursion bounded.
  if (!isPlainObject(value) || level >= MAX_NESTING) return value;
  for (const [key, inner] of Object.entries(value)) {
    if (inner === '' || inner === null) delete value[key];
    else if (isPlainObject(inner)) dropEmpty(inner, level + 1);
  }
  return value;
}

export const BODY_LIMIT = 1024 * 1024;
export const MAX_STRING = 10_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with a string the database could not store, or null when it is fine. */
function stringProblem(value: string, max: number): string | null {
  if (value.length > max) return `must be at most ${max} characters`;
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text';
  return null;
}

/**
 * The first value anywhere in the input that no field may hold: strings over `max` characters, with NUL
 * bytes or broken Unicode (PostgreSQL cannot store them), numbers that are not finite (the validator
 * turns "Infinity" into one and then skips its range checks), and containers nested MAX_NESTING levels
 * deep. Returns the dotted field path (only the top-level field for nesting: the full path of a deep
 * value is as long as the attack) and why.
 */
export function unstorableField(value: unknown, max = MAX_STRING): { field: string; problem: string } | null {
  return walk(value, max, '', '(body)', 1);
}

function walk(
  value: unknown,
  max: number,
  path: string,
  topField: string,
  level: number,
): { field: string; problem: string } | null {
  if (typeof value === 'string') {
    const problem = stringProblem(value, max);
    return problem ? { field: path || '(body)', problem } : null;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : { field: path || '(body)', problem: 'must be a finite number' };
  }
  if (typeof value !== 'object' || value === null) return null;
  if (level >= MAX_NESTING)
    return { field: topField, problem: `is nested ${MAX_NESTING} or more levels deep` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], max, path ? `${path}.${i}` : String(i), topField, level + 1);
      if (found) return found;
    }
  } else {
    for (const [key, inner] of Object.entries(value)) {
      const name = key.trim() === '' ? JSON.stringify(key) : key;
      const field = path ? `${path}.${name}` : name;
      const keyProblem = stringProblem(key, 200);
      if (keyProblem) return { field, problem: `field name ${keyProblem}` };
      const found = walk(inner, max, field, level === 1 ? field : topField, level + 1);
      if (found) return found;
    }
  }
  return null;
}

/**
 * The optional Idempotency-Key header: 1–200 characters. A retry with the same key does the action
 * once (submissions replay their first answer; relayed messages are written once).
 */
export function idempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || value.length < 1 || value.length > 200)) {
    throw badRequest('Idempotency-Key', 'must be 1–200 characters');
  }
  return value;
}
