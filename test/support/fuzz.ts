// The bad-input fuzzer (R5 of spec/quality.md), for any suite: fast-check generators derived from the
// app's OpenAPI document (plausible values and values that break one rule), valid requests mutated one
// field at a time, raw bodies/queries/paths no JSON can express, a database fingerprint (row count and
// md5 of every table) and a Runner that sends requests, judges the answers (no 5xx, the error shape, a
// field named in every 400, no rejected request changing the database) and shrinks each distinct
// problem to a small reproducer.
import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import qs from 'qs';
import type { DB } from '../../src/db/types.ts';
import type { TestApp } from './app.ts';

// ---------------------------------------------------------------------------------------------------
// The OpenAPI document, as far as these tests read it.

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | Schema;
}

export interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema: Schema;
}

interface Operation {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  parameters?: Parameter[];
}

export interface Endpoint {
  method: string;
  /** The OpenAPI path, e.g. /admin/tickets/{ticket_id}. */
  path: string;
  body?: Schema;
  query: Parameter[];
  params: Parameter[];
}

export function endpointsOf(spec: { paths: Record<string, Record<string, Operation>> }): Endpoint[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const parameters = op.parameters ?? [];
      const body = op.requestBody?.content?.['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        path,
        ...(body ? { body } : {}),
        query: parameters.filter((p) => p.in === 'query'),
        params: parameters.filter((p) => p.in === 'path'),
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// Nasty values.

export const INJECTIONS = [
  "'; drop table hraniteli_slots; --",
  "' or '1'='1",
  '1; select pg_sleep(3); --',
  "Robert'); DROP TABLE hraniteli_tickets;--",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{7*7}}',
  '${7*7}',
  '../../../../etc/passwd',
  '%00',
  '\\',
  "'",
  '"',
  '$where',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
];
export const ODD_UNICODE = [
  '\u0000',
  'a\u0000b',
  'Мария\u0000',
  '\u200f\u202eRTL override\u202c',
  '\u202e',
  '\u200b',
  '😀',
  '👩‍👩‍👧‍👦',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\udc00y',
  '\ufeff',
  '\uffff',
  '\u0301',
  'Ё ё й Й',
  '\n\r\t',
  ' ',
  '   ',
  '  spaced   name  ',
  'Ω≈ç√∫',
  '٣٤٥',
  '',
];
export const DATES = [
  '31.02 10:00',
  '30.02 10:00',
  '31.02',
  '10.12 24:00',
  '10.12 23:60',
  '32.12 10:00',
  '00.00 00:00',
  '10.13 10:00',
  '29.02.2026 10:00',
  '2026-13-01',
  '2026-02-31',
  '2026-00-10',
  '0000-00-00',
  '2026-12-10 24:00',
  '2026-02-31 10:00',
  '2026-12-10T25:00:00Z',
  '2026-12-10T10:00:00+99:99',
  '2026-06-30T23:59:60Z',
  '0000-01-01 00:00',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+14:00',
  '9999-12-31T23:59:59-23:59',
  '9999-12-31 23:59',
  '1970-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '10.12',
  '10:00',
  '24:00',
  '10.12.2026 10:00',
  ' 10.12 10:00 ',
  '10/12/2026 10:00',
  'tomorrow',
  '2026-12-10 10:00:00.123456789+03:00',
];
export const NUMBER_STRINGS = [
  'NaN',
  '-1',
  '1e308',
  '-1e308',
  '1e999',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  '1,5',
  '00',
  '-0',
  '9007199254740993',
  '1e-400',
  ' 27 ',
  '27',
];
const NUMBERS = [
  -1,
  0,
  1,
  0.5,
  -0.5,
  1e308,
  -1e308,
  2 ** 31,
  -(2 ** 31),
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
  13,
  121,
  6,
  10_000_001,
  100_001,
];
const REPEATED = ['a', 'я', '😀', '\u0000', '<script>', '\ud800', "' or 1=1 --", ' '];
const LENGTHS = [65, 101, 201, 1_001, 2_001, 5_001, 9_999, 10_000, 10_001, 20_000];

const hugeString = fc
  .tuple(fc.constantFrom(...REPEATED), fc.constantFrom(...LENGTHS))
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));
const fixedNasty = fc.constantFrom(...INJECTIONS, ...ODD_UNICODE, ...DATES, ...NUMBER_STRINGS);
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fixedNasty },
  { weight: 2, arbitrary: hugeString },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fixedNasty, fc.string({ maxLength: 4 }), fixedNasty)
      .map(([a, b, c]) => `${a}${b}${c}`),
  },
);
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.integer() },
);
/** Extra field names; the prototype-pollution ones are rarer, since the JSON parser refuses them outright. */
export const nastyKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor') },
  {
    weight: 10,
    arbitrary: fc.constantFrom(
      'prototype',
      'toString',
      'hasOwnProperty',
      '',
      ' ',
      'a.b',
      'a/b',
      'a~b',
      '😀',
      '\u0000',
      '\ud800',
      'utm_source',
      'ticket_id',
      'raw_payload',
      'status',
      'id',
    ),
  },
  { weight: 6, arbitrary: fc.string({ maxLength: 10 }) },
);
export const scalarGarbage: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 3, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], {}, [[]], [{}], { '': {} }) },
);
export const garbage: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: scalarGarbage },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(nastyKey, tie('value'), { maxKeys: 4 }) },
  ),
})).value;

