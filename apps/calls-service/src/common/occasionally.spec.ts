import { Occasionally } from './occasionally';

describe(Occasionally.name, () => {
  it('is due the first time, then not again until the interval has passed', () => {
    const purge = new Occasionally(1_000);

    expect([purge.due(5_000), purge.due(5_999), purge.due(6_000), purge.due(6_500), purge.due(7_000)]).toEqual([true, false, true, false, true]);
  });
});
