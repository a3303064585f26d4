import { z } from 'zod';

export const ZHealth = z
  .object({
    status: z.enum(['ok', 'degraded']),
    db: z.enum(['ok', 'down']),
    /** The event bus receives every instance's events (PostgreSQL LISTEN); `down` while it reconnects. */
    bus: z.enum(['ok', 'down']),
  })
  .meta({ id: 'Health' });

export type THealth = z.infer<typeof ZHealth>;
