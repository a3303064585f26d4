import { accountRouter } from './routers/account/index.ts';
import { authRouter } from './routers/auth/index.ts';
import { blocksRouter } from './routers/blocks/index.ts';
import { chatRouter } from './routers/chat/index.ts';
import { interestsRouter } from './routers/interests/index.ts';
import { matchRouter } from './routers/match/index.ts';
import { moderationRouter } from './routers/moderation/index.ts';
import { sessionRouter } from './routers/session/index.ts';
import { getHealth } from './routers/system/get-health.ts';
import { createCallerFactory, router } from './trpc.ts';

export const appRouter = router({
  session: sessionRouter,
  auth: authRouter,
  account: accountRouter,
  match: matchRouter,
  chat: chatRouter,
  blocks: blocksRouter,
  interests: interestsRouter,
  moderation: moderationRouter,
  system: router({ health: getHealth }),
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
