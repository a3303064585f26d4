import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** 256-bit opaque session token for the psession cookie. */
export const newSessionToken = (): string => randomBytes(32).toString('base64url');

/** 128-bit match token addressing a chat. */
export const newChatToken = (): string => randomBytes(16).toString('base64url');

export const newId = (): string => randomUUID();

/** Only this hash is stored: a leaked database does not leak live cookies. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A cookie value that could be one of our tokens; anything else cannot match a row. */
export const looksLikeToken = (value: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(value);
