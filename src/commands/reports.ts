// The operators' reports on the web forms (spec/admin-api.md): the form funnel, and the research
// responses and the applications as CSV for spreadsheets — UTF-8 with a BOM (so Excel reads Cyrillic),
// CRLF rows, one column per field, and cells that would start a formula escaped with a quote (people
// type these answers). Service only: every row is personal data.
import { stringify } from 'csv-stringify/sync';
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { funnel, type FunnelStep } from '../domain/funnel.ts';
import { partsAt } from '../domain/time.ts';
import type { TicketType } from '../domain/vocabulary.ts';
import { formsRepository } from '../repositories/forms.repository.ts';
import { researchRepository } from '../repositories/research.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { MAX_PAGE } from '../domain/limits.ts';
import { badRequest } from '../errors.ts';

export interface Period {
  /** Start of the first Moscow day, inclusive. */
  from?: Date;
  /** Start of the day after the last one, exclusive. */
  to?: Date;
}

export interface FunnelReport {
  success: true;
  form_type: string | null;
  started: number;
  steps: FunnelStep[];
  form_types: { form_type: string; started: number; steps: FunnelStep[] }[];
}

/** GET /admin/analytics/funnel: the funnel of the forms tracked in the period (of one form type). */
export async function funnelReport(
  deps: Deps,
  actor: Actor,
  input: Period & { formType?: string },
): Promise<FunnelReport> {
  requireService(actor);
  const filter = {
    ...(input.formType !== undefined ? { formType: input.formType } : {}),
    ...(input.from ? { from: input.from } : {}),
    ...(input.to ? { to: input.to } : {}),
  };
  const [rows, counts] = await Promise.all([
    formsRepository.funnelRows(deps.db, filter),
    formsRepository.trackedCounts(deps.db, filter),
  ]);
  const started = counts.reduce((sum, c) => sum + Number(c.n), 0);
  return {
    success: true,
    form_type: input.formType ?? null,
    started,
    // Step and form-type names come from the public forms: the answer lists the first MAX_PAGE of each.
    steps: funnel(rows, started).slice(0, MAX_PAGE),
    form_types: counts
      .sort((a, b) => Number(b.n) - Number(a.n) || a.form_type.localeCompare(b.form_type, 'ru'))
      .slice(0, MAX_PAGE)
      .map((c) => ({
        form_type: c.form_type,
        started: Number(c.n),
        steps: funnel(
          rows.filter((r) => r.form_type === c.form_type),
          Number(c.n),
        ).slice(0, MAX_PAGE),
      })),
  };
}

