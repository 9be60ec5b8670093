import { expect, test, type Page } from '@playwright/test';
import { admin, signIn } from '../steps';

// A Lanyard started with LANYARD_DEMO=off and a standalone `jumpcloud-sim`, both started
// by the test script: the JSON line the simulator printed is passed in.
const sim = JSON.parse(process.env.LANYARD_E2E_SIM ?? '{}');
test.use({ baseURL: process.env.LANYARD_E2E_FRESH_URL });

async function addApiKeyConnection(page: Page, name: string, key: string) {
  await page.goto('/settings/connections');
  const form = page.getByRole('form', { name: 'Add a connection' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.locator('select[name="region"]').selectOption('custom');
  await form.getByRole('textbox', { name: /Custom base URL/ }).fill(sim.base_url);
  await form.getByRole('textbox', { name: /^API key/ }).fill(key);
  await form.getByRole('button', { name: 'Verify and save' }).click();
}

test('connections are verified, mapped, switchable, and their secrets never shown', async ({ page, javaScriptEnabled }) => {
  const run = javaScriptEnabled ? 'hydrated' : 'no-js';
  const secrets = [sim.msp_api_key, ...sim.orgs.map((org: { api_key: string }) => org.api_key)];
  const bodies: string[] = [];
  page.on('response', async (response) => {
    const type = response.headers()['content-type'] ?? '';
    if (type.includes('html') || type.includes('json') || type.includes('text')) {
      bodies.push(await response.text().catch(() => ''));
    }
  });

  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).not.toHaveURL(/\/login/);
  await expect(page.getByRole('status')).toHaveCount(0); // no demo banner: demo mode is off

  // A bad key is refused with JumpCloud's reason, and nothing is stored.
  await addApiKeyConnection(page, `Wrong key ${run}`, 'this-is-not-a-valid-key');
  await expect(page.getByRole('alert').first()).toContainText('JumpCloud refused these credentials');
  await page.goto('/settings/connections');
  await expect(page.getByRole('link', { name: `Wrong key ${run}` })).toHaveCount(0);

  // A single-organization key is accepted and its organization mapped.
  const standalone = sim.orgs.find((org: { msp: boolean }) => !org.msp);
  await addApiKeyConnection(page, `Northwind ${run}`, standalone.api_key);
  await expect(page.getByRole('heading', { name: `Northwind ${run}`, level: 1 })).toBeVisible();
  await expect(page.getByTestId('secret-hint')).toHaveText(`…${standalone.api_key.slice(-4)}`);

  // An MSP key lists its organizations; map two of them.
  await addApiKeyConnection(page, `MSP ${run}`, sim.msp_api_key);
  await expect(page.getByRole('heading', { name: `MSP ${run}`, level: 1 })).toBeVisible();
  const mapped: string[] = [];
  for (const org of sim.orgs.filter((org: { msp: boolean }) => org.msp).slice(0, 2)) {
    const form = page.getByRole('form', { name: `Map ${org.name}` });
    await form.getByRole('button', { name: 'Map' }).click();
    const row = page.getByRole('row').filter({ hasText: org.name }).filter({ has: page.getByRole('button', { name: 'Unmap' }) });
    await expect(row).toBeVisible();
    mapped.push((await row.getByRole('link').first().getAttribute('href')) ?? '');
  }

  // Switch between them: each shows its own people.
  await page.goto(mapped[0]);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(sim.orgs[0].name);
  const first = await page.getByRole('list', { name: 'Some users' }).innerText();
  await page.locator('summary').filter({ hasText: sim.orgs[0].name }).click();
  await page.getByRole('link', { name: sim.orgs[1].name }).last().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(sim.orgs[1].name);
  const second = await page.getByRole('list', { name: 'Some users' }).innerText();
  expect(second).not.toEqual(first);

  for (const body of bodies) {
    for (const secret of secrets) {
      expect(body.includes(secret), 'a JumpCloud secret reached the browser').toBe(false);
    }
  }
});
