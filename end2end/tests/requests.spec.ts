import { expect, test, type Browser, type Page } from '@playwright/test';
import { admin, jumpcloudGet, jumpcloudRequest, signIn } from './steps';

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

const memberOf = async (userId: string) =>
  (await jumpcloudGet(ORG, `/api/v2/users/${userId}/memberof?limit=100`)) as { id: string }[];

/// A directory user with a manager who is in some group they are not in yet; both get
/// Lanyard accounts (requester role), and the admin is signed in on `page`.
async function cast(page: Page, browser: Browser, javaScriptEnabled: boolean, which: number) {
  const users = (await jumpcloudGet(ORG, '/api/systemusers?limit=100&sort=_id')).results;
  const active = users.filter((u: any) => u.state === 'ACTIVATED' && u.manager);
  const requester = active[which];
  const manager = users.find((u: any) => u._id === requester.manager);
  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).not.toHaveURL(/\/login/);
  for (const email of [requester.email, manager.email]) {
    if (!(await page.goto('/settings/people').then(() => page.getByRole('table', { name: 'People' }).innerText())).includes(email)) {
      await createPerson(page, email, 'requester');
    }
  }
  const asRequester = await signedInPage(browser, requester.email, javaScriptEnabled);
  const asManager = await signedInPage(browser, manager.email, javaScriptEnabled);
  return { requester, manager, asRequester, asManager };
}

/// Reloads `page` until its requests table's row for `item` says `status`: the worker
/// carries approved work out in the background.
async function expectStatus(page: Page, item: string, status: string) {
  await expect.poll(async () => {
    await page.reload();
    return page.getByRole('table', { name: 'Requests' }).getByRole('row').filter({ hasText: item }).innerText();
  }).toContain(status);
}

/// The admin adds an item to the catalog on the manage page.
async function addItem(page: Page, name: string, kind: string, groupId?: string) {
  await page.goto(`/o/${SLUG}/requests/manage`);
  const add = page.getByRole('form', { name: 'Add to the catalog' });
  await add.getByLabel('Name', { exact: true }).fill(name);
  await add.getByLabel('Kind').selectOption(kind);
  if (groupId) await add.getByLabel('JumpCloud group (group membership only)').selectOption(groupId);
  await add.getByRole('button', { name: 'Add item' }).click();
  await expect(page.getByRole('list', { name: 'Catalog' })).toContainText(name);
}

test('a manager approves time-bound group access, and it is removed when it ends', async ({ page, browser, javaScriptEnabled }) => {
  const run = `${javaScriptEnabled ? 'js' : 'nojs'}-${Date.now()}`;
  const { requester, asRequester, asManager } = await cast(page, browser, javaScriptEnabled, javaScriptEnabled ? 0 : 1);
  const groups = await jumpcloudGet(ORG, '/api/v2/usergroups?limit=100&sort=name');
  const held = await memberOf(requester._id);
  const group = groups.find((g: any) => !held.some((m) => m.id === g.id));
  const itemName = `Access ${run}`;
  await addItem(page, itemName, 'group', group.id);

  await asRequester.goto(`/o/${SLUG}/requests`);
  const ask = asRequester.getByRole('form', { name: `Request ${itemName}` });
  await ask.getByLabel('For how long').selectOption({ label: '1 hour' });
  await ask.getByLabel('Why do you need it?').fill('incident follow-up');
  await ask.getByRole('button', { name: 'Send request' }).click();
  const mine = asRequester.getByRole('table', { name: 'Requests' });
  await expect(mine.getByRole('row').filter({ hasText: itemName })).toContainText('pending');

  await asManager.goto(`/o/${SLUG}/requests`);
  const inbox = asManager.getByRole('table', { name: 'Waiting for your decision' });
  const row = inbox.getByRole('row').filter({ hasText: itemName });
  await expect(row).toContainText('incident follow-up');
  await expect(row).toContainText('of 1');
  await row.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(asManager.getByRole('status').filter({ hasText: 'is approved' })).toBeVisible();

  // JumpCloud has the membership, the request is active, and "My access" shows the time left.
  await expect.poll(async () => (await memberOf(requester._id)).some((m) => m.id === group.id)).toBe(true);
  await asRequester.reload();
  await expect(mine.getByRole('row').filter({ hasText: itemName })).toContainText('active');
  await expect(asRequester.getByRole('table', { name: 'My access' })).toContainText('left');

  // An hour later the access is gone from JumpCloud and the request says revoked.
  await page.request.post(`/test-hooks/advance-clock?seconds=3601`);
  await expect.poll(async () => (await memberOf(requester._id)).some((m) => m.id === group.id)).toBe(false);
  await asRequester.reload();
  await expect(mine.getByRole('row').filter({ hasText: itemName })).toContainText('revoked');
  // Its history keeps who decided and what was done.
  await mine.getByRole('row').filter({ hasText: itemName }).getByRole('link').first().click();
  await expect(asRequester.getByTestId('history-status')).toHaveText('revoked');
  await expect(asRequester.getByRole('list', { name: 'Decisions' })).toContainText('approve');
  await expect(asRequester.getByTestId('history-outcome')).toContainText('removed');
});

