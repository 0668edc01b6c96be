import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** What a webhook URL may be and point at: the settings WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOW_PRIVATE_URLS. */
export interface UrlPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** How long registration waits for the URL's host to resolve. */
const REGISTRATION_LOOKUP_MS = 3_000;

/** Why a URL was refused: said to the admin who registers it, and recorded in a refused attempt. */
export class WebhookUrlRefused extends Error {}

/** The address a send connects to: the one checked, so that a second DNS answer cannot move it (rebinding). */
export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Addresses a webhook must not reach: this host, the private networks, link-local (the cloud metadata
 * service at 169.254.169.254 and fd00:ec2::254 among them), shared, reserved, multicast and the
 * unspecified address. IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are checked as that
 * IPv4 address, by `isForbiddenAddress`.
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped, IPv4-compatible, NAT64, 6to4), if any. */
function embeddedIpv4(address: string): string | null {
  const words = expandIpv6(address);
  if (!words) return null;
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const zeros = (from: number, to: number) => words.slice(from, to).every((word) => word === 0);
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated), ::ffff:0:a.b.c.d (translated)
  if (zeros(0, 5) && words[5] === 0xffff) return v4(words[6], words[7]);
  if (zeros(0, 6) && (words[6] !== 0 || words[7] > 1)) return v4(words[6], words[7]);
  if (zeros(0, 4) && words[4] === 0xffff && words[5] === 0) return v4(words[6], words[7]);
  // 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64)
  if (words[0] === 0x64 && words[1] === 0xff9b) return v4(words[6], words[7]);
  // 2002:AABB:CCDD::/16 (6to4)
  if (words[0] === 0x2002) return v4(words[1], words[2]);
  return null;
}

/** The eight 16-bit words of an IPv6 address (a trailing dotted IPv4 part and a zone allowed). */
function expandIpv6(address: string): number[] | null {
  let text = address.split('%')[0].toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const parts = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((parts[0] << 8) | parts[1]).toString(16)}:${((parts[2] << 8) | parts[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((word) => parseInt(word, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return null;
  const words = [...left, ...new Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
  return words.length === 8 && words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffff) ? words : null;
}

/** Whether a webhook may not be sent to this IP address (see FORBIDDEN). */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family !== 6) return true;
  const inner = embeddedIpv4(address);
  if (inner !== null && FORBIDDEN.check(inner, 'ipv4')) return true;
  return FORBIDDEN.check(address.split('%')[0], 'ipv6');
}

/** The parts of a URL that the rules look at, or a refusal that says what is wrong with it. */
export function parseWebhookUrl(text: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookUrlRefused('url must be an absolute https:// URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    throw new WebhookUrlRefused(policy.allowHttp ? 'url must be an http:// or https:// URL' : 'url must be an https:// URL');
  }
  // Credentials in a URL would be stored, shown and logged with it; a receiver authenticates by the signature.
  if (url.username || url.password) throw new WebhookUrlRefused('url must not carry a user name or password');
  if (url.hash) throw new WebhookUrlRefused('url must not have a #fragment');
  return url;
}

const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Resolves the URL's host and checks every address it resolves to; answers the one to connect to. A host
 * that is an IP literal is checked as it is. With private URLs allowed, the first address is taken as is.
 */
export async function resolveWebhookUrl(url: URL, policy: UrlPolicy): Promise<PinnedAddress> {
  const host = hostOf(url);
  const literal = isIP(host);
  const addresses = literal ? [{ address: host, family: literal }] : await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new WebhookUrlRefused(`url's host ${host} has no address`);
  if (!policy.allowPrivate) {
    const forbidden = addresses.find(({ address }) => isForbiddenAddress(address));
    if (forbidden) {
      throw new WebhookUrlRefused(
        `url's host ${host} resolves to ${forbidden.address}, a loopback, private, link-local or reserved address (WEBHOOK_ALLOW_PRIVATE_URLS is off)`,
      );
    }
  }
  return { address: addresses[0].address, family: addresses[0].family === 6 ? 6 : 4 };
}

/**
 * The check at registration: the URL's form, and, unless private URLs are allowed, that its host resolves
 * to no forbidden address. A host that does not resolve (yet) is accepted: every send checks again.
 */
export async function checkWebhookUrl(text: string, policy: UrlPolicy): Promise<string> {
  const url = parseWebhookUrl(text, policy);
  if (!policy.allowPrivate) {
    let timer: NodeJS.Timeout | undefined;
    // A resolver that does not answer must not hold the admin's request: the send checks again anyway.
    const slow = new Promise<void>((resolve) => (timer = setTimeout(resolve, REGISTRATION_LOOKUP_MS)));
    try {
      await Promise.race([resolveWebhookUrl(url, policy), slow]);
    } catch (error) {
      if (error instanceof WebhookUrlRefused) throw error;
    } finally {
      clearTimeout(timer);
    }
  }
  return url.toString();
}