// ---------------------------------------------------------------------------------------------------
// Values from a schema: plausible ones (drawn from real rows where the field name says what it is) and
// ones that break exactly one rule of the schema.

export type Pools = Record<string, string[]>;
const OMIT = Symbol('omit');

/** The app's Text fields require a non-space character (src/http/schemas.ts NOT_BLANK). */
const NOT_BLANK = '\\S';

function stringFor(s: Schema): fc.Arbitrary<string> {
  if (s.format === 'uuid') return fc.uuid();
  if (s.format === 'date-time')
    return fc
      .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString());
  if (s.pattern && s.pattern !== NOT_BLANK) return fc.stringMatching(new RegExp(s.pattern));
  const min = s.minLength ?? 0;
  const text = fc.string({ minLength: min, maxLength: Math.max(min, Math.min(s.maxLength ?? 20, 20)) });
  return s.pattern === NOT_BLANK ? text.filter((v) => /\S/.test(v)) : text;
}

/** allOf members merged into one schema (the app's Age: a digits check beside the integer's range). */
function merged(s: Schema): Schema {
  if (!s.allOf) return s;
  const { allOf, ...rest } = s;
  return Object.assign({}, ...allOf.map(merged), rest) as Schema;
}

export function validFor(s: Schema, key: string, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const plain = validPlain(s, key, pools, depth);
  return s.nullable
    ? fc.oneof({ weight: 5, arbitrary: plain }, { weight: 1, arbitrary: fc.constant(null) })
    : plain;
}

function validPlain(schema: Schema, key: string, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  const s = merged(schema);
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.anyOf) return fc.oneof(...s.anyOf.map((x) => validFor(x, key, pools, depth)));
  switch (s.type) {
    case 'string': {
      const pool = pools[key];
      const generic = stringFor(s);
      return pool?.length
        ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: generic })
        : generic;
    }
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1_000, max: s.maximum ?? 1_000 });
    case 'number': {
      const [min, max] = [s.minimum ?? -1_000, s.maximum ?? 1_000];
      return fc.oneof(
        fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
        fc.double({ min, max, noNaN: true }),
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const minItems = s.minItems ?? 0;
      return fc.array(validFor(s.items ?? {}, key, pools, depth + 1), {
        minLength: minItems,
        maxLength: Math.max(minItems, Math.min(s.maxItems ?? 3, 3)),
      });
    }
    case 'object':
      return objectFor(s, pools, depth + 1, 0);
    default:
      return scalarGarbage;
  }
}

export function invalidFor(schema: Schema, key: string, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const s = merged(schema);
  const options: fc.Arbitrary<unknown>[] = [garbage, nastyString];
  const tooMany = <T>(n: number, value: T) => fc.constant(Array.from({ length: n }, () => value));
  switch (s.type) {
    case 'string':
      options.push(
        nastyNumber,
        fc.boolean(),
        fc.constantFrom<unknown>([], {}, ['a', 'b'], { value: 'x' }),
        fc.array(nastyString, { minLength: 2, maxLength: 3 }),
      );
      if (s.maxLength !== undefined)
        options.push(fc.constantFrom('x'.repeat(s.maxLength + 1), 'я'.repeat(s.maxLength + 1)));
      if (s.pattern === NOT_BLANK) options.push(fc.constantFrom(' ', '   ', '\t\n', '\u00a0\u3000'));
      if (s.enum) {
        const words = s.enum.map(String);
        options.push(
          fc.constantFrom(
            ...words.map((w) => w.toUpperCase()),
            ...words.map((w) => ` ${w} `),
            `${words[0]}x`,
          ),
        );
      }
      if (s.format === 'uuid')
        options.push(
          fc.constantFrom(
            'not-a-uuid',
            '00000000-0000-0000-0000-00000000000g',
            '{00000000-0000-0000-0000-000000000000}',
            '00000000000000000000000000000000',
            "00000000-0000-0000-0000-000000000000'; drop table hraniteli_slots; --",
          ),
        );
      if (s.format === 'date-time' || s.pattern?.includes('\\d{4}')) options.push(fc.constantFrom(...DATES));
      break;
    case 'integer':
    case 'number': {
      options.push(fc.constantFrom<unknown>(...NUMBER_STRINGS, true, false, [1, 2], [], {}, { value: 1 }));
      const edges: unknown[] = [1e308, -1e308];
      if (s.minimum !== undefined) edges.push(s.minimum - 1, s.minimum - 0.001, String(s.minimum - 1));
      if (s.maximum !== undefined) edges.push(s.maximum + 1, s.maximum + 0.001, String(s.maximum + 1));
      if (s.type === 'integer') edges.push(1.5, '1.5', ((s.minimum ?? 0) + (s.maximum ?? 2)) / 2 + 0.25);
      options.push(fc.constantFrom(...edges));
      break;
    }
    case 'boolean':
      options.push(fc.constantFrom<unknown>('yes', 'maybe', 2, -1, 'TRUE', 'да', [true, false], {}));
      break;
    case 'array':
      options.push(fc.constantFrom<unknown>({}, 'a,b', 1, true, [[]], [{}], [null]));
      if (s.maxItems !== undefined) options.push(tooMany(s.maxItems + 1, 'x'));
      options.push(
        fc.array(invalidFor(s.items ?? {}, key, pools, depth + 1), { minLength: 1, maxLength: 3 }),
      );
      break;
    case 'object':
      options.push(fc.constantFrom<unknown>([], 'object', 1, true, [{}]));
      if (depth < 3) options.push(objectFor(s, pools, depth + 1, 1));
      break;
  }
  return fc.oneof(...options);
}

