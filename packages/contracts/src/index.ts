export * from './auth.ts';
export * from './chat.ts';
export * from './errors.ts';
export * from './health.ts';
export * from './match.ts';
export * from './moderation.ts';
export * from './session.ts';
export * from './socket.ts';