test('a denied request changes nothing, and nobody approves their own', async ({ page, browser, javaScriptEnabled }) => {
  const run = `${javaScriptEnabled ? 'js' : 'nojs'}-${Date.now()}`;
  const { requester, asRequester, asManager } = await cast(page, browser, javaScriptEnabled, 2);
  const groups = await jumpcloudGet(ORG, '/api/v2/usergroups?limit=100&sort=name');
  const held = await memberOf(requester._id);
  const group = groups.find((g: any) => !held.some((m) => m.id === g.id));
  const itemName = `Denied ${run}`;
  await addItem(page, itemName, 'group', group.id);

  await asRequester.goto(`/o/${SLUG}/requests`);
  const ask = asRequester.getByRole('form', { name: `Request ${itemName}` });
  await ask.getByLabel('Why do you need it?').fill('curious');
  await ask.getByRole('button', { name: 'Send request' }).click();
  const mine = asRequester.getByRole('table', { name: 'Requests' });
  await expect(mine.getByRole('row').filter({ hasText: itemName })).toContainText('pending');
  const id = (await mine.getByRole('row').filter({ hasText: itemName }).getByRole('link').first().innerText()).trim();

  // The requester's own request is not in anything they could decide, and deciding it
  // anyway is refused with a reason.
  const ownInbox = asRequester.getByRole('table', { name: 'Waiting for your decision' });
  await expect(ownInbox.getByRole('row').filter({ hasText: itemName })).toHaveCount(0);
  const self = await asRequester.request.post('/api/requests/decide', {
    form: { org: SLUG, request_id: id, verdict: 'approve' },
    headers: { origin: new URL(asRequester.url()).origin },
  });
  expect(self.status()).toBe(400);
  expect(await self.text()).toContain('You cannot decide your own request.');

  await asManager.goto(`/o/${SLUG}/requests`);
  const decide = asManager.getByRole('form', { name: 'Decide requests' });
  await decide.getByLabel('Comment (sent with the decision)').fill('not needed for this role');
  await decide.getByRole('row').filter({ hasText: itemName }).getByRole('button', { name: 'Deny' }).click();
  await expect(asManager.getByRole('status').filter({ hasText: 'is denied' })).toBeVisible();
  await asRequester.reload();
  await expect(mine.getByRole('row').filter({ hasText: itemName })).toContainText('denied');
  expect((await memberOf(requester._id)).some((m) => m.id === group.id)).toBe(false);
  await asRequester.goto(`/o/${SLUG}/requests/${id}`);
  await expect(asRequester.getByRole('list', { name: 'Decisions' })).toContainText('not needed for this role');
});

