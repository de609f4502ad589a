/**
 * The accessibility check every browser file relies on (test/helpers/browser.ts `axeViolations`)
 * finds what it should: a violation in the top document and one inside a frame, and nothing on a
 * clean page. Without this a check that always answered [] would pass every axe assertion.
 */
import { useBrowser } from '../helpers/browser';

// One context and page for both tests: the helper removes each test's routes after it.
const b = useBrowser('axe', {}, { oneContext: true });
const ORIGIN = 'https://axe.readroom.test';

const html = (body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>axe check</title></head><body><main>${body}</main></body></html>`;

async function serve(pages: Record<string, string>): Promise<void> {
  await b.page().route(`${ORIGIN}/**`, (route) => {
    const body = pages[new URL(route.request().url()).pathname];
    return body === undefined ? route.fulfill({ status: 404, body: '' }) : route.fulfill({ status: 200, contentType: 'text/html', body });
  });
}

describe('axeViolations', () => {
  it('reports a serious or critical violation in the top document and inside a frame', async () => {
    await serve({
      '/': html(`<h1>Top</h1><img src="${ORIGIN}/none.png"><iframe title="inner" src="${ORIGIN}/frame"></iframe>`),
      '/frame': html('<h1>Frame</h1><input type="text">'),
    });
    const page = b.page();
    await page.goto(`${ORIGIN}/`);
    await page.frameLocator('iframe').locator('input').waitFor();
    const found = await b.axe();
    const ids = found.map((f) => f.id).sort();
    expect(ids).toEqual(['image-alt', 'label']);
    expect(found.find((f) => f.id === 'image-alt')!.targets).toEqual(['img']);
    // The frame's finding names the frame and the element inside it.
    expect(found.find((f) => f.id === 'label')!.targets).toEqual(['iframe input']);
    expect(found.every((f) => f.impact === 'serious' || f.impact === 'critical')).toBe(true);
  });

  it('reports nothing on a page that follows the rules', async () => {
    await serve({ '/': html('<h1>Clean</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="A dot"><label>Name <input type="text"></label>') });
    const page = b.page();
    await page.goto(`${ORIGIN}/`);
    await expect(b.axe()).resolves.toEqual([]);
  });
});
