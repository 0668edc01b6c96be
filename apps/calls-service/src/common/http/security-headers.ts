import { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { HelmetOptions } from 'helmet';

/**
 * The headers helmet sets with these options, worked out once: with no per-request directive (a
 * nonce, say) they are the same for every answer, so running helmet's middleware on every request
 * only rebuilt them (bench/README.md, "A second profile"). Set them with `reply.headers()`.
 */
export function securityHeadersOf(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    // X-Powered-By, which Fastify never sets.
    removeHeader: () => undefined,
  };
  let failure: unknown;
  // Synchronous: helmet calls each of its middlewares, then `next`, before it returns.
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => (failure = error));
  if (failure !== undefined) throw failure;
  return Object.freeze(headers);
}
