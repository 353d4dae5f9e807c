// How much one answer may list (spec/quality.md API4): a list that could grow without bound is cut at
// these, and a route that may hold more pages through it (limit and cursor).

/** Records per answer: a page of a list, or the newest records of one ticket or person. */
export const MAX_PAGE = 500;
/** Slots per answer of the slot listings. */
export const MAX_SLOTS = 5000;