/** An object for a schema: each known field omitted, plausible or broken; sometimes extra fields. */
export function objectFor(
  s: Schema,
  pools: Pools,
  depth: number,
  brokenBias: number,
): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, field] of Object.entries(s.properties ?? {})) {
    fields[key] = fc.oneof(
      { weight: 1, arbitrary: fc.constant(OMIT) },
      { weight: 4 - brokenBias, arbitrary: validFor(field, key, pools, depth) },
      {
        weight: 2 + brokenBias,
        arbitrary:
          field.type === 'object' && depth < 3
            ? objectFor(field, pools, depth + 1, brokenBias)
            : invalidFor(field, key, pools, depth),
      },
    );
  }
  return fc
    .tuple(
      fc.record(fields),
      fc.option(fc.dictionary(nastyKey, garbage, { minKeys: 1, maxKeys: 3 }), { freq: 3 }),
    )
    .map(([known, extra]) => {
      const out: Record<string, unknown> = { ...(extra ?? {}) };
      for (const [key, value] of Object.entries(known)) {
        if (value === OMIT) delete out[key];
        else out[key] = value;
      }
      return out;
    });
}

// ---------------------------------------------------------------------------------------------------
// Requests.

export interface Req {
  method: string;
  /** The OpenAPI path this request aims at, for grouping. */
  route: string;
  url: string;
  contentType?: string;
  payload?: string | Buffer;
  /** Headers sent instead of the service key: a client token, the Telegram webhook's secret. */
  credentials?: Record<string, string>;
}

const wellFormed = (s: string) => s.toWellFormed();
const asText = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : v === null || v === undefined
      ? ''
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);
const enc = (v: unknown) => encodeURIComponent(wellFormed(asText(v)));

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const parts = Object.entries(query).flatMap(([key, value]) =>
    (Array.isArray(value) && value.length ? value : [value]).map((v) => `${enc(key)}=${enc(v)}`),
  );
  return parts.length ? `?${parts.join('&')}` : '';
}

function fillPath(path: string, params: Record<string, unknown>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => enc(params[name]));
}

export type BodyEncoding = 'json' | 'form' | 'none';

export function makeReq(
  endpoint: Pick<Endpoint, 'method' | 'path'>,
  parts: {
    params?: Record<string, unknown>;
    query?: Record<string, unknown>;
    body?: unknown;
    encoding?: BodyEncoding;
  },
): Req {
  const req: Req = {
    method: endpoint.method,
    route: endpoint.path,
    url: fillPath(endpoint.path, parts.params ?? {}) + queryString(parts.query),
  };
  const encoding = parts.encoding ?? 'json';
  if (encoding === 'none' || parts.body === undefined) return req;
  if (encoding === 'form') {
    req.contentType = 'application/x-www-form-urlencoded';
    req.payload = qs.stringify(
      parts.body === null || typeof parts.body !== 'object' ? { value: parts.body } : parts.body,
    );
  } else {
    req.contentType = 'application/json';
    req.payload = JSON.stringify(parts.body);
  }
  return req;
}

/** One request per property run, from the endpoint's OpenAPI schema. */
export function schemaRequest(endpoint: Endpoint, pools: Pools): fc.Arbitrary<Req> {
  const paramArbs: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of endpoint.params)
    paramArbs[p.name] = fc.oneof(
      { weight: 2, arbitrary: validFor(p.schema, p.name, pools) },
      { weight: 3, arbitrary: invalidFor(p.schema, p.name, pools) },
    );
  const queryArbs: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of endpoint.query)
    queryArbs[p.name] = fc.oneof(
      { weight: p.required ? 1 : 3, arbitrary: fc.constant(OMIT) },
      { weight: 2, arbitrary: validFor(p.schema, p.name, pools) },
      { weight: 3, arbitrary: invalidFor(p.schema, p.name, pools) },
    );
  const query = fc
    .tuple(
      fc.record(queryArbs),
      fc.option(fc.dictionary(nastyKey, scalarGarbage, { minKeys: 1, maxKeys: 2 }), { freq: 4 }),
    )
    .map(([known, extra]) => {
      const out: Record<string, unknown> = { ...(extra ?? {}) };
      for (const [key, value] of Object.entries(known)) if (value !== OMIT) out[key] = value;
      return out;
    });
  const hasBody = endpoint.method !== 'GET' && endpoint.method !== 'DELETE';
  const body: fc.Arbitrary<unknown> = endpoint.body
    ? fc.oneof(
        { weight: 8, arbitrary: objectFor(endpoint.body, pools, 0, 0) },
        { weight: 1, arbitrary: objectFor(endpoint.body, pools, 0, 1) },
        { weight: 1, arbitrary: garbage },
        { weight: 1, arbitrary: fc.constant(undefined) },
      )
    : fc.oneof(fc.constant(undefined), garbage);
  // The seed's GET /get-ticket-info carries a JSON body: its query fields may come that way too.
  const getBody = endpoint.path === '/get-ticket-info';
  return fc
    .record({
      params: fc.record(paramArbs),
      query,
      body,
      encoding: fc.constantFrom<BodyEncoding>('json', 'json', 'json', 'form'),
      queryAsBody: fc.boolean(),
    })
    .map(({ params, query, body, encoding, queryAsBody }) => {
      if (getBody && queryAsBody) return makeReq(endpoint, { params, body: query });
      return makeReq(endpoint, {
        params,
        query,
        ...(hasBody ? { body, encoding } : {}),
      });
    });
}

