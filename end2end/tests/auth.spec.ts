import { expect, test } from '@playwright/test';
import { admin, jumpcloudGet, signIn, waitUntilInteractive } from './steps';

test('signing in opens the dashboard and signing out returns to login', async ({ page, javaScriptEnabled }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.getByRole('status')).toContainText('Demo data: simulated JumpCloud');

  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  // The default organization's dashboard, with data fetched from the simulator.
  await expect(page.getByRole('heading', { name: 'Acme Robotics', level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/\/o\/acme-robotics$/);
  const users = await jumpcloudGet('Acme Robotics', '/api/systemusers?limit=1');
  await expect(page.getByTestId('user-count')).toHaveText(String(users.totalCount));
  await expect(page.getByRole('status')).toContainText('Demo data');

  const nav = page.getByRole('navigation', { name: 'Sections' });
  for (const section of ['Dashboard', 'Users', 'Groups', 'Devices', 'Requests', 'Audit', 'Settings']) {
    await expect(nav.getByRole('link', { name: section, exact: true })).toBeVisible();
  }

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Sign in to Lanyard' })).toBeVisible();

  // Signed out for real: the dashboard sends us back to login.
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=/);
});

test('a wrong password shows an error and creates no session', async ({ page, context, javaScriptEnabled }) => {
  await signIn(page, admin.email, 'definitely-not-it', javaScriptEnabled);
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');
  const cookies = await context.cookies();
  expect(cookies.find((cookie) => cookie.name === 'lanyard_session')).toBeUndefined();
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=/);
});

test('a section page keeps its place across sign-in', async ({ page, javaScriptEnabled }) => {
  await page.goto('/o/globex-health/devices');
  await expect(page).toHaveURL(/\/login\?next=(%2F|\/)o(%2F|\/)globex-health(%2F|\/)devices/);
  await waitUntilInteractive(page, javaScriptEnabled);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Devices' })).toBeVisible();
  await expect(page.getByTestId('current-org')).toHaveText('Globex Health');
});

test.describe('with JavaScript', () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'hydration only exists with JavaScript');

  test('the page hydrates and forms submit without a full page load', async ({ page }) => {
    await page.goto('/login');
    await waitUntilInteractive(page, true);
    // A marker on window survives client-side navigation but not a page load.
    await page.evaluate(() => ((window as any).__noReload = 'still here'));
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Acme Robotics', level: 1 })).toBeVisible();
    expect(await page.evaluate(() => (window as any).__noReload)).toBe('still here');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in to Lanyard' })).toBeVisible();
    expect(await page.evaluate(() => (window as any).__noReload)).toBe('still here');
  });
});

test.describe('without JavaScript', () => {
  test.skip(({ javaScriptEnabled }) => javaScriptEnabled, 'checks the no-JS rendering');

  test('pages are complete without scripts', async ({ page }) => {
    await page.goto('/login');
    await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
    await expect(page.locator('form[action="/api/login"][method="post"]')).toBeVisible();
  });
});
