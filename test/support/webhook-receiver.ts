import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver does with a request: answer a status (after a delay), or never answer. */
export type Reply = number | { status: number; delayMs: number } | 'hang';

/**
 * A webhook receiver on loopback: records every request and answers what the test told it, per path (the
 * first reply queued, then `fallback`). Each endpoint of a test gets a path of its own.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly replies = new Map<string, Reply[]>();
  private readonly fallback = new Map<string, Reply>();
  private readonly hanging = new Set<ServerResponse>();
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ path, headers: req.headers, body, at: Date.now() });
        const reply = this.replies.get(path)?.shift() ?? this.fallback.get(path) ?? 200;
        if (reply === 'hang') {
          this.hanging.add(res);
          return;
        }
        const { status, delayMs } = typeof reply === 'number' ? { status: reply, delayMs: 0 } : reply;
        setTimeout(() => res.writeHead(status).end(), delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Answers the next requests to `path` with these replies in turn, then with `then`. */
  answer(path: string, replies: Reply[], then: Reply = 200): void {
    this.replies.set(path, [...replies]);
    this.fallback.set(path, then);
  }

  to(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  /** Waits until `path` has had `count` requests; fails with what it had otherwise. */
  async waitFor(path: string, count: number, timeoutMs = 20_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(path).length < count) {
      if (Date.now() > deadline) throw new Error(`${path} got ${this.to(path).length} requests, not ${count}, within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.to(path);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * A Standard Webhooks verifier, written from the specification (standardwebhooks.com): the signed content is
 * `<webhook-id>.<webhook-timestamp>.<body>`, the key is the base64 after `whsec_`, the header holds
 * space-separated `v1,<base64 HMAC-SHA256>` signatures of which one must match, compared in constant time,
 * and a timestamp more than five minutes off is refused.
 */
export function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: string, nowSeconds = Date.now() / 1000): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 5 * 60) return false;
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
