import { z } from 'zod';
import { ZChatToken, ZId } from './ids.ts';
import { MAX_REASON_LENGTH, noNul, RULE_MESSAGES } from './rules.ts';

/** How many of a chat's last messages a report keeps for the moderators. */
export const REPORT_EXCERPT_SIZE = 20;

/** Why someone reports, blocks or suspends: 1–500 characters after trimming. */
export const ZReason = z
  .string()
  .refine(noNul, RULE_MESSAGES.nul)
  .transform((text) => text.trim())
  .pipe(z.string().min(1, RULE_MESSAGES.reasonEmpty).max(MAX_REASON_LENGTH, RULE_MESSAGES.reasonLong));

export const ZReportInput = z.object({ token: ZChatToken, reason: ZReason });

export const ZReportReceipt = z
  .object({
    id: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'ReportReceipt' });
export type TReportReceipt = z.infer<typeof ZReportReceipt>;

export const ZExcerptLine = z.object({
  /** Who wrote it, from the report's point of view. */
  from: z.enum(['reporter', 'reported']),
  text: z.string(),
  created_at: z.string(),
});

export const ZParty = z.object({
  session_id: z.string(),
  /** null for a stranger. */
  account_id: z.string().nullable(),
  username: z.string().nullable(),
  /** The session is blocked (strangers) or the account suspended (registered). */
  restricted: z.boolean(),
});
export type TParty = z.infer<typeof ZParty>;

export const ZReport = z
  .object({
    id: z.string(),
    reason: z.string(),
    created_at: z.string(),
    matched_interest: z.string().nullable(),
    reporter: ZParty,
    reported: ZParty,
    excerpt: z.array(ZExcerptLine),
  })
  .meta({ id: 'Report' });
export type TReport = z.infer<typeof ZReport>;

export const ZReportList = z.object({ reports: z.array(ZReport) }).meta({ id: 'ReportList' });
export type TReportList = z.infer<typeof ZReportList>;

export const ZAuditAction = z.enum([
  'block',
  'unblock',
  'suspend',
  'unsuspend',
  'dismiss_report',
  'set_plan',
  'set_role',
  'revoke_session',
]);
export type TAuditAction = z.infer<typeof ZAuditAction>;

export const ZAuditEntry = z
  .object({
    id: z.string(),
    /** A moderator (with `actor_username`) or the operator's command line. */
    actor: z.enum(['moderator', 'operator']),
    actor_username: z.string().nullable(),
    action: ZAuditAction,
    target_kind: z.enum(['session', 'account', 'report']),
    target_id: z.string(),
    reason: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'AuditEntry' });
export type TAuditEntry = z.infer<typeof ZAuditEntry>;

export const ZAuditList = z.object({ entries: z.array(ZAuditEntry) }).meta({ id: 'AuditList' });
export type TAuditList = z.infer<typeof ZAuditList>;

/** Path ids are UUIDs; anything else cannot name a row (404, like an unknown id). */
export const ZTargetInput = z.object({ id: ZId });
export const ZTargetWithReason = ZTargetInput.extend({ reason: ZReason });
/** Lifting a block or dismissing a report: the reason is optional. */
export const ZTargetWithNote = ZTargetInput.extend({ reason: ZReason.optional() });

export const ZAuditQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).optional() });

export const ZModerationResult = z
  .object({
    target_kind: z.enum(['session', 'account', 'report']),
    target_id: z.string(),
    /** After the action: blocked / suspended, or (for a report) dismissed. */
    restricted: z.boolean(),
    /** Chats the action ended (both sides were told). */
    chats_ended: z.number().int(),
  })
  .meta({ id: 'ModerationResult' });
export type TModerationResult = z.infer<typeof ZModerationResult>;
