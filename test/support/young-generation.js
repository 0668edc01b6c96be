// @ts-check
'use strict';

/**
 * Loaded with `--require` into the service under test (see startup-memory.e2e-spec.ts). On SIGUSR2 it
 * writes to the file YOUNG_GENERATION_LOG, as JSON, the young generation's size as start-up left it,
 * then its size after making objects that survive several scavenges, as a request's objects do while
 * it waits on the database: `{ afterStartUp, afterSurvivors }`, in bytes.
 */

const fs = require('node:fs');
const v8 = require('node:v8');

const file = process.env.YOUNG_GENERATION_LOG;
const youngGeneration = () => /** @type {v8.HeapSpaceInfo} */ (v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')).space_size;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

if (file) {
  process.on('SIGUSR2', async () => {
    const afterStartUp = youngGeneration();
    /** @type {object[][]} */
    const survivors = [];
    // About 40 MB in small objects, made over many turns and all kept until the end: every scavenge
    // meanwhile finds most of what it scans alive, which is when V8 grows the young generation.
    for (let turn = 0; turn < 200; turn++) {
      survivors.push(Array.from({ length: 2_000 }, (_, i) => ({ turn, i, text: `survivor ${turn}:${i}` })));
      await nextTurn();
    }
    fs.writeFileSync(file, JSON.stringify({ afterStartUp, afterSurvivors: youngGeneration(), kept: survivors.length }));
  });
}
