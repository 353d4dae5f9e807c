// The research questionnaire (spec/endpoints.md, Research questionnaire; spec/web-form.md A, B.8): one
// row per response with a sequential row number and a random database id. The form learns its row's
// pair from get-sheets-row-number, which it calls without parameters right after posting, and sends the
// pair back with the application and update-contacts-stb. The pair is what lets a later request touch
// the row, so it is handed only to whoever created the row: the same client address and User-Agent
// within 10 minutes. A requester with no recent row gets zeros — never someone else's pair.
import { createHmac } from 'node:crypto';
import type { Deps } from '../deps.ts';
import type { Actor } from '../domain/access.ts';
import { formText } from '../domain/web-form.ts';
import { badRequest, notFound } from '../errors.ts';
import { researchRepository } from '../repositories/research.repository.ts';
import { inTransaction } from './transaction.ts';

/** How long after posting a requester is handed their own row. */
export const OWN_ROW_WINDOW_MS = 10 * 60_000;
/** How long a row accepts its contacts. */
export const CONTACTS_WINDOW_MS = 24 * 60 * 60_000;

/** Who sent a request, as a keyed hash: the address and User-Agent are not kept themselves. */
export interface Requester {
  ip: string;
  userAgent: string | undefined;
}

function requesterKey(deps: Deps, requester: Requester): string {
  return createHmac('sha256', deps.apiKey)
    .update(`research-requester\n${requester.ip}\n${requester.userAgent ?? ''}`)
    .digest('base64url');
}

export interface ResearchRowAnswer {
  success: true;
  rowId: number;
  baserowId: number;
  row: number;
}

/** POST /research-tilda-zayavka: stores the response as sent (unknown fields too). */
export async function submitResearch(
  deps: Deps,
  _actor: Actor,
  input: { payload: Record<string, unknown>; requester: Requester },
): Promise<ResearchRowAnswer> {
  const p = input.payload;
  const contactType = formText(p.contactType);
  const contact = formText(p.contact);
  const name = formText(p.name);
  const age = formText(p.age);
  const row = await researchRepository.insert(
    deps.db,
    {
      payload: p,
      requester: requesterKey(deps, input.requester),
      ...(name ? { name } : {}),
      ...(contact ? { contact } : {}),
      ...(contactType ? { contactType } : {}),
      ...(age ? { age } : {}),
    },
    deps.clock.now(),
  );
  return { success: true, rowId: row.row_number, baserowId: row.id, row: row.row_number };
}

/**
 * GET /get-sheets-row-number: the next free row number, and the pair of the requester's own latest row
 * (0 and 0 when they posted none in the last 10 minutes).
 */
export async function researchRowNumber(
  deps: Deps,
  _actor: Actor,
  input: { requester: Requester },
): Promise<{ row: number; rowId: number; baserowId: number }> {
  const now = deps.clock.now();
  const [own, max] = await Promise.all([
    researchRepository.latestOfRequester(
      deps.db,
      requesterKey(deps, input.requester),
      new Date(now.getTime() - OWN_ROW_WINDOW_MS),
    ),
    researchRepository.maxRowNumber(deps.db),
  ]);
  return { row: max === null ? 2 : max + 1, rowId: own?.row_number ?? 0, baserowId: own?.id ?? 0 };
}

/** PUT /update-contacts-stb: adds the contacts to the row both ids name, within a day of its creation. */
export async function updateResearchContacts(
  deps: Deps,
  _actor: Actor,
  input: {
    rid: number;
    bid: number;
    contact?: string;
    contactType?: string;
    name?: string;
    age?: string;
    formPsyClientInfo?: unknown;
  },
): Promise<{ success: true }> {
  await inTransaction(deps, async (trx) => {
    const now = deps.clock.now();
    const row = await researchRepository.findPair(trx, input.rid, input.bid);
    if (!row || now.getTime() - row.created_at.getTime() > CONTACTS_WINDOW_MS)
      throw notFound('research_row', 'строка исследования не найдена');
    await researchRepository.updateContacts(
      trx,
      row.id,
      {
        name: input.name ?? null,
        contact: input.contact ?? null,
        contactType: input.contactType ?? null,
        age: input.age ?? null,
        formPsyClientInfo: input.formPsyClientInfo,
      },
      now,
    );
  });
  return { success: true };
}

/** The research row a form's rid and bid name; both are required to be positive whole numbers. */
export function researchPair(rid: number | undefined, bid: number | undefined): { rid: number; bid: number } {
  if (rid === undefined) throw badRequest('rid', 'must be the row number get-sheets-row-number gave');
  if (bid === undefined) throw badRequest('bid', 'must be the id get-sheets-row-number gave');
  return { rid, bid };
}
