// Data set-up through the operator API, as spec/admin-api.md intends.
import { expect } from 'vitest';
import type { ApplicationResult } from '../../src/commands/submit-application.ts';
import type { TestApp } from './app.ts';

let counter = 0;

export interface PsychologistFixture {
  id: string;
  name: string;
}

export async function createPsychologist(
  t: TestApp,
  overrides: Record<string, unknown> = {},
): Promise<PsychologistFixture> {
  counter++;
  const res = await t.admin({
    method: 'POST',
    url: '/admin/psychologists',
    payload: {
      name: `Психолог Тестовый${counter}`,
      sex: 'female',
      min_price: 2000,
      max_price: 4000,
      queries: ['Тревога'],
      ...overrides,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const { psychologist } = res.json();
  return { id: psychologist.id, name: psychologist.name };
}

export async function addSlots(
  t: TestApp,
  psychologistId: string,
  slots: string[],
  extra: Record<string, unknown> = {},
) {
  const res = await t.admin({
    method: 'POST',
    url: '/admin/slots',
    payload: { psychologist_id: psychologistId, slots, ...extra },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().created as { id: string; start_iso: string; date: string; time: string }[];
}

/** The answer of POST /submit-application. */
export type Submitted = ApplicationResult;

export async function submitApplication(
  t: TestApp,
  overrides: Record<string, unknown> = {},
): Promise<Submitted> {
  counter++;
  const res = await t.app.inject({
    method: 'POST',
    url: '/submit-application',
    payload: {
      name: 'Мария',
      age: 30,
      contact: { type: 'telegram', value: `@client_user${counter}` },
      selected_slots: [],
      preferences: { gender: 'any', price_max: 5000, specializations: [] },
      ...overrides,
    },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A POST with a client token (or the service key) as the bearer credential. */
export function postAs(t: TestApp, token: string, url: string, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url, headers: bearer(token), payload });
}
