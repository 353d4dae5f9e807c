import type { Context } from 'grammy';

/** The update id as the dedupe part of what a handler writes: a retried update writes nothing twice. */
export const updateKey = (ctx: Context) => String(ctx.update.update_id);
