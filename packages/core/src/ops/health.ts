import type { Database } from '@portal/db';
import type { THealth } from '@portal/contracts';
import type { EventBus } from '../realtime/events.ts';

/**
 * `db: down` when a trivial query fails or takes longer than `timeoutMs`; `bus:
 * down` while the event bus is not listening (live events would not reach this
 * instance's sockets). Either one makes the instance degraded (503). A draining
 * instance says `draining` whatever the rest reads, so that the balancer stops sending.
 */
export async function checkHealth(db: Database, bus: EventBus, draining: boolean, timeoutMs = 2000): Promise<THealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('health check timed out')), timeoutMs);
  });
  let dbUp = true;
  try {
    await Promise.race([db.prisma.$queryRawUnsafe('SELECT 1'), timeout]);
  } catch {
    dbUp = false;
  } finally {
    clearTimeout(timer);
  }
  const busUp = bus.listening();
  const status = draining ? 'draining' : dbUp && busUp ? 'ok' : 'degraded';
  return { status, db: dbUp ? 'ok' : 'down', bus: busUp ? 'ok' : 'down' };
}
