export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Whether lines at this level are written (skip building fields nobody reads). */
  enabled?(level: LogLevel): boolean;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const REDACTED = '[redacted]';

/** Fields whose value is a secret whatever it looks like. */
const SECRET_KEYS = /^(password|new_password|current_password|token|cookie|authorization|set-cookie|psession)$/i;

/** A chat page or a chat's API path: the segment after it is a chat token. */
const TOKEN_PATH = /(\/chats?\/)[^/?#\s"]+/g;
/** Query strings can carry anything (tRPC GETs carry the input, chat tokens included). */
const QUERY = /(\/[^\s"?]*)\?[^\s"#]*/g;
/**
 * Our tokens' shapes: 128-bit chat tokens (22) and 256-bit session tokens (43),
 * base64url. Random ones hold a capital or a digit (all but about 1 in 10^8 do);
 * snake_case names of that length (an event name) do not, and stay readable.
 */
const TOKEN_SHAPED = /(?<![A-Za-z0-9_-])(?:[A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g;
const redactToken = (candidate: string): string => (/[A-Z0-9]/.test(candidate) ? REDACTED : candidate);

/**
 * Logs never hold session tokens, chat tokens or passwords (SPEC §11): URLs lose
 * their token segments and query strings, and anything shaped like one of our
 * tokens is blanked wherever it appears (an error message quoting a query
 * argument, say). Redaction happens here, once, for every line.
 */
export function redactText(text: string): string {
  return text.replace(TOKEN_PATH, `$1${REDACTED}`).replace(QUERY, `$1?${REDACTED}`).replace(TOKEN_SHAPED, redactToken);
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 5) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEYS.test(key) ? REDACTED : redact(item, depth + 1);
  }
  return out;
}

/** One JSON object per line on stdout: what log shippers expect. */
export function createLogger(
  level: LogLevel | 'silent',
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  const threshold = level === 'silent' ? Infinity : ORDER[level];
  const log = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < threshold) return;
    const line = { time: new Date().toISOString(), level: lvl, msg: redactText(msg), ...(redact(fields) as object) };
    write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    enabled: (lvl) => ORDER[lvl] >= threshold,
  };
}