// ---------------------------------------------------------------------------------------------------
// Valid examples, mutated one field at a time.

export interface Example {
  method: string;
  path: string;
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: Record<string, unknown>;
}

type Part = 'params' | 'query' | 'body';
interface Location {
  part: Part;
  path: (string | number)[];
}

function locationsOf(example: Example): Location[] {
  const out: Location[] = [];
  const walk = (part: Part, value: unknown, path: (string | number)[]) => {
    if (path.length) out.push({ part, path });
    if (Array.isArray(value)) value.forEach((v, i) => walk(part, v, [...path, i]));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(part, v, [...path, k]);
  };
  for (const part of ['params', 'query', 'body'] as const) if (example[part]) walk(part, example[part], []);
  return out;
}

function schemaAt(root: Schema | undefined, path: (string | number)[]): Schema | undefined {
  let s = root;
  for (const step of path) {
    if (!s) return undefined;
    s = typeof step === 'number' ? s.items : s.properties?.[step];
  }
  return s;
}

function retypes(value: unknown): unknown[] {
  if (typeof value === 'string')
    return [
      Number(value) || 1e308,
      [value],
      { value },
      true,
      null,
      '',
      `${value}\u0000`,
      value.toUpperCase(),
      ` ${value} `,
    ];
  if (typeof value === 'number')
    return [
      String(value),
      `${value}abc`,
      [value],
      { value },
      true,
      -value,
      value * 1e300,
      value + 0.5,
      'NaN',
    ];
  if (typeof value === 'boolean') return ['true', 'yes', 1, 0, [value], null];
  if (Array.isArray(value)) return [value[0] ?? 'x', {}, [value], [], asText(value), [null]];
  if (value && typeof value === 'object') return [[], 'object', JSON.stringify(value), [value], 0, null];
  return ['x', 1, [], {}];
}

type Mutation = 'drop' | 'replace' | 'retype' | 'break' | 'extra';

function mutate(example: Example, loc: Location, op: Mutation, value: unknown, key: string): Example {
  const copy = structuredClone(example);
  const root = copy[loc.part] as Record<string, unknown>;
  const parentPath = loc.path.slice(0, -1);
  let parent: unknown = root;
  for (const step of parentPath) parent = (parent as Record<string | number, unknown>)[step];
  const last = loc.path[loc.path.length - 1]!;
  const container = parent as Record<string | number, unknown>;
  if (op === 'drop') {
    if (Array.isArray(container) && typeof last === 'number') container.splice(last, 1);
    else delete container[last];
  } else if (op === 'extra') {
    const target = Array.isArray(container) ? root : container;
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    container[last] = value;
  }
  return copy;
}

export function mutationRequest(
  example: Example,
  schema: Endpoint | undefined,
  pools: Pools,
): fc.Arbitrary<Req> {
  const locations = locationsOf(example);
  return fc.constantFrom(...locations).chain((loc) => {
    const current = (() => {
      let v: unknown = example[loc.part];
      for (const step of loc.path) v = (v as Record<string | number, unknown>)[step];
      return v;
    })();
    const fieldSchema =
      loc.part === 'body'
        ? schemaAt(schema?.body, loc.path)
        : [...(schema?.query ?? []), ...(schema?.params ?? [])].find((p) => p.name === loc.path[0])?.schema;
    const fieldName = String([...loc.path].reverse().find((s) => typeof s === 'string') ?? '');
    const broken = fieldSchema ? invalidFor(fieldSchema, fieldName, pools) : garbage;
    return fc
      .record({
        op: fc.constantFrom<Mutation>('drop', 'replace', 'retype', 'break', 'break', 'extra'),
        replacement: fc.oneof(garbage, nastyString, nastyNumber),
        retyped: fc.constantFrom(...retypes(current)),
        broken,
        key: nastyKey,
        asBody: fc.boolean(),
      })
      .map(({ op, replacement, retyped, broken, key, asBody }) => {
        const value = op === 'retype' ? retyped : op === 'break' ? broken : replacement;
        const changed = mutate(example, loc, op, value, key);
        if (example.path === '/get-ticket-info' && asBody)
          return makeReq(example, {
            ...(changed.params ? { params: changed.params } : {}),
            body: changed.query,
          });
        return makeReq(example, {
          ...(changed.params ? { params: changed.params } : {}),
          ...(changed.query ? { query: changed.query } : {}),
          ...(changed.body ? { body: changed.body } : {}),
        });
      });
  });
}

