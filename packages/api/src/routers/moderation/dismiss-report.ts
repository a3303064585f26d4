import { ZModerationResult, ZTargetWithNote } from '@portal/contracts';
import { moderatorProcedure } from '../../trpc.ts';

export const dismissReport = moderatorProcedure
  .meta({
    errors: ['ERR_FORBIDDEN', 'ERR_ACCOUNT_SUSPENDED', 'ERR_NOT_FOUND'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/moderation/reports/{id}/dismiss',
      tags: ['moderation'],
      summary: 'Dismiss a report',
      description:
        'Moderators only. Closes the report without acting on anyone; `reason` (optional) goes to the audit trail. A report about the moderator themselves is 403 `ERR_FORBIDDEN`: another moderator handles it.',
    },
  })
  .input(ZTargetWithNote.strict())
  .output(ZModerationResult)
  .mutation(({ ctx, input }) => ctx.core.moderation.dismissReport(ctx.principal, input.id, input.reason ?? null));
