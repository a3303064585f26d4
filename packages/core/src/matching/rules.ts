import { AppError, ZInterests } from '@portal/contracts';
import { newChatToken, newId } from '../tokens.ts';
import type { MatchedChat } from './types.ts';

/** 1–3 valid tags, repeats folded; anything else is ERR_MATCH_UNSUPPORTED_INTEREST. */
export function parseInterests(raw: unknown[]): string[] {
  const parsed = ZInterests.safeParse(raw);
  if (!parsed.success) throw new AppError('ERR_MATCH_UNSUPPORTED_INTEREST');
  return parsed.data;
}

export const joinTags = (tags: string[]): string => tags.join(',');
export const splitTags = (joined: string): string[] => (joined === '' ? [] : joined.split(','));

export function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((tag) => b.includes(tag));
}

/** The chat of a fallback pair (SPEC §9): no matched interest, no common ones. */
export function fallbackChat(now: number, chatTtlMs: number): MatchedChat {
  return { id: newId(), token: newChatToken(), matchedInterest: null, commonInterests: [], expiresAt: now + chatTtlMs };
}

/**
 * The chat both people get. Shared tags keep the enqueuer's order; the first of
 * them is the `matched_interest`.
 */
export function newMatchedChat(mine: string[], theirs: string[], now: number, chatTtlMs: number): MatchedChat {
  const common = mine.filter((tag) => theirs.includes(tag));
  const first = common[0];
  if (first === undefined) throw new Error('a candidate must share a tag');
  return {
    id: newId(),
    token: newChatToken(),
    matchedInterest: first,
    commonInterests: common,
    expiresAt: now + chatTtlMs,
  };
}
