import { z } from 'zod';

export const ZHealth = z
  .object({
    /** `draining`: the instance received SIGTERM and stops soon; the balancer sends elsewhere (SPEC §12). */
    status: z.enum(['ok', 'degraded', 'draining']),
    db: z.enum(['ok', 'down']),
    /** The event bus receives every instance's events (PostgreSQL LISTEN); `down` while it reconnects. */
    bus: z.enum(['ok', 'down']),
  })
  .meta({ id: 'Health' });

export type THealth = z.infer<typeof ZHealth>;
