// A database webhook told us a slot changed outside the service (POST /notify-update). free → booked
// runs the booking process for the slot's session; booked → free runs the cancellation process.
// The webhook carries no event id, so a repeated delivery is recognised by record.updated_at (or a hash
// of the body) in processed_events and acted on once.
import { createHash } from 'node:crypto';
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { isUuid, psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { processedEventsRepository } from '../repositories/processed-events.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { messages } from '../texts/messages.ts';
import { adminMessage, cancelActiveSession, notify, runBookingProcess } from './session-processes.ts';
import { inTransaction } from './transaction.ts';

export interface SlotEvent {
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  table: string;
  record?: Record<string, unknown> | null;
  old_record?: Record<string, unknown> | null;
}

export type SlotEventAction = 'booking' | 'cancellation' | 'ignored';

function eventKey(event: SlotEvent, rawBody: string): string {
  const record = event.record ?? {};
  if (typeof record.updated_at === 'string' && typeof record.id === 'string') {
    return `slot-event:${record.id}:${record.updated_at}:${String(record.state)}`;
  }
  return `slot-event:${createHash('sha256').update(rawBody).digest('hex')}`;
}

function transition(event: SlotEvent): 'booked' | 'freed' | null {
  if (event.table !== 'hraniteli_slots' || event.type === 'DELETE') return null;
  const now = event.record?.state;
  const before = event.old_record?.state;
  if (now === 'booked' && before !== 'booked') return 'booked';
  if (now === 'free' && event.type === 'UPDATE' && before !== 'free') return 'freed';
  return null;
}

export async function handleSlotEvent(
  deps: Deps,
  actor: Actor,
  input: { event: SlotEvent; rawBody: string },
): Promise<SlotEventAction> {
  requireService(actor);
  const { event, rawBody } = input;
  const change = transition(event);
  const slotId = event.record?.id;
  if (!change || typeof slotId !== 'string' || !isUuid(slotId)) return 'ignored';
  const key = eventKey(event, rawBody);

  return inTransaction(deps, async (trx, events) => {
    if (!(await processedEventsRepository.firstDelivery(trx, key, deps.clock.now()))) return 'ignored';
    const slot = await slotsRepository.findById(trx, slotId, true);
    if (!slot) return 'ignored';
    events.record({ type: 'slots-changed' });
    const session = await sessionsRepository.activeOfSlot(trx, slotId, true);

    if (change === 'booked') {
      if (!session) {
        const psychologist = await psychologistsRepository.findById(trx, slot.psychologist_id);
        await notify(deps, trx, [
          adminMessage(
            deps,
            `slot-booked-by-hand:${key}`,
            messages.slotBookedWithoutSessionAdmin(psychologist?.name ?? '—', slot.start_at),
          ),
        ]);
        return 'ignored';
      }
      await runBookingProcess(deps, trx, events, session);
      return 'booking';
    }
    if (session) {
      await cancelActiveSession(deps, trx, events, session, messages.slotFreedReason, 'slot_freed');
    }
    return 'cancellation';
  });
}
