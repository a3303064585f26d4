import { z } from 'zod';

/** Block ids are UUIDs (`newId` in core): anything else cannot name a block. */
export const ZBlockId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'Not a block id.');

export const ZBlockResult = z.object({ blocked: z.literal(true) });
export type TBlockResult = z.infer<typeof ZBlockResult>;

export const ZBlock = z.object({
  id: z.string(),
  /** As in the chat list: "Stranger", or the person's username. */
  label: z.string(),
  matched_interest: z.string(),
  created_at: z.string(),
});
export type TBlock = z.infer<typeof ZBlock>;

export const ZBlockList = z.object({ blocks: z.array(ZBlock) });
export type TBlockList = z.infer<typeof ZBlockList>;

export const ZBlockIdInput = z.object({ id: ZBlockId });
