// Path aliases and input tolerance shared by every route (SPEC §3).

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

/** An empty string in an optional field means the field is absent; "null" from Tilda's utm_* too. */
export function dropEmpty(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  for (const [key, inner] of Object.entries(value)) {
    if (inner === '' || inner === null) delete value[key];
    else if (isPlainObject(inner)) dropEmpty(inner);
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
 * bytes or broken Unicode (PostgreSQL cannot store them), and numbers that are not finite (the validator
 * turns "Infinity" into one and then skips its range checks). Returns the dotted field path and why.
 */
export function unstorableField(
  value: unknown,
  max = MAX_STRING,
  path = '',
): { field: string; problem: string } | null {
  if (typeof value === 'string') {
    const problem = stringProblem(value, max);
    return problem ? { field: path || '(body)', problem } : null;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : { field: path || '(body)', problem: 'must be a finite number' };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableField(value[i], max, path ? `${path}.${i}` : String(i));
      if (found) return found;
    }
  } else if (isPlainObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      const name = key.trim() === '' ? JSON.stringify(key) : key;
      const keyProblem = stringProblem(key, 200);
      if (keyProblem) return { field: path ? `${path}.${name}` : name, problem: `field name ${keyProblem}` };
      const found = unstorableField(inner, max, path ? `${path}.${name}` : name);
      if (found) return found;
    }
  }
  return null;
}
