// GET /get-schedule and GET /get-assigment-coeff: a psychologist's four weekly schedule messages, and
// the parts of their assignment coefficient.
import type { Deps } from '../deps.ts';
import type { Psychologist } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { assignedWindow, remainingCoefficient } from '../domain/coefficient.ts';
import { notFound } from '../errors.ts';
import { normalizeName } from '../domain/names.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { scheduleWindow, weeklySchedule } from '../texts/schedule.ts';

async function psychologistNamed(deps: Deps, name: string): Promise<Psychologist> {
  const psychologist = await psychologistsRepository.findByName(deps.db, name);
  if (!psychologist) throw notFound('psychologist', `психолог «${name}» не найден`);
  return psychologist;
}

/**
 * The four weekly messages of a psychologist's slots (public: times only, no clients). A free slot that
 * has started is no longer offered (nobody can take it); booked ones stay, today's past ones too. Cached
 * per name (or psychologist) and minute, the look-up by name included: renaming or adding a
 * psychologist, and every slot or session change, drop the cache.
 */
export async function scheduleMessages(
  deps: Deps,
  _actor: Actor,
  input: { psychologistName: string } | { psychologist: Psychologist },
): Promise<string[]> {
  const now = deps.clock.now();
  const window = scheduleWindow(now);
  const who =
    'psychologist' in input ? `id:${input.psychologist.id}` : `name:${normalizeName(input.psychologistName)}`;
  const minute = Math.floor(now.getTime() / 60_000) * 60_000;
  return deps.listings.value(`schedule:${who}:${minute}`, async () => {
    const psychologist =
      'psychologist' in input ? input.psychologist : await psychologistNamed(deps, input.psychologistName);
    const slots = await slotsRepository.ofPsychologistBetween(
      deps.db,
      psychologist.id,
      window.from,
      window.to,
    );
    return weeklySchedule(
      now,
      slots
        .filter((s) => s.state === 'booked' || s.start_at.getTime() > minute)
        .map((s) => ({ startAt: s.start_at, booked: s.state === 'booked' })),
    );
  });
}

export async function assignmentCoefficient(deps: Deps, actor: Actor, input: { psychologistName: string }) {
  requireService(actor);
  const psychologist = await psychologistNamed(deps, input.psychologistName);
  const parts = await psychologistsRepository.coefficientParts(
    deps.db,
    psychologist.id,
    assignedWindow(deps.clock.now()),
  );
  const debt = Number(parts?.debt ?? 0);
  const clientsProvided = Number(parts?.clients_provided ?? 0);
  const assigned = Number(parts?.assigned ?? 0);
  return {
    psychologist: psychologist.name,
    coefficient: remainingCoefficient({ debt, clientsProvided, assigned }),
    debt,
    clientsProvided,
    assigned,
  };
}
