import { ZAuditList, ZAuditQuery } from '@portal/contracts';
import { moderatorProcedure } from '../../trpc.ts';

export const listAudit = moderatorProcedure
  .meta({
    errors: ['ERR_FORBIDDEN', 'ERR_ACCOUNT_SUSPENDED'],
    openapi: {
      method: 'GET',
      path: '/v1/portal/moderation/audit',
      tags: ['moderation'],
      summary: 'The audit trail',
      description:
        'Moderators only. The latest moderator and operator actions, newest first (`limit` 1–500, default 100): who did what to whom, when and why.',
    },
  })
  .input(ZAuditQuery.strict())
  .output(ZAuditList)
  .query(({ ctx, input }) => ctx.core.moderation.audit(ctx.principal, input.limit));
