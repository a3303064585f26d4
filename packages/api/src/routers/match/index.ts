import { router } from '../../trpc.ts';
import { cancelMatch } from './cancel-match.ts';
import { enqueueMatch } from './enqueue-match.ts';
import { getMatchStatus } from './get-match-status.ts';

export const matchRouter = router({ enqueue: enqueueMatch, status: getMatchStatus, cancel: cancelMatch });
