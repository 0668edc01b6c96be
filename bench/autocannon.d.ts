// autocannon ships no types; bench/lib/load.js says which of its result fields it reads.
declare module 'autocannon';
