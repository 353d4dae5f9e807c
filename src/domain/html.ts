// The allow-list sanitizer of event descriptions: the calendar page renders `description` as raw HTML
// (dangerouslySetInnerHTML), so only what spec/web-form.md A allows is ever stored. The output is built
// from scratch — fixed tag strings and escaped text — never by deleting pieces of the input, so what the
// browser parses is only what this module wrote, whatever odd markup came in.

/** The tags a description may hold (`a` only with an http(s) href). */
const ALLOWED = new Set(['a', 'b', 'i', 'em', 'strong', 'br', 'p', 'ul', 'ol', 'li']);
const VOID = new Set(['br']);
/** Elements whose content is code or hidden markup, dropped with their tags. */
const DROP_CONTENT = new Set([
  'script',
  'style',
  'iframe',
  'object',
  'embed',
  'noscript',
  'template',
  'textarea',
  'title',
  'xmp',
  'svg',
  'math',
  'select',
  'noembed',
  'noframes',
  'plaintext',
]);
/** How deeply allowed tags may nest; deeper tags are dropped (their text stays). */
const MAX_DEPTH = 20;

const ENTITY = /^&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});/i;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Text with < > " escaped and every & that does not begin a character reference escaped too. */
function escapeText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '<') out += '&lt;';
    else if (c === '>') out += '&gt;';
    else if (c === '"') out += '&quot;';
    else if (c === '&') out += ENTITY.test(text.slice(i, i + 40)) ? '&' : '&amp;';
    else out += c;
  }
  return out;
}

/** An attribute value's character references decoded (enough to see the real scheme of an href). */
function decodeAttribute(value: string): string {
  return value.replace(/&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});?/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** The href when it is an absolute http(s) URL, normalized; else null. */
export function safeHref(raw: string): string | null {
  // Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
  const cleaned = decodeAttribute(raw)
    .trim()
    // eslint-disable-next-line no-control-regex -- the control characters are what this removes
    .replace(/[\u0000-\u0020\u007f-\u009f]/g, (c) => (c === ' ' ? '%20' : ''));
  if (!/^https?:\/\//i.test(cleaned)) return null;
  try {
    const url = new URL(cleaned);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** The href attribute's value from a tag's attribute text, or null. */
function hrefOf(attributes: string): string | null {
  const pattern = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const m of attributes.matchAll(pattern)) {
    if (m[1]!.toLowerCase() === 'href') return m[2] ?? m[3] ?? m[4] ?? '';
  }
  return null;
}

/**
 * The description as safe HTML: allowed tags without attributes (links keep only a checked http(s) href
 * and open in a new tab without a referrer), every other tag removed with its text kept (script-like
 * elements with their content), comments and doctype dropped, unclosed tags closed at the end.
 */
export function sanitizeHtml(input: string): string {
  let out = '';
  const open: string[] = [];
  let i = 0;
  let dropping: string | null = null;
  while (i < input.length) {
    const lt = input.indexOf('<', i);
    const textEnd = lt === -1 ? input.length : lt;
    if (textEnd > i && dropping === null) out += escapeText(input.slice(i, textEnd));
    if (lt === -1) break;
    i = lt;
    if (input.startsWith('<!--', i)) {
      const end = input.indexOf('-->', i + 4);
      i = end === -1 ? input.length : end + 3;
      continue;
    }
    const tag = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/.exec(input.slice(i));
    if (!tag) {
      if (/^<[!?/]/.test(input.slice(i, i + 2))) {
        // A doctype, processing instruction or broken end tag: skipped to its '>'.
        const end = input.indexOf('>', i);
        i = end === -1 ? input.length : end + 1;
        continue;
      }
      if (dropping === null) out += '&lt;';
      i += 1;
      continue;
    }
    i += tag[0].length;
    const closing = tag[1] === '/';
    const name = tag[2]!.toLowerCase();
    if (dropping !== null) {
      if (closing && name === dropping) dropping = null;
      continue;
    }
    if (DROP_CONTENT.has(name)) {
      if (!closing && !/\/\s*$/.test(tag[3]!)) dropping = name;
      continue;
    }
    if (!ALLOWED.has(name)) continue;
    if (VOID.has(name)) {
      if (!closing) out += '<br>';
      continue;
    }
    if (closing) {
      const at = open.lastIndexOf(name);
      if (at === -1) continue;
      while (open.length > at) out += `</${open.pop()!}>`;
      continue;
    }
    if (open.length >= MAX_DEPTH) continue;
    if (name === 'a') {
      const href = safeHref(hrefOf(tag[3]!) ?? '');
      out += href
        ? `<a href="${href.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}" target="_blank" rel="noopener noreferrer nofollow">`
        : '<a>';
    } else out += `<${name}>`;
    open.push(name);
  }
  while (open.length) out += `</${open.pop()!}>`;
  return out;
}
