import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The id of the request being handled, for the lines that code deep inside it logs through Nest's
 * `Logger` (a 503's warning, a lock that could not be released): those calls know nothing of the
 * request, and the id is what ties them to its request line. Only the id is kept, never the request.
 *
 * On Node 20 an AsyncLocalStorage switches on promise hooks for the whole process once used, which
 * is most of what this costs (measured in bench/README.md); Node 24 tracks it without them.
 */
export const requestContext = new AsyncLocalStorage<string>();
