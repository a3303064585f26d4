import { router } from '../../trpc.ts';
import { liftBlock } from './lift-block.ts';
import { listBlocks } from './list-blocks.ts';

export const blocksRouter = router({
  list: listBlocks,
  lift: liftBlock,
});
