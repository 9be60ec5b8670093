import { expect, test, type Page } from '@playwright/test';
import { admin, jumpcloudGet, signIn, waitUntilInteractive } from './steps';

const org = '/o/acme-robotics';

async function signedIn(page: Page, javaScriptEnabled: boolean) {
  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).toHaveURL(/\/o\/acme-robotics$/);
}

/// Opens the first Windows device of the list and returns its JumpCloud id.
async function openWindowsDevice(page: Page, javaScriptEnabled: boolean): Promise<string> {
  await page.goto(`${org}/devices?os=windows`);
  await page.getByRole('table', { name: 'Devices' }).locator('tbody tr').first().getByRole('link').click();
  await expect(page).toHaveURL(/\/devices\/[0-9a-f]{24}$/);
  await waitUntilInteractive(page, javaScriptEnabled);
  return page.url().split('/').pop() ?? '';
}

test('the device list filters by OS and encryption', async ({ page, javaScriptEnabled }) => {
  await signedIn(page, javaScriptEnabled);
  await page.goto(`${org}/devices`);
  await waitUntilInteractive(page, javaScriptEnabled);
  const filters = page.getByRole('form', { name: 'Filter devices' });
  await filters.getByLabel('Operating system').selectOption('windows');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/os=windows/);
  const rows = page.getByRole('table', { name: 'Devices' }).locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  for (const platform of await rows.locator('td:nth-child(3)').allInnerTexts()) {
    expect(platform).toMatch(/^windows/);
  }
  await waitUntilInteractive(page, javaScriptEnabled);
  await page.getByRole('form', { name: 'Filter devices' }).getByLabel('Not encrypted').check();
  await page.getByRole('form', { name: 'Filter devices' }).getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/unencrypted=on/);
  for (const disk of await rows.locator('td:nth-child(8)').allInnerTexts()) {
    expect(disk).toBe('Not encrypted');
  }
});

test('locking a Windows device queues the command in JumpCloud', async ({ page, javaScriptEnabled }) => {
  await signedIn(page, javaScriptEnabled);
  const id = await openWindowsDevice(page, javaScriptEnabled);
  const lock = page.getByRole('form', { name: 'Lock device' });
  await lock.getByRole('checkbox').check();
  await lock.getByRole('button', { name: 'Lock' }).click();
  await expect(page.locator('.notice')).toContainText('Queued lock');
  await expect(page.getByTestId('queued-commands')).toContainText('lock');
  const system = await jumpcloudGet('Acme Robotics', `/api/systems/${id}`);
  expect(system.builtInCommands.map((command: { name: string }) => command.name)).toContain('lock');
});

test('erase is refused without the typed hostname', async ({ page, javaScriptEnabled }) => {
  await signedIn(page, javaScriptEnabled);
  const id = await openWindowsDevice(page, javaScriptEnabled);
  const erase = page.getByRole('form', { name: 'Erase device' });
  await erase.getByLabel(/^Type .* to confirm$/).fill('not-the-hostname');
  await erase.getByRole('button', { name: 'Erase' }).click();
  await expect(page.getByRole('alert')).toContainText('exactly to confirm; nothing was changed.');
  const system = await jumpcloudGet('Acme Robotics', `/api/systems/${id}`);
  expect(system.builtInCommands.map((command: { name: string }) => command.name)).not.toContain('erase');
});

test('the fleet report has a row per device of the organization', async ({ page, javaScriptEnabled }) => {
  await signedIn(page, javaScriptEnabled);
  const systems = await jumpcloudGet('Acme Robotics', '/api/systems?limit=1');
  const response = await page.request.get(`${org}/devices/fleet.csv`);
  expect(response.status()).toBe(200);
  const lines = (await response.text()).trim().split('\n');
  expect(lines[0]).toBe('user_email,device_serial,os,last_contact,hostname,encryption,mdm');
  expect(lines.length - 1).toBe(systems.totalCount);
});