test('a joiner for Engineering ends staged, in the rule\'s groups, with activation scheduled and one password', async ({ page, browser, javaScriptEnabled }) => {
  test.setTimeout(60_000);
  const run = `${javaScriptEnabled ? 'js' : 'nojs'}-${Date.now()}`;
  const { asRequester, asManager } = await cast(page, browser, javaScriptEnabled, 3);
  const itemName = `Joiner ${run}`;
  const email = `joiner-${run}@example.com`;
  await addItem(page, itemName, 'joiner');

  // The admin's department rule: Engineering people belong to two groups.
  // Groups other tests do not count members of (not All Staff).
  const groups = (await jumpcloudGet(ORG, '/api/v2/usergroups?limit=100&sort=name'))
    .filter((g: any) => g.name !== 'All Staff')
    .slice(-2);
  const rule = page.getByRole('form', { name: 'Department rule' });
  await rule.getByLabel('Department (as on the JumpCloud user)').fill('Engineering');
  for (const group of groups) await rule.getByLabel(group.name, { exact: true }).check();
  await rule.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.getByRole('table', { name: 'Department rules' }).getByRole('row').filter({ hasText: 'Engineering' })).toContainText(groups[1].name);

  const start = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  await asRequester.goto(`/o/${SLUG}/requests`);
  const ask = asRequester.getByRole('form', { name: `Request ${itemName}` });
  await ask.getByLabel('Email', { exact: true }).fill(email);
  await ask.getByLabel('First name').fill('Jo');
  await ask.getByLabel('Last name').fill('Iner');
  await ask.getByLabel('Department').fill('Engineering');
  await ask.getByLabel('Start date (UTC; activated that day)').fill(start);
  await ask.getByLabel('Why is it needed?').fill('starts soon');
  await ask.getByRole('button', { name: 'Send request' }).click();
  const mine = asRequester.getByRole('table', { name: 'Requests' });
  await expect(mine.getByRole('row').filter({ hasText: itemName })).toContainText('pending');

  // The requester's JumpCloud manager sees what it will do, and approves.
  await asManager.goto(`/o/${SLUG}/requests`);
  const row = asManager.getByRole('table', { name: 'Waiting for your decision' }).getByRole('row').filter({ hasText: email });
  await expect(row.getByRole('list', { name: 'What it does' })).toContainText(`Activation scheduled for ${start}`);
  await expect(row.getByRole('list', { name: 'What it does' })).toContainText(groups[0].name);
  await row.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(asManager.getByRole('status').filter({ hasText: 'is approved' })).toBeVisible();
  await expectStatus(asRequester, itemName, 'done');

  const found = await jumpcloudGet(ORG, `/api/systemusers?filter=email:$eq:${email}`);
  expect(found.totalCount).toBe(1);
  const user = found.results[0];
  expect(user.state).toBe('STAGED');
  expect(user.department).toBe('Engineering');
  const inGroups = (await memberOf(user._id)).map((m) => m.id).sort();
  expect(inGroups).toEqual(groups.map((g: any) => g.id).sort());
  const scheduled = (await jumpcloudGet(ORG, '/api/v2/bulk/userstates?limit=100')) as any[];
  const activation = scheduled.find((job) => job.systemUserId === user._id);
  expect(activation?.state).toBe('ACTIVATED');
  expect(activation?.scheduledDate).toContain(start);

  // The manager, who completed it, issues the temporary password and sees it once.
  const id = (await mine.getByRole('row').filter({ hasText: itemName }).getByRole('link').first().innerText()).trim();
  await asManager.goto(`/o/${SLUG}/requests/${id}`);
  await asManager.getByRole('button', { name: 'Issue the temporary password' }).click();
  await expect(asManager.getByTestId('temporary-password')).toHaveText(/.{16,}/);
  await asManager.reload();
  await expect(asManager.getByTestId('temporary-password')).toHaveCount(0);
  await expect(asManager.getByTestId('password-issued')).toContainText('issued to');
  await jumpcloudRequest(ORG, 'DELETE', `/api/systemusers/${user._id}`);
});

