import pino from 'pino';
import { Writable } from 'node:stream';
import { JsonLogger } from './json-logger';

/** A JsonLogger and the lines it writes, parsed. Called as Nest's `Logger` calls it: the context last. */
function capture(): { lines: Record<string, unknown>[]; logger: JsonLogger } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: new JsonLogger(pino({ formatters: { level: (label) => ({ level: label }) } }, sink)) };
}

describe('JsonLogger', () => {
  it('writes the id of the request a line is logged for ahead of its context, and the text as msg', () => {
    const { lines, logger } = capture();
    logger.warn({ requestId: 'req-1' }, 'Could not release the lock', 'Example');
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', requestId: 'req-1', context: 'Example', msg: 'Could not release the lock' })]);
    const keys = Object.keys(lines[0]);
    expect(keys.indexOf('requestId')).toBeLessThan(keys.indexOf('context'));
  });

  it('leaves requestId out of a line logged for no request', () => {
    const { lines, logger } = capture();
    logger.warn({ requestId: undefined }, 'Could not purge stale locks', 'Example');
    logger.log('Listening', 'Bootstrap');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', context: 'Example', msg: 'Could not purge stale locks' }),
      expect.objectContaining({ level: 'info', context: 'Bootstrap', msg: 'Listening' }),
    ]);
    for (const line of lines) expect(line).not.toHaveProperty('requestId');
  });

  it('keeps an error logged as an object under err, with its stack', () => {
    const { lines, logger } = capture();
    logger.error(new Error('boom'), 'Example');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', context: 'Example', err: expect.objectContaining({ message: 'boom', stack: expect.stringContaining('Error: boom') }) }),
    ]);
  });
});
