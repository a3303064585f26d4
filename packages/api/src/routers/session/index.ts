import { router } from '../../trpc.ts';
import { createSession } from './create-session.ts';
import { getSession } from './get-session.ts';

export const sessionRouter = router({ create: createSession, get: getSession });
