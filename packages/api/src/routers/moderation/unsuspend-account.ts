import { ZModerationResult, ZTargetWithNote } from '@portal/contracts';
import { moderatorProcedure } from '../../trpc.ts';

export const unsuspendAccount = moderatorProcedure
  .meta({
    errors: ['ERR_FORBIDDEN', 'ERR_ACCOUNT_SUSPENDED', 'ERR_NOT_FOUND'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/moderation/accounts/{id}/unsuspend',
      tags: ['moderation'],
      summary: 'Lift a suspension',
      description:
        "Moderators only; `reason` optional. The account may search again. A moderator's account is 403 `ERR_FORBIDDEN` (only the operator's `pnpm portal unsuspend` can). Recorded in the audit trail.",
    },
  })
  .input(ZTargetWithNote.strict())
  .output(ZModerationResult)
  .mutation(({ ctx, input }) => ctx.core.moderation.unsuspendAccount(ctx.principal, input.id, input.reason ?? null));
