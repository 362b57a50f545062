/** The console's build: three files from console/, nothing from another host, and the JavaScript budget enforced. */
import { buildConsole, gzippedSize, JS_BUDGET_BYTES, writeConsole } from '../../../console/assets';

describe('the console build', () => {
  it('bundles index.html, app.js and style.css, loading nothing from another host', async () => {
    const assets = await buildConsole();
    expect([...assets.keys()].sort()).toEqual(['app.js', 'index.html', 'style.css']);
    const html = assets.get('index.html')!.body.toString('utf8');
    expect(html.match(/(?:src|href)="[^"]*"/g)).toEqual([
      'href="/console/style.css"',
      'src="/console/app.js"',
      'href="#main"',
      'href="#/runs"',
      'href="#/start"',
      'href="#/queues"',
      'href="#/cluster"',
      'href="#/task-definitions"',
    ]);
    expect(assets.get('app.js')!.body.toString('utf8')).not.toMatch(/https?:\/\//);
    expect(gzippedSize(assets.get('app.js')!.body)).toBeLessThan(JS_BUDGET_BYTES);
  });

  it('fails the build over the budget', async () => {
    await expect(writeConsole(1024)).rejects.toThrow(/app\.js \d+ bytes, \d+ bytes gzip \(budget 1024\): over budget/);
  });
});
