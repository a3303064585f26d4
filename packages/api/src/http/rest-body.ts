/**
 * What both REST adapters make of a request body, so that they cannot drift apart.
 * A body that is not a JSON object becomes MALFORMED: an input no schema accepts,
 * so that the failure comes from validation, after authentication (401 first).
 */
export const MALFORMED: Readonly<Record<string, unknown>> = { '(body is not a JSON object)': true };

/** The 400 a MALFORMED body gets in place of the validator's words about the odd key. */
export const MALFORMED_BODY_ERROR = { error: 'ERR_BAD_REQUEST', message: 'The body must be a JSON object.' } as const;

/** The body text as a JSON object, `{}` for an empty body, or MALFORMED. */
export function jsonObjectOf(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  return parseObject(text);
}

/** The body text as a JSON object, or MALFORMED (an empty text included). */
export function parseObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : MALFORMED;
  } catch {
    return MALFORMED;
  }
}

/** An internal failure's cause, for the server log (never for the client). */
export function describeFailure(error: unknown): Record<string, unknown> {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return cause instanceof Error
    ? { name: cause.name, message: cause.message, stack: cause.stack }
    : { value: String(cause) };
}
