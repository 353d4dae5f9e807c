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

/** The first string anywhere in the input longer than `max`, as a dotted field path. */
export function overlongField(value: unknown, max = MAX_STRING, path = ''): string | null {
  if (typeof value === 'string') return value.length > max ? path || '(body)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = overlongField(value[i], max, path ? `${path}.${i}` : String(i));
      if (found) return found;
    }
  } else if (isPlainObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      const found = overlongField(inner, max, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}
