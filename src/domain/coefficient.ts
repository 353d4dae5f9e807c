// The assignment coefficient (get-assigment-coeff), the one rule that orders matching everywhere:
// debt − clients provided this month − sessions booked after today until the end of the month (Moscow).
// The seed: «количество назначенных после сегодняшнего числа сессий до конца месяца».
import { moscowDayStart, moscowNextMonthStart } from './time.ts';

/** The sessions counted as assigned: active, starting from tomorrow 00:00 to the month's end (Moscow). */
export function assignedWindow(now: Date): { from: Date; to: Date } {
  const from = moscowDayStart(now, 1);
  const to = moscowNextMonthStart(now);
  // On the last day of a month nothing is left to count: the window is empty, not negative.
  return { from, to: to.getTime() < from.getTime() ? from : to };
}

export function remainingCoefficient(parts: {
  debt: number;
  clientsProvided: number;
  assigned: number;
}): number {
  return parts.debt - parts.clientsProvided - parts.assigned;
}
