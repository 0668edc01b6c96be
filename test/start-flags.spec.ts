import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

describe('How production starts Node', () => {
  it('gives the Dockerfile the same node flags as npm run start:prod, which the bench runs', () => {
    const startProd: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
    const cmd = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').match(/^CMD (\[.*\])$/m);
    expect(cmd).not.toBeNull();

    const dockerArgs = (JSON.parse(cmd![1]) as string[]).filter((word) => word.startsWith('--'));
    const npmArgs = startProd.split(/\s+/).filter((word) => word.startsWith('--'));
    expect(dockerArgs).toEqual(npmArgs);
    expect(npmArgs).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
  });
});
