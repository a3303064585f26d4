import { ZModerationResult, ZTargetWithNote } from '@portal/contracts';
import { moderatorProcedure } from '../../trpc.ts';

export const unblockSession = moderatorProcedure
  .meta({
    errors: ['ERR_FORBIDDEN', 'ERR_ACCOUNT_SUSPENDED', 'ERR_NOT_FOUND'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/moderation/sessions/{id}/unblock',
      tags: ['moderation'],
      summary: 'Lift a block',
      description: 'Moderators only; `reason` optional. The stranger may search again. Recorded in the audit trail.',
    },
  })
  .input(ZTargetWithNote.strict())
  .output(ZModerationResult)
  .mutation(({ ctx, input }) => ctx.core.moderation.unblockSession(ctx.principal, input.id, input.reason ?? null));
