import { z } from 'zod';
import { ZBlock } from './blocks.ts';
import { ZPlan, ZRole } from './session.ts';

/** SPEC §10 deletion: a registered person confirms with their password; a stranger sends `{}`. */
export const ZDeleteAccountInput = z.object({
  password: z.string().min(1).max(200).optional(),
});
export type TDeleteAccountInput = z.infer<typeof ZDeleteAccountInput>;

/** Who the export is about: the account, or the stranger session that is the person. */
export const ZExportPerson = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('registered'),
    account_id: z.string(),
    username: z.string(),
    plan: ZPlan,
    role: ZRole,
    created_at: z.string(),
  }),
  z.object({
    kind: z.literal('stranger'),
    session_id: z.string(),
    plan: ZPlan,
    role: ZRole,
    created_at: z.string(),
  }),
]);

/** A session of the person, as the sessions list shows it, signed-out ones included. */
export const ZExportSession = z.object({
  id: z.string(),
  current: z.boolean(),
  created_at: z.string(),
  last_seen_at: z.string(),
  user_agent: z.string().nullable(),
  revoked: z.boolean(),
  revoked_at: z.string().nullable(),
});

/** A message the person sent (never the partner's). */
export const ZExportMessage = z.object({ id: z.number().int(), text: z.string(), created_at: z.string() });

export const ZExportChat = z.object({
  token: z.string(),
  /** "Stranger", or the partner's username. */
  partner: z.string(),
  matched_interest: z.string().nullable(),
  created_at: z.string(),
  /** When it ended or expired; null while it runs. */
  ended_at: z.string().nullable(),
  messages: z.array(ZExportMessage),
});

/** GET /v1/portal/account/export: everything Portal holds that is the caller's own. */
export const ZAccountExport = z
  .object({
    exported_at: z.string(),
    person: ZExportPerson,
    sessions: z.array(ZExportSession),
    chats: z.array(ZExportChat),
    /** The blocks the person made (as GET /blocks lists them). */
    blocks: z.array(ZBlock),
  })
  .meta({ id: 'AccountExport' });
export type TAccountExport = z.infer<typeof ZAccountExport>;

/** The attachment name of an export made at `at`: portal-export-YYYY-MM-DD.json. */
export const exportFileName = (at: Date): string => `portal-export-${at.toISOString().slice(0, 10)}.json`;
