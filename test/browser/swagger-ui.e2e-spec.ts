import { Browser, Page } from 'puppeteer-core';
import { RunningApp, startApp } from '../support/app';
import { testUser } from '../support/auth';
import { countCalls } from '../support/factories';
import { launchChromium, screenshot, watchErrors } from './support/browser';

/** Swagger UI under the service's own Content-Security-Policy, used as a person would. */
describe('/api/docs in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  afterEach(async () => {
    if (!page) return;
    await screenshot(page, { fullPage: false });
    await page.close();
  });

  it('loads with no console errors, and Authorize then Try it out on initiate records a call (201)', async () => {
    page = await browser.newPage();
    const errors = watchErrors(page);
    const refused: string[] = [];
    page.on('requestfailed', (request) => refused.push(`${request.url()}: ${request.failure()?.errorText}`));

    await page.goto(`${app.url}/api/docs`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#operations-calls-initiateSdkCall');

    await page.click('.btn.authorize');
    await page.waitForSelector('.modal-ux input');
    await page.type('.modal-ux input', testUser().token);
    await page.click('.modal-ux .auth-btn-wrapper .authorize');
    await page.click('.modal-ux .auth-btn-wrapper .btn-done');

    await page.click('#operations-calls-initiateSdkCall .opblock-summary');
    await page.waitForSelector('#operations-calls-initiateSdkCall .try-out__btn');
    await page.click('#operations-calls-initiateSdkCall .try-out__btn');
    const body = '#operations-calls-initiateSdkCall textarea.body-param__text';
    await page.waitForSelector(body);
    await page.$eval(body, (textarea) => ((textarea as HTMLTextAreaElement).value = ''));
    await page.type(body, '{"phoneNumber":"+14165550199"}');
    await page.click('#operations-calls-initiateSdkCall .execute');

    const status = await page.waitForSelector('#operations-calls-initiateSdkCall .live-responses-table tr.response .response-col_status');
    const answered = await status!.evaluate((cell) => cell.textContent?.trim());
    await status!.scrollIntoView();

    expect(answered).toBe('201');
    expect(await countCalls(app)).toBe(1);
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
  });
});