test('a leaver ends suspended, in no groups, their grant revoked and their Windows device locked', async ({ page, browser, javaScriptEnabled }) => {
  test.setTimeout(90_000);
  const run = `${javaScriptEnabled ? 'js' : 'nojs'}-${Date.now()}`;
  const { manager, asManager } = await cast(page, browser, javaScriptEnabled, 4);
  // Someone to offboard, reporting to the manager, with a Lanyard account: made for
  // this test, removed after it.
  const email = `leaver-${run}@example.com`;
  const leaving = await jumpcloudRequest(ORG, 'POST', '/api/systemusers', {
    username: `leaver-${run}`,
    email,
    firstname: 'Lea',
    lastname: 'Ver',
    state: 'ACTIVATED',
    manager: manager._id,
  });
  await createPerson(page, email, 'requester');
  const asLeaving = await signedInPage(browser, email, javaScriptEnabled);

  // They hold a time-bound grant...
  const groups = (await jumpcloudGet(ORG, '/api/v2/usergroups?limit=100&sort=name'))
    .filter((g: any) => g.name !== 'All Staff')
    .slice(-4);
  const grantName = `Grant ${run}`;
  await addItem(page, grantName, 'group', groups[0].id);
  await asLeaving.goto(`/o/${SLUG}/requests`);
  const ask = asLeaving.getByRole('form', { name: `Request ${grantName}` });
  await ask.getByLabel('For how long').selectOption({ label: '8 hours' });
  await ask.getByLabel('Why do you need it?').fill('release week');
  await ask.getByRole('button', { name: 'Send request' }).click();
  await expect(asLeaving.getByRole('table', { name: 'Requests' }).getByRole('row').filter({ hasText: grantName })).toContainText('pending');
  await asManager.goto(`/o/${SLUG}/requests`);
  await asManager.getByRole('table', { name: 'Waiting for your decision' }).getByRole('row').filter({ hasText: grantName }).getByRole('button', { name: 'Approve', exact: true }).click();
  await expect.poll(async () => (await memberOf(leaving._id)).some((m) => m.id === groups[0].id)).toBe(true);
  // ...another group, and a Windows laptop.
  await jumpcloudRequest(ORG, 'POST', `/api/v2/usergroups/${groups[1].id}/members`, { op: 'add', type: 'user', id: leaving._id });
  const systems = (await jumpcloudGet(ORG, '/api/systems?limit=100')).results;
  const laptop = systems.find((s: any) => s.osFamily === 'windows');
  await jumpcloudRequest(ORG, 'POST', `/api/v2/systems/${laptop._id}/associations`, { op: 'add', type: 'user', id: leaving._id });
  const locksBefore = (await jumpcloudGet(ORG, `/api/systems/${laptop._id}`)).builtInCommands.filter((c: any) => c.name === 'lock').length;

  // The admin asks for the leaver, devices locked too; the manager approves.
  const leaverName = `Leaver ${run}`;
  await addItem(page, leaverName, 'leaver');
  await page.goto(`/o/${SLUG}/requests`);
  const offboard = page.getByRole('form', { name: `Request ${leaverName}` });
  await offboard.getByLabel('User (email or username)').fill(email);
  await offboard.getByLabel('Also lock their Linux and Windows devices').check();
  await offboard.getByLabel('Why is it needed?').fill('last day today');
  await offboard.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByRole('table', { name: 'Requests' }).getByRole('row').filter({ hasText: leaverName })).toContainText('pending');
  await asManager.goto(`/o/${SLUG}/requests`);
  const row = asManager.getByRole('table', { name: 'Waiting for your decision' }).getByRole('row').filter({ hasText: leaverName });
  await expect(row.getByRole('list', { name: 'What it does' })).toContainText('Lock their Linux and Windows devices');
  await row.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(asManager.getByRole('status').filter({ hasText: 'is approved' })).toBeVisible();

  await expect.poll(async () => (await jumpcloudGet(ORG, `/api/systemusers/${leaving._id}`)).state).toBe('SUSPENDED');
  await expect.poll(async () => (await memberOf(leaving._id)).length).toBe(0);
  await expect.poll(async () => (await jumpcloudGet(ORG, `/api/systems/${laptop._id}`)).builtInCommands.filter((c: any) => c.name === 'lock').length).toBe(locksBefore + 1);
  await expectStatus(asLeaving, grantName, 'revoked');
  // The leaver's history lists each step.
  await page.goto(`/o/${SLUG}/requests/manage?status=done`);
  await page.getByRole('table', { name: 'Requests' }).getByRole('row').filter({ hasText: leaverName }).getByRole('link').first().click();
  const steps = page.getByRole('table', { name: 'Steps' });
  for (const step of ['suspend', 'groups', 'requests', 'devices']) {
    await expect(steps.getByRole('row').filter({ hasText: step }).first()).toContainText('done');
  }
  await jumpcloudRequest(ORG, 'POST', `/api/v2/systems/${laptop._id}/associations`, { op: 'remove', type: 'user', id: leaving._id });
  await jumpcloudRequest(ORG, 'DELETE', `/api/systemusers/${leaving._id}`);
});
