import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Visible ASCII only, and short: the id is copied into every log line of the request. */
const ACCEPTABLE = /^[\x21-\x7e]{1,200}$/;

/** The caller's request id when it is a sensible one (a load balancer's or a client's), else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && ACCEPTABLE.test(given) ? given : randomUUID();
}

/** The path without its query string, which may hold search words: personal data has no place in logs. */
export function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0];
  return path === '' ? '/' : path;
}
