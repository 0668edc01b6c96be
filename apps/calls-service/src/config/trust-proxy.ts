import { isIP } from 'node:net';

/** What Fastify's `trustProxy` takes, as TRUST_PROXY spells it. */
export type TrustProxy = boolean | number | string[];

/** Names proxy-addr (which Fastify uses) knows for address ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(item: string): boolean {
  if (RANGE_NAMES.has(item)) return true;
  const [address, prefix, ...rest] = item.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY as Fastify's `trustProxy` takes it, or null when it is none of the forms:
 * - `false` (the default): the client is the peer of the TCP connection; X-Forwarded-For is ignored.
 * - `true`: trust every proxy, the client is the left-most X-Forwarded-For address. Only behind a proxy
 *   that overwrites the header, as anyone can send one.
 * - a number of hops: trust that many proxies in front of the service.
 * - comma-separated addresses or CIDR ranges (or `loopback`, `linklocal`, `uniquelocal`) of the proxies.
 */
export function parseTrustProxy(value: string): TrustProxy | null {
  const text = value.trim();
  if (text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return items.length > 0 && items.every(isAddressOrRange) ? items : null;
}
