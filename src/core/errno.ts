// One place that reads Node's error codes ('ENOENT', 'ECONNREFUSED', 'ERR_BUFFER_TOO_LARGE', …).

// The code an error carries, if any.
export const errnoCode = (error: unknown): string | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
};

// The code, or else the message, for a one-line explanation.
export const errnoOrMessage = (error: unknown): string => errnoCode(error) ?? (error instanceof Error ? error.message : String(error));
