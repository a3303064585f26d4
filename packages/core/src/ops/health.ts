import type { Database } from '@portal/db';
import type { THealth } from '@portal/contracts';

/** `db: down` when a trivial query fails or takes longer than `timeoutMs`. */
export async function checkHealth(db: Database, timeoutMs = 2000): Promise<THealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('health check timed out')), timeoutMs);
  });
  try {
    await Promise.race([db.prisma.$queryRawUnsafe('SELECT 1'), timeout]);
    return { status: 'ok', db: 'ok' };
  } catch {
    return { status: 'degraded', db: 'down' };
  } finally {
    clearTimeout(timer);
  }
}
