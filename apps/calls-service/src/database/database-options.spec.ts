import { CONNECT_TIMEOUT_MS, databaseOptions, HEARTBEAT_FREQUENCY_MS, SERVER_SELECTION_TIMEOUT_MS, SOCKET_TIMEOUT_MS } from './database-options';

describe('databaseOptions', () => {
  const uri = 'mongodb://localhost:27017/calls';

  it('fails fast instead of buffering, and builds indexes itself', () => {
    expect(databaseOptions({ MONGODB_URI: uri, MONGODB_WRITE_CONCERN: 'majority' })).toEqual({
      uri,
      options: {
        bufferCommands: false,
        serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS,
        socketTimeoutMS: SOCKET_TIMEOUT_MS,
        connectTimeoutMS: CONNECT_TIMEOUT_MS,
        heartbeatFrequencyMS: HEARTBEAT_FREQUENCY_MS,
        serverMonitoringMode: 'poll',
        retryReads: false,
        retryWrites: false,
        writeConcern: { w: 'majority' },
        autoIndex: false,
        autoCreate: false,
      },
    });
    expect(SERVER_SELECTION_TIMEOUT_MS).toBeLessThan(2000);
    // A silent server is found by the monitor, within about 2 s; a slow query is not cut short.
    expect(HEARTBEAT_FREQUENCY_MS + CONNECT_TIMEOUT_MS).toBeLessThanOrEqual(2000);
    expect(SOCKET_TIMEOUT_MS).toBeGreaterThanOrEqual(30_000);
  });

  it.each([
    ['majority', 'majority'],
    ['1', 1],
    ['3', 3],
  ])('passes the write concern %s on as w: %p', (setting, w) => {
    expect(databaseOptions({ MONGODB_URI: uri, MONGODB_WRITE_CONCERN: setting }).options.writeConcern).toEqual({ w });
  });
});
