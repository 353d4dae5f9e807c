// SQL for the operators' chat threads: which client a relayed message in the admin chat belongs to, so
// that a reply to it reaches that client.
import type { Executor } from '../deps.ts';

export const adminThreadsRepository = {
  async clientOf(db: Executor, adminMessageId: string): Promise<string | undefined> {
    const row = await db
      .selectFrom('admin_threads')
      .select('client_id')
      .where('admin_message_id', '=', adminMessageId)
      .executeTakeFirst();
    return row?.client_id;
  },
};
