import { expect, test, type Browser, type Page } from '@playwright/test';
import { admin, jumpcloudGet, signIn } from './steps';

// The demo installation, with test hooks on so the request clock can be moved forward.
const ORG = 'Acme Robotics';
const SLUG = 'acme-robotics';
const PASSWORD = 'a-long-enough-password';

async function createPerson(page: Page, email: string, role: string) {
  await page.goto('/settings/people');
  const add = page.getByRole('form', { name: 'Add a person' });
  await add.getByLabel('Email').fill(email);
  await add.getByLabel('Display name').fill(email);
  await add.getByLabel('Initial password').fill(PASSWORD);
  await add.getByRole('button', { name: 'Add person' }).click();
  await expect(page.getByRole('table', { name: 'People' })).toContainText(email);
  const setRole = page.getByRole('form', { name: 'Set role' });
  await setRole.getByLabel('Email').fill(email);
  await setRole.getByLabel('Organization').selectOption(SLUG);
  await setRole.getByLabel('Role').selectOption(role);
  await setRole.getByRole('button', { name: 'Set role' }).click();
  await expect(page.getByRole('table', { name: 'People' })).toContainText(`${ORG}: `);
}

async function signedInPage(browser: Browser, email: string, javaScriptEnabled: boolean): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled });
  const page = await context.newPage();
  await signIn(page, email, PASSWORD, javaScriptEnabled);
  await expect(page).not.toHaveURL(/\/login/);
  return page;
}

test('a manager approves time-bound group access, and it is removed when it ends', async ({ page, browser, javaScriptEnabled }) => {
  const run = `${javaScriptEnabled ? 'js' : 'nojs'}-${Date.now()}`;
  // A directory user with a manager, who is not yet in the group we will offer.
  const users = (await jumpcloudGet(ORG, '/api/systemusers?limit=100&sort=_id')).results;
  const active = users.filter((u: any) => u.state === 'ACTIVATED' && u.manager);
  const requester = active[javaScriptEnabled ? 0 : 1];
  const manager = users.find((u: any) => u._id === requester.manager);
  const groups = await jumpcloudGet(ORG, '/api/v2/usergroups?limit=100&sort=name');
  const memberOf = await jumpcloudGet(ORG, `/api/v2/users/${requester._id}/memberof?limit=100`);
  const group = groups.find((g: any) => !memberOf.some((m: any) => m.id === g.id));
  const itemName = `Access ${run}`;

  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).not.toHaveURL(/\/login/);
  for (const [email, role] of [[requester.email, 'requester'], [manager.email, 'requester']]) {
    if (!(await page.goto('/settings/people').then(() => page.getByRole('table', { name: 'People' }).innerText())).includes(email)) {
      await createPerson(page, email, role);
    }
  }
  await page.goto(`/o/${SLUG}/requests`);
  const add = page.getByRole('form', { name: 'Add to the catalog' });
  await add.getByLabel('Name', { exact: true }).fill(itemName);
  await add.getByLabel('JumpCloud group').selectOption(group.id);
  await add.getByRole('button', { name: 'Add item' }).click();
  await expect(page.getByRole('form', { name: `Request ${itemName}` })).toBeVisible();

  const asRequester = await signedInPage(browser, requester.email, javaScriptEnabled);
  await asRequester.goto(`/o/${SLUG}/requests`);
  const ask = asRequester.getByRole('form', { name: `Request ${itemName}` });
  await ask.getByLabel('For how long').selectOption({ label: '1 hour' });
  await ask.getByLabel('Why do you need it?').fill('incident follow-up');
  await ask.getByRole('button', { name: 'Send request' }).click();
  const mine = asRequester.getByRole('table', { name: 'Requests' });
  await expect(mine.getByRole('row').filter({ hasText: itemName })).toContainText('pending');

  const asManager = await signedInPage(browser, manager.email, javaScriptEnabled);
  await asManager.goto(`/o/${SLUG}/requests`);
  const inbox = asManager.getByRole('table', { name: 'Waiting for your decision' });
  const row = inbox.getByRole('row').filter({ hasText: itemName });
  await row.getByRole('button', { name: 'Approve' }).click();

  // JumpCloud has the membership, and the request is active.
  await expect
    .poll(async () => (await jumpcloudGet(ORG, `/api/v2/users/${requester._id}/memberof?limit=100`)).some((m: any) => m.id === group.id))
    .toBe(true);
  await asRequester.reload();
  await expect(mine.getByRole('row').filter({ hasText: itemName })).toContainText('active');

  // An hour later the access is gone from JumpCloud and the request says revoked.
  await page.request.post(`/test-hooks/advance-clock?seconds=3601`);
  await expect
    .poll(async () => (await jumpcloudGet(ORG, `/api/v2/users/${requester._id}/memberof?limit=100`)).some((m: any) => m.id === group.id))
    .toBe(false);
  await asRequester.reload();
  await expect(mine.getByRole('row').filter({ hasText: itemName })).toContainText('revoked');
});
