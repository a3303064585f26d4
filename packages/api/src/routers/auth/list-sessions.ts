import { ZSessionList } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { authedProcedure } from '../../trpc.ts';

export const listSessions = authedProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/v1/portal/auth/sessions',
      tags: ['auth'],
      summary: 'Where I am signed in',
      description: [
        'A registered person gets every live session of the account (not revoked, not expired); a stranger only',
        'their own. `id` is the id `GET /session` shows; `current` marks the session of this request, listed first,',
        'then the most recently seen. `last_seen_at` is precise to about an hour (it is stored at most once an',
        'hour). `user_agent` is the one the session was created, signed in or registered with (null if none was',
        'sent), and `device` a readable name derived from it, such as "Chrome on Linux" or "Safari on iPhone"',
        '("Unknown device" when nothing is recognised).',
      ].join(' '),
    },
  })
  .input(ZNoInput)
  .output(ZSessionList)
  .query(({ ctx }) => ctx.core.sessions.list(ctx.principal));
