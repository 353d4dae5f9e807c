// The form funnel operators read (spec/admin-api.md): how many tracked forms reached each step, in the
// order the steps were first seen, as a share of the forms that started, and how many were lost between
// consecutive steps. Pure: one row per tracked form and step in, the funnel out.

export interface FunnelInput {
  tracking_id: string;
  form_type: string;
  step: string;
  /** When this form first reached the step. */
  first_at: Date;
  /** Insertion order of that first step row, to order steps reached at the same instant. */
  first_id: number;
}

export interface FunnelStep {
  step: string;
  tickets: number;
  share_of_start: number;
  /** Forms that reached the previous step but are not counted here (0 for the first step). */
  drop_off: number;
  /** drop_off as a share of the previous step's forms (0 for the first step). */
  drop_off_share: number;
}

const share = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : 0);

/** The funnel of `started` tracked forms whose steps are `rows`. */
export function funnel(rows: readonly FunnelInput[], started: number): FunnelStep[] {
  const steps = new Map<string, { firstAt: number; firstId: number; forms: Set<string> }>();
  for (const row of rows) {
    const at = row.first_at.getTime();
    const seen = steps.get(row.step);
    if (!seen) {
      steps.set(row.step, { firstAt: at, firstId: row.first_id, forms: new Set([row.tracking_id]) });
      continue;
    }
    seen.forms.add(row.tracking_id);
    if (at < seen.firstAt || (at === seen.firstAt && row.first_id < seen.firstId)) {
      seen.firstAt = at;
      seen.firstId = row.first_id;
    }
  }
  const ordered = [...steps.entries()].sort(([, a], [, b]) => a.firstAt - b.firstAt || a.firstId - b.firstId);
  let previous: number | undefined;
  return ordered.map(([step, { forms }]) => {
    const tickets = forms.size;
    const dropOff = previous === undefined ? 0 : Math.max(previous - tickets, 0);
    const result = {
      step,
      tickets,
      share_of_start: share(tickets, started),
      drop_off: dropOff,
      drop_off_share: previous === undefined ? 0 : share(dropOff, previous),
    };
    previous = tickets;
    return result;
  });
}
