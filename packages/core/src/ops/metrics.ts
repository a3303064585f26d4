import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '@portal/db';

export interface Metrics {
  registry: Registry;
  /** One pair made on a shared tag; `waitsMs` are both people's time in the queue. */
  recordMatch(waitsMs: number[]): void;
  /** One fallback pair made (SPEC §9), counted apart from tag pairs. */
  recordFallbackMatch(waitsMs: number[]): void;
  /** Searches removed because their page went away (SPEC §9 presence). */
  recordPresenceRemovals(count: number): void;
  socketsOpen: Gauge;
}

/** Per-tag series carry the busiest this many tags by name; the rest are summed (SPEC §11). */
export const TAG_SERIES = 50;
export const OTHER_TAG = 'other';

/**
 * Bounded cardinality: the TAG_SERIES busiest tags (ties by name) keep their own
 * series, every other tag is summed under `other`. A real tag named "other" (a
 * valid tag) is always counted in that sum, so the label never means two things.
 */
export function boundTags(counts: readonly (readonly [string, number])[]): Map<string, number> {
  const ranked = [...counts].filter(([tag]) => tag !== OTHER_TAG).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const series = new Map<string, number>(ranked.slice(0, TAG_SERIES));
  let rest = 0;
  for (const [tag, count] of counts) if (!series.has(tag)) rest += count;
  if (rest > 0 || ranked.length > TAG_SERIES) series.set(OTHER_TAG, rest);
  return series;
}

/** Prometheus metrics; the gauges that mirror database state are read at scrape time. */
export function createMetrics(db: Database, now: () => number): Metrics {
  const registry = new Registry();
  const matches = new Counter({
    name: 'portal_matches_total',
    help: 'Pairs made on a shared tag.',
    registers: [registry],
  });
  const fallbackMatches = new Counter({
    name: 'portal_fallback_matches_total',
    help: 'Fallback pairs made: two people with no shared tag who both agreed to anyone.',
    registers: [registry],
  });
  const presenceRemovals = new Counter({
    name: 'portal_presence_removals_total',
    help: 'Searches that left the queue because their page went away.',
    registers: [registry],
  });
  const timeToMatch = new Histogram({
    name: 'portal_time_to_match_seconds',
    help: 'Time from joining the queue to being matched, per person.',
    buckets: [0.01, 0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
    registers: [registry],
  });
  new Gauge({
    name: 'portal_queue_depth',
    help: 'Live queue entries per interest tag.',
    labelNames: ['tag'],
    registers: [registry],
    async collect() {
      const rows = await db.prisma.queueTag.groupBy({
        by: ['tag'],
        where: { expiresAt: { gt: new Date(now()) } },
        _count: { _all: true },
      });
      this.reset();
      for (const [tag, depth] of boundTags(rows.map((row) => [row.tag, row._count._all] as const)))
        this.set({ tag }, depth);
    },
  });
  new Gauge({
    name: 'portal_active_chats',
    help: 'Chats neither ended nor expired.',
    registers: [registry],
    async collect() {
      this.set(await db.prisma.chat.count({ where: { endedAt: null, expiresAt: { gt: new Date(now()) } } }));
    },
  });
  const socketsOpen = new Gauge({
    name: 'portal_sockets_open',
    help: 'Open WebSocket connections.',
    registers: [registry],
  });

  return {
    registry,
    socketsOpen,
    recordMatch(waitsMs) {
      matches.inc();
      for (const wait of waitsMs) timeToMatch.observe(wait / 1000);
    },
    recordFallbackMatch(waitsMs) {
      fallbackMatches.inc();
      for (const wait of waitsMs) timeToMatch.observe(wait / 1000);
    },
    recordPresenceRemovals: (count) => presenceRemovals.inc(count),
  };
}