// ---------------------------------------------------------------------------------------------------
// Raw bodies, content types, query strings and paths that no JSON value can express.

const RAW_BODIES: (string | Buffer)[] = [
  '',
  ' ',
  '{',
  '{"name": ',
  '[',
  'nul',
  'undefined',
  '{"a":1}}',
  "{'name':'x'}",
  '{"age":1e400}',
  '{"age":-1e400,"name":"x"}',
  '{"name":"\\ud800","age":30}',
  '{"name":"\\u0000","age":30,"contact":{"type":"telegram","value":"@nul_user"}}',
  '{"name":"x","age":30,"age":"thirty"}',
  '\ufeff{}',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  `${'['.repeat(3000)}${']'.repeat(3000)}`,
  `{"a":${'{"a":'.repeat(500)}1${'}'.repeat(500)}}`,
  '"just a string"',
  '42',
  'true',
  'null',
  '[]',
  '{}',
  Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]),
  Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  Buffer.from([0x00, 0x00, 0x00]),
  'name=%&age=%zz',
  'name[a][b][c][d][e][f][g]=deep&age=30',
  'contact[type]=telegram&contact[value]=@form_user&name=Форма&age=abc',
  `${'a[]=1&'.repeat(500)}age=30`,
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/xml',
  'multipart/form-data',
  'application/octet-stream',
  'application/json-patch+json',
  '',
];
const RAW_QUERY_VALUES = [
  '%',
  '%zz',
  '%E0%A4%A',
  '%ED%A0%80',
  '%00',
  '%C0%AF',
  '%FF%FE',
  '+',
  '%2B1',
  'a%26b%3Dc',
  '%5B%5D',
  '1e999',
  'NaN',
  '-0',
  '0x10',
  '%27%3B%20drop%20table%20hraniteli_slots%3B%20--',
  '%3Cscript%3E',
  '',
];

export function rawBodyRequest(endpoints: Endpoint[]): fc.Arbitrary<Req> {
  const targets = endpoints.filter((e) => e.method !== 'GET' && e.method !== 'DELETE');
  return fc
    .record({
      endpoint: fc.constantFrom(...targets),
      payload: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...RAW_BODIES) },
        { weight: 1, arbitrary: garbage.map((g) => qs.stringify({ g })) },
      ),
      contentType: fc.constantFrom(...CONTENT_TYPES),
      id: fc.constantFrom('00000000-0000-0000-0000-000000000000', '1234567'),
    })
    .map(({ endpoint, payload, contentType, id }) => ({
      method: endpoint.method,
      route: endpoint.path,
      url: endpoint.path.replace(/\{[^}]+\}/g, id),
      payload,
      ...(contentType ? { contentType } : {}),
    }));
}

