import { z } from 'zod';
import { ZId } from './ids.ts';

export const ZBlockResult = z.object({ blocked: z.literal(true) }).meta({ id: 'BlockResult' });
export type TBlockResult = z.infer<typeof ZBlockResult>;

export const ZBlock = z
  .object({
    id: z.string(),
    /** As in the chat list: "Stranger", or the person's username. */
    label: z.string(),
    matched_interest: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Block' });
export type TBlock = z.infer<typeof ZBlock>;

export const ZBlockList = z.object({ blocks: z.array(ZBlock) }).meta({ id: 'BlockList' });
export type TBlockList = z.infer<typeof ZBlockList>;

export const ZBlockIdInput = z.object({ id: ZId });