/** The research form's fields in the order of the form (spec/endpoints.md, Research questionnaire). */
export const RESEARCH_FIELDS = [
  'age',
  'city',
  'sex',
  'psychoEducated',
  'anxieties',
  'customAnexiety',
  'hasPsychoExperience',
  'meetType',
  'selectionСriteria',
  'custmCreteria',
  'importancePsycho',
  'customImportance',
  'agePsycho',
  'sexPsycho',
  'priceLastSession',
  'durationSession',
  'reasonCancel',
  'pricePsycho',
  'reasonNonApplication',
  'contactType',
  'contact',
  'name',
  'is_adult',
  'is_last_page',
  'occupation',
  'utm_client',
  'utm_campaign',
  'utm_content',
  'utm_medium',
  'utm_source',
  'utm_term',
  'referer',
] as const;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "YYYY-MM-DD HH:mm:ss" in Moscow: a form every spreadsheet reads as a date and time. */
export function spreadsheetTime(date: Date | null): string {
  if (!date) return '';
  const p = partsAt(date);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(date.getUTCSeconds())}`;
}

/** One cell: lists joined with "; ", objects as JSON, nothing as an empty cell. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (
    Array.isArray(value) &&
    value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
  )
    return value.map(cell).join('; ');
  // JSON has no value it cannot print, but a cell is never undefined whatever reaches it.
  return JSON.stringify(value) ?? '';
}

/**
 * A line break inside a cell followed by what a spreadsheet reads as a formula: = + - @ or a tab, also
 * their full-width forms (csv-stringify's escape_formulas list).
 */
const FORMULA_AFTER_BREAK = /(\r\n|\r|\n)(?=[=+\-@\t\uFF1D\uFF0B\uFF0D\uFF20])/g;

/**
 * A multi-line cell gets a quote after each break that a formula follows: escape_formulas looks at the
 * cell's first character only, and a spreadsheet that splits the cell at the break (or a reader that
 * takes a lone line break for a row's end) would see a live formula in the next line.
 */
const defused = (text: string) => text.replace(FORMULA_AFTER_BREAK, "$1'");

const csv = (header: string[], rows: string[][]) =>
  '\uFEFF' +
  stringify(
    [header, ...rows].map((row) => row.map(defused)),
    // With CRLF rows csv-stringify quotes only cells holding a whole CRLF; a lone \n or \r left bare
    // ends the row for most readers, so every cell with either is quoted and stays in its row.
    { record_delimiter: 'windows', quote_record_delimiter: true, escape_formulas: true },
  );

/**
 * A stored JSON object's fields, without a prototype: a column named after a field another row sent
 * ("toString", "constructor") must read as absent here, not as Object.prototype's function.
 */
const record = (value: unknown): Record<string, unknown> =>
  Object.assign(
    Object.create(null) as Record<string, unknown>,
    value && typeof value === 'object' && !Array.isArray(value) ? value : {},
  );

/** Rows one export may hold: a longer period is refused rather than cut (a spreadsheet short of rows misleads). */
export const MAX_EXPORT_ROWS = 50_000;

function exportable<T>(rows: T[]): T[] {
  if (rows.length > MAX_EXPORT_ROWS)
    throw badRequest('from', `the period holds more than ${MAX_EXPORT_ROWS} rows: export a shorter one`);
  return rows;
}

/** A stored research answer's cell: the form sends "null" (the utm_* above all) for an absent value. */
const answer = (value: unknown) => (value === 'null' ? '' : cell(value));

/** GET /admin/research.csv: the research responses created in the period, by row number. */
export async function researchCsv(deps: Deps, actor: Actor, input: Period): Promise<string> {
  requireService(actor);
  const rows = exportable(await researchRepository.list(deps.db, { ...input, limit: MAX_EXPORT_ROWS + 1 }));
  const known = new Set<string>(RESEARCH_FIELDS);
  const extra = [...new Set(rows.flatMap((r) => Object.keys(record(r.payload))))]
    .filter((key) => !known.has(key))
    .sort();
  const header = [
    'row',
    'baserow_id',
    'created_at',
    'lead_number',
    'ticket_id',
    ...RESEARCH_FIELDS,
    ...extra,
    'contacts_name',
    'contacts_contact',
    'contacts_contact_type',
    'contacts_age',
    'contacts_form_psy_client_info',
    'contacts_updated_at',
  ];
  const body = rows.map((r) => {
    const payload = record(r.payload);
    return [
      String(r.row_number),
      String(r.id),
      spreadsheetTime(r.created_at),
      r.lead_number ?? '',
      r.ticket_id ?? '',
      ...RESEARCH_FIELDS.map((field) => answer(payload[field])),
      ...extra.map((field) => answer(payload[field])),
      r.contacts_updated_at ? (r.name ?? '') : '',
      r.contacts_updated_at ? (r.contact ?? '') : '',
      r.contacts_updated_at ? (r.contact_type ?? '') : '',
      r.contacts_updated_at ? (r.age ?? '') : '',
      cell(r.form_psy_client_info),
      spreadsheetTime(r.contacts_updated_at),
    ];
  });
  return csv(header, body);
}

export const APPLICATION_COLUMNS = [
  'ticket_id',
  'form_ticket_id',
  'created_at',
  'type',
  'status',
  'lead_number',
  'name',
  'age',
  'contact_type',
  'contact',
  'request_text',
  'psychologist_sex',
  'client_states',
  'traumatic_events',
  'diagnoses',
  'medications',
  'selected_psychologist',
  'selected_slot',
  'offered_psychologists',
  'psychologist',
  'session_psychologist',
  'session_time',
  'session_status',
  'session_kind',
  'promocode',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_content',
  'utm_term',
  'utm_client',
  'research_row',
] as const;

/** GET /admin/applications.csv: the tickets created in the period, oldest first. */
export async function applicationsCsv(
  deps: Deps,
  actor: Actor,
  input: Period & { type?: TicketType },
): Promise<string> {
  requireService(actor);
  const rows = exportable(
    await ticketsRepository.exportRows(deps.db, { ...input, limit: MAX_EXPORT_ROWS + 1 }),
  );
  const body = rows.map((t) => {
    const typed = record(t.typed_contact);
    const prefs = record(t.preferences);
    const utm = record(t.utm);
    const values: Record<(typeof APPLICATION_COLUMNS)[number], unknown> = {
      ticket_id: t.ticket_id,
      form_ticket_id: t.form_ticket_id,
      created_at: spreadsheetTime(t.created_at),
      type: t.type,
      status: t.status,
      lead_number: t.lead_number,
      name: typed.name,
      age: typed.age,
      contact_type: typed.type,
      contact: typed.value,
      request_text: t.request_text,
      psychologist_sex: prefs.psychologist_sex ?? prefs.gender,
      client_states: prefs.client_states,
      traumatic_events: prefs.traumatic_events,
      diagnoses: prefs.diagnoses,
      medications: prefs.medications,
      selected_psychologist: prefs.selected_psychologist,
      selected_slot: prefs.selected_slot,
      offered_psychologists: prefs.offered,
      psychologist: t.psychologist_name,
      session_psychologist: t.session_psychologist,
      session_time: spreadsheetTime(t.session_start),
      session_status: t.session_status,
      session_kind: t.session_kind,
      promocode: t.promocode,
      utm_source: utm.source,
      utm_medium: utm.medium,
      utm_campaign: utm.campaign,
      utm_content: utm.content,
      utm_term: utm.term,
      utm_client: utm.client,
      research_row: t.research_row,
    };
    return APPLICATION_COLUMNS.map((column) => cell(values[column]));
  });
  return csv([...APPLICATION_COLUMNS], body);
}
