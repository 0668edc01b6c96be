import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ErrorBody } from '../errors/all-exceptions.filter';

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/api/contacts/:id` → `^/api/contacts/[^/]+$`; `*` matches the rest of the path. */
function toPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

/**
 * A path the service serves, asked with a method it does not take, answers 405 with `Allow` listing
 * the methods it does take (RFC 9110 §15.5.6), in the one error shape. Fastify would answer 404 as
 * if the resource did not exist, or for a method that carries a body (QUERY) complain about the
 * missing Content-Type first. Must be called before the routes are registered, to see them all.
 */
export function answerUnsupportedMethodsWith405(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const known = new Map<string, KnownPath>();
  // Methods served on every path, such as the CORS preflight's OPTIONS: they make no path known.
  const everywhere = new Set<string>();

  fastify.addHook('onRoute', (route) => {
    const methods = [route.method].flat().map((method) => method.toUpperCase());
    if (route.url === '*' || route.url === '/*') {
      methods.forEach((method) => everywhere.add(method));
      return;
    }
    const path = known.get(route.url) ?? { pattern: toPattern(route.url), methods: new Set<string>() };
    methods.forEach((method) => path.methods.add(method));
    known.set(route.url, path);
  });

  // onRequest runs before the body is read, so the method is judged before anything else.
  fastify.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0];
    // A path served as itself (/api/calls/stats) is that resource, even where a route with a parameter
    // (/api/calls/:id, which has PATCH) would also match it: PATCH /api/calls/stats is 405, not a call id.
    const exact = known.get(path);
    const unservedHere = exact !== undefined && !exact.methods.has(request.method) && !everywhere.has(request.method);
    if (!request.is404 && !unservedHere) return done();
    const matching = unservedHere ? [exact] : [...known.values()].filter((route) => route.pattern.test(path));
    if (matching.length === 0) return done();
    const allowed = new Set([...matching.flatMap((route) => [...route.methods]), ...everywhere]);
    const body: ErrorBody = {
      success: false,
      statusCode: 405,
      error: 'Method Not Allowed',
      message: `${request.method} is not allowed on ${path}; use ${[...allowed].join(', ')}`,
    };
    reply.code(405).header('Allow', [...allowed].join(', ')).send(body);
  });
}