export function rawQueryRequest(endpoints: Endpoint[]): fc.Arbitrary<Req> {
  const targets = endpoints.filter((e) => e.query.length > 0);
  return fc
    .record({
      endpoint: fc.constantFrom(...targets),
      pairs: fc.array(
        fc.tuple(fc.nat(), fc.constantFrom(...RAW_QUERY_VALUES), fc.constantFrom('', '[]', '[a]', '.x')),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
      junk: fc.constantFrom('', '&', '&&&', '&=x', '&=', '#frag', '&;'),
    })
    .map(({ endpoint, pairs, junk }) => {
      const query = pairs
        .map(([i, value, suffix]) => `${endpoint.query[i % endpoint.query.length]!.name}${suffix}=${value}`)
        .join('&');
      return {
        method: endpoint.method,
        route: endpoint.path,
        url: `${endpoint.path.replace(/\{[^}]+\}/g, 'x')}?${query}${junk}`,
      };
    });
}

export const RAW_PATHS = [
  '/admin/tickets/%ED%A0%80',
  '/admin/tickets/%00',
  '/admin/tickets/%',
  '/admin/tickets/1234567%00',
  '/admin/clients/..%2F..%2Fetc%2Fpasswd',
  '/admin/clients/%27%3B%20drop%20table%20hraniteli_slots%3B%20--',
  '/admin/clients/%FF',
  `/admin/clients/${'a'.repeat(101)}`,
  '/admin/psychologists/%E0%A4%A',
  '/admin/slots/%zz',
  '/admin/sessions/%00/status',
  '/webhook/admin/tickets/%ED%A0%80-test-contur',
  '/get-available-slots-test-contur?from=%ED%A0%80',
];
export const RAW_PATH_METHODS: Record<string, string[]> = {
  '/admin/tickets': ['GET', 'PATCH'],
  '/admin/clients': ['GET'],
  '/admin/psychologists': ['PATCH'],
  '/admin/slots': ['DELETE'],
  '/admin/sessions': ['POST'],
  '/webhook/admin/tickets': ['GET', 'PATCH'],
  '/get-available-slots-test-contur': ['GET'],
};

// ---------------------------------------------------------------------------------------------------
// The database fingerprint: row count and md5 of every row of every table, in one query.

export type Fingerprint = Map<string, { n: number; h: string }>;

export async function tablesOf(t: TestApp): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_schema || '.' || table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
    order by 1`.execute(t.deps.db);
  return rows.map((r) => r.name);
}

export async function fingerprint(db: Kysely<DB>, tables: string[]): Promise<Fingerprint> {
  const parts = tables.map(
    (name) => sql`select ${name}::text as t, count(*)::int as n,
      md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${sql.table(name)} as x`,
  );
  const { rows } = await sql<{
    t: string;
    n: number;
    h: string;
  }>`${sql.join(parts, sql` union all `)}`.execute(db);
  return new Map(rows.map((r) => [r.t, { n: Number(r.n), h: r.h }]));
}

export function fingerprintDiff(a: Fingerprint, b: Fingerprint): string[] {
  const out: string[] = [];
  for (const [table, before] of a) {
    const after = b.get(table);
    if (!after || after.h !== before.h)
      out.push(`${table}: ${before.n} → ${after?.n ?? '?'} rows, content changed`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The runner: sends, checks, counts, and keeps one reproducer per distinct problem.

/**
 * The GETs of the real front end that change state (spec/web-form.md C.5.2, C.6.5): a completion counted,
 * a registration left. Their successes may write like any POST.
 */
const WRITING_GETS = new Set(['/check-fill-survey', '/cancel-slot']);

export interface Problem {
  kind: '5xx' | '400 shape' | '4xx shape' | 'db changed by a rejected request';
  signature: string;
  req: Req;
  status: number;
  detail: string;
  count: number;
}

const INVISIBLE = /[\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]/;
const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
/** Long runs shortened; control characters, bidi marks and lone surrogates shown as \u escapes. */
const printable = (s: string) =>
  Array.from(s.replace(/(.)\1{60,}/gsu, (run, ch: string) => `${ch.repeat(3)}…(${ch} × ${[...run].length})`))
    .map((c) => (c.length === 1 && (c.charCodeAt(0) < 0x20 || INVISIBLE.test(c)) ? escapeChar(c) : c))
    .join('');
const printableUrl = (url: string) => (url.length > 400 ? `${url.slice(0, 400)}…(${url.length} chars)` : url);

export function describeReq(req: Req): string {
  const payload =
    req.payload === undefined
      ? '(no body)'
      : Buffer.isBuffer(req.payload)
        ? `<bytes ${req.payload.toString('hex')}>`
        : printable(req.payload);
  const shortPayload =
    payload.length > 1500 ? `${payload.slice(0, 1500)}…(${payload.length} chars)` : payload;
  const credentials = req.credentials
    ? Object.entries(req.credentials)
        .map(([name, value]) => `${name}: ${value.slice(0, 24)}…`)
        .join(', ')
    : 'the service key';
  return `${req.method} ${printableUrl(req.url)}\n    credentials: ${credentials}\n    content-type: ${req.contentType ?? '(none)'}\n    body: ${shortPayload}`;
}

const reqSize = (req: Req) => req.url.length + (req.payload?.length ?? 0);

export function errorShapeProblem(res: LightMyRequestResponse): string | null {
  let body: {
    success?: unknown;
    message?: unknown;
    error?: {
      code?: unknown;
      type?: unknown;
      message?: unknown;
      details?: { field?: unknown; message?: unknown }[];
    };
  };
  try {
    body = res.json();
  } catch {
    return 'the body is not JSON';
  }
  if (body.success !== false) return 'success is not false';
  if (typeof body.message !== 'string' || !body.message) return 'no message';
  const e = body.error;
  if (!e || typeof e !== 'object') return 'no error object';
  if (e.code !== res.statusCode) return `error.code ${String(e.code)} ≠ ${res.statusCode}`;
  if (typeof e.type !== 'string' || !e.type) return 'no error.type';
  if (e.message !== body.message) return 'error.message differs from message';
  if (!Array.isArray(e.details)) return 'error.details is not an array';
  if (res.statusCode !== 400) return null;
  const first = e.details[0];
  if (!first) return `no details[0] (type ${e.type}: ${e.message as string})`;
  if (typeof first.field !== 'string' || !first.field.trim())
    return `details[0].field is empty (${e.message as string})`;
  if (typeof first.message !== 'string') return 'details[0].message is not a string';
  return null;
}

/** Smaller versions of a request: one query pair, form pair or JSON field (at any depth) left out. */
function smaller(req: Req): Req[] {
  const out: Req[] = [];
  const [path, query] = req.url.split(/\?(.*)/s) as [string, string | undefined];
  if (query !== undefined) {
    const pairs = query.split('&');
    pairs.forEach((_, i) => {
      const rest = pairs.filter((__, k) => k !== i).join('&');
      out.push({ ...req, url: rest ? `${path}?${rest}` : path });
    });
  }
  if (typeof req.payload === 'string' && req.contentType === 'application/x-www-form-urlencoded') {
    const pairs = req.payload.split('&');
    pairs.forEach((_, i) => out.push({ ...req, payload: pairs.filter((__, k) => k !== i).join('&') }));
  } else if (typeof req.payload === 'string' && req.contentType === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(req.payload);
    } catch {
      return out;
    }
    const without = (value: unknown, path: (string | number)[]): unknown => {
      if (path.length === 0) return value;
      const [head, ...rest] = path as [string | number, ...(string | number)[]];
      if (Array.isArray(value)) {
        if (rest.length === 0) return value.filter((_, k) => k !== head);
        return value.map((v, k) => (k === head ? without(v, rest) : v));
      }
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (k === head && rest.length === 0) continue;
        Object.defineProperty(copy, k, {
          value: k === head ? without(v, rest) : v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return copy;
    };
    const walk = (value: unknown, path: (string | number)[]) => {
      if (path.length) out.push({ ...req, payload: JSON.stringify(without(body, path)) });
      if (Array.isArray(value)) value.forEach((v, k) => walk(v, [...path, k]));
      else if (value && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    };
    walk(body, []);
  }
  return out;
}

interface Outcome {
  status: number;
  kind?: Problem['kind'];
  detail?: string;
}

export const normalized = (detail: string) => detail.replace(/\d{7}|[0-9a-f-]{36}|"[^"]*"/g, '…');

export class Runner {
  sent = 0;
  replays = 0;
  readonly statuses = new Map<number, number>();
  readonly perRoute = new Map<string, number>();
  /** Requests per route sent with credentials other than the service key. */
  readonly perRouteWithCredentials = new Map<string, number>();
  readonly problems = new Map<string, Problem>();
  fingerprints = 0;
  /** Rejected requests in batches checked against the fingerprint / in batches that also had a success. */
  verified = 0;
  verifiedByReplay = 0;
  unverified = 0;
  fingerprintMs = 0;
  private baseline: Fingerprint = new Map();
  private batch: { req: Req; status: number }[] = [];
  private dirty = false;
  private limit = 200;

  private readonly t: TestApp;
  private readonly tables: string[];
  private readonly credentialsOf: (req: Req) => Record<string, string> | undefined;

  /** `credentialsOf` names the headers a request without its own credentials sends instead of the key. */
  constructor(
    t: TestApp,
    tables: string[],
    credentialsOf: (req: Req) => Record<string, string> | undefined = () => undefined,
  ) {
    this.t = t;
    this.tables = tables;
    this.credentialsOf = credentialsOf;
  }

  async rebaseline(): Promise<void> {
    this.baseline = await this.snapshot();
  }

  /** Sends one request and judges the answer against R5 (no 5xx; the error shape; a field in every 400). */
  private async exchange(req: Req): Promise<Outcome> {
    const logsFrom = this.t.logs.lines.length;
    const credentials = req.credentials ?? this.credentialsOf(req);
    const options = {
      method: req.method as 'GET',
      url: req.url,
      headers: {
        ...(credentials ?? {}),
        ...(req.contentType !== undefined ? { 'content-type': req.contentType } : {}),
      },
      ...(req.payload !== undefined ? { payload: req.payload } : {}),
    };
    const res = credentials ? await this.t.app.inject(options) : await this.t.admin(options);
    if (res.statusCode >= 500)
      return { status: res.statusCode, kind: '5xx', detail: this.serverErrors(logsFrom) };
    if (res.statusCode >= 400) {
      const shape = errorShapeProblem(res);
      if (shape)
        return {
          status: res.statusCode,
          kind: res.statusCode === 400 ? '400 shape' : '4xx shape',
          detail: shape,
        };
    }
    return { status: res.statusCode };
  }

  private record(kind: Problem['kind'], req: Req, status: number, detail: string): void {
    const signature = `${kind} | ${req.method} ${req.route} | ${status} | ${normalized(detail)}`;
    const known = this.problems.get(signature);
    if (!known) this.problems.set(signature, { kind, signature, req, status, detail, count: 1 });
    else {
      known.count++;
      if (reqSize(req) < reqSize(known.req)) known.req = req;
    }
  }

  private serverErrors(from: number): string {
    const lines = this.t.logs.lines.slice(from).flatMap((line) => {
      try {
        const entry = JSON.parse(line) as {
          level?: number;
          msg?: string;
          err?: { message?: string; code?: string };
        };
        if ((entry.level ?? 0) < 50) return [];
        return [
          `${entry.msg ?? ''}: ${entry.err?.message ?? ''}${entry.err?.code ? ` [${entry.err.code}]` : ''}`,
        ];
      } catch {
        return [];
      }
    });
    return lines.join(' / ') || '(nothing logged at error level)';
  }

  async send(req: Req): Promise<void> {
    const outcome = await this.exchange(req);
    this.sent++;
    this.statuses.set(outcome.status, (this.statuses.get(outcome.status) ?? 0) + 1);
    const route = `${req.method} ${req.route}`;
    this.perRoute.set(route, (this.perRoute.get(route) ?? 0) + 1);
    if (req.credentials)
      this.perRouteWithCredentials.set(route, (this.perRouteWithCredentials.get(route) ?? 0) + 1);
    if (outcome.kind) this.record(outcome.kind, req, outcome.status, outcome.detail!);
    // A request that may have been carried out may change the database; GETs never may, so a GET that
    // did would show up in the check below as well.
    const rejected = outcome.status >= 400 && outcome.status < 500;
    if (!rejected && (req.method !== 'GET' || WRITING_GETS.has(req.route))) this.dirty = true;
    this.batch.push({ req, status: outcome.status });
    if (this.batch.length >= this.limit) await this.flush();
  }

  private async snapshot(): Promise<Fingerprint> {
    const from = performance.now();
    const result = await fingerprint(this.t.deps.db, this.tables);
    this.fingerprints++;
    this.fingerprintMs += performance.now() - from;
    return result;
  }

  /**
   * Compares the fingerprint with the one before the batch when nothing in it may have written. A batch
   * with a success cannot tell; its rejected requests are sent again as a batch of their own, so that
   * every rejected request is checked once (unless its second sending succeeds).
   */
  async flush(): Promise<void> {
    if (!this.batch.length) return;
    const batch = this.batch;
    const dirty = this.dirty;
    this.batch = [];
    this.dirty = false;
    const now = await this.snapshot();
    const rejected = batch.filter((b) => b.status >= 400 && b.status < 500);
    if (!dirty) {
      this.verified += rejected.length;
      this.limit = Math.min(200, this.limit * 2);
      await this.compare(
        now,
        batch.map((b) => b.req),
      );
      return;
    }
    this.limit = Math.max(10, Math.floor(this.limit / 2));
    this.baseline = now;
    let replayDirty = false;
    for (const { req } of rejected) {
      const { status } = await this.exchange(req);
      this.replays++;
      if (!(status >= 400 && status < 500) && req.method !== 'GET') replayDirty = true;
    }
    const after = await this.snapshot();
    if (replayDirty) {
      this.unverified += rejected.length;
      this.baseline = after;
    } else {
      this.verifiedByReplay += rejected.length;
      await this.compare(
        after,
        rejected.map((b) => b.req),
      );
    }
  }

  private async compare(now: Fingerprint, reqs: Req[]): Promise<void> {
    const diff = fingerprintDiff(this.baseline, now);
    if (diff.length) {
      await this.locate(reqs, diff);
      await this.rebaseline();
    } else this.baseline = now;
  }

  /** A batch of rejected requests (and GETs) changed the database: replay them one by one to find which. */
  private async locate(reqs: Req[], batchDiff: string[]): Promise<void> {
    let found = false;
    for (const req of reqs) {
      const before = await this.snapshot();
      const { status } = await this.exchange(req);
      this.replays++;
      const diff = fingerprintDiff(before, await this.snapshot());
      if (diff.length && ((status >= 400 && status < 500) || req.method === 'GET')) {
        found = true;
        this.record('db changed by a rejected request', req, status, diff.join('; '));
      }
    }
    if (!found)
      this.record(
        'db changed by a rejected request',
        reqs[reqs.length - 1]!,
        0,
        `a batch of ${reqs.length} rejected requests changed ${batchDiff.join('; ')}; no single replay reproduced it`,
      );
  }

  /** Greedy shrinking of a problem's request: drop parts while the same problem still shows. */
  async minimize(problem: Problem): Promise<Req> {
    if (problem.kind === 'db changed by a rejected request') return problem.req;
    let best = problem.req;
    let budget = 80;
    for (let progress = true; progress && budget > 0;) {
      progress = false;
      for (const candidate of smaller(best)) {
        if (budget-- <= 0) break;
        const outcome = await this.exchange(candidate);
        this.replays++;
        if (
          outcome.kind === problem.kind &&
          outcome.status === problem.status &&
          normalized(outcome.detail ?? '') === normalized(problem.detail)
        ) {
          best = candidate;
          progress = true;
          break;
        }
      }
    }
    await this.rebaseline();
    return best;
  }

  /** Runs a property that sends one request per run; the problems found are in `problems`. */
  async hammer(arb: fc.Arbitrary<Req>, numRuns: number, seed: number): Promise<void> {
    await fc.assert(
      fc.asyncProperty(arb, async (req) => {
        await this.send(req);
      }),
      { seed, numRuns },
    );
  }

  async report(problems: Problem[]): Promise<string> {
    const parts: string[] = [];
    for (const [i, p] of problems.entries()) {
      const minimal = await this.minimize(p);
      parts.push(
        `#${i + 1} ${p.kind} — status ${p.status}, seen ${p.count}×\n  ${p.detail}\n  route: ${p.req.method} ${p.req.route}\n  reproducer: ${describeReq(minimal)}`,
      );
    }
    return parts.join('\n\n');
  }
}

/** One line per cause of the given problems, with the routes it showed on (reproducers: Runner.report). */
export function problemCauses(problems: Problem[]): string[] {
  const causes = new Map<string, string[]>();
  for (const p of problems) {
    const cause = `${p.kind} | ${p.status} | ${normalized(p.detail)}`;
    causes.set(cause, [...(causes.get(cause) ?? []), `${p.req.method} ${p.req.route} (${p.count}×)`]);
  }
  return [...causes].map(([cause, routes]) => `${cause} — on ${routes.join(', ')}`);
}
