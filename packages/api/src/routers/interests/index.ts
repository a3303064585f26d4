import { router } from '../../trpc.ts';
import { getPopularInterests } from './get-popular-interests.ts';

export const interestsRouter = router({ popular: getPopularInterests });
