// How much one answer may list (spec/quality.md API4): a list that could grow without bound is cut at
// these, and a route that may hold more pages through it (limit and cursor).

/** Records per answer: a page of a list, or the newest records of one ticket or person. */
export const MAX_PAGE = 500;
/** Slots per answer of the slot listings. */
export const MAX_SLOTS = 5000;

/**
 * What one public web form may store: its tracking record keeps the first MAX_TRACKED_STEPS steps of its
 * history (the current step always moves), and its step answers hold at most MAX_STEP_FIELDS fields (the
 * forms send about 30). Anyone may write these, so one form id must not grow without bound.
 */
export const MAX_TRACKED_STEPS = 200;
export const MAX_STEP_FIELDS = 100;
