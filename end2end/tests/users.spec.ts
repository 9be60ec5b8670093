import { expect, test, type Page } from '@playwright/test';
import { admin, jumpcloudGet, jumpcloudRequest, signIn, waitUntilInteractive } from './steps';

const org = 'acme-robotics';
const orgName = 'Acme Robotics';

async function simTotal(filter: string): Promise<number> {
  const body = await jumpcloudGet(orgName, `/api/systemusers?limit=1${filter}`);
  return body.totalCount;
}

async function simUser(id: string): Promise<any> {
  return jumpcloudGet(orgName, `/api/systemusers/${id}`);
}

async function openUsers(page: Page, javaScriptEnabled: boolean, query = '') {
  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).toHaveURL(/\/o\/acme-robotics$/);
  await page.goto(`/o/${org}/users${query}`);
  await waitUntilInteractive(page, javaScriptEnabled);
}

/// Creates a staged user with a name unique to this project and run; its id.
async function createUser(page: Page, javaScriptEnabled: boolean, suffix: string): Promise<string> {
  await page.goto(`/o/${org}/users/new`);
  await waitUntilInteractive(page, javaScriptEnabled);
  const form = page.getByRole('form', { name: 'Create a user' });
  await form.getByLabel('Email', { exact: true }).fill(`e2e.${suffix}@acme.example`);
  await form.getByLabel('First name').fill('End');
  await form.getByLabel('Last name').fill(`To End ${suffix}`);
  await form.getByLabel('Department').fill('Engineering');
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByTestId('temporary-password')).toBeVisible();
  return new URL(page.url()).pathname.split('/').pop()!;
}

test('the users list filters by state and counts like JumpCloud', async ({ page, javaScriptEnabled }) => {
  await openUsers(page, javaScriptEnabled);
  await expect(page.getByTestId('user-total')).toHaveText(String(await simTotal('')));
  const filters = page.getByRole('form', { name: 'Filter users' });
  await filters.getByLabel('State').selectOption('suspended');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/state=suspended/);
  await expect(page.getByTestId('user-total')).toHaveText(String(await simTotal('&filter=state:$eq:SUSPENDED')));
  const rows = page.getByRole('table', { name: 'Users' }).locator('tbody tr');
  await expect(rows.first().getByText('Suspended')).toBeVisible();
});

test('a user is created, shown its password once, and taken through its lifecycle', async ({ page, javaScriptEnabled }) => {
  const suffix = `${javaScriptEnabled ? 'js' : 'nojs'}${Date.now()}`;
  await openUsers(page, javaScriptEnabled);
  const id = await createUser(page, javaScriptEnabled, suffix);
  const password = await page.getByTestId('temporary-password').innerText();
  expect(password).toHaveLength(20);
  let user = await simUser(id);
  expect(user.username).toBe(`e2e.${suffix}`);
  expect(user.state).toBe('STAGED');
  expect(user.password_expired).toBe(true);

  // Shown once: a reload does not show it again.
  await page.reload();
  await expect(page.getByTestId('temporary-password')).toHaveCount(0);

  // The same email again: a clear message, and nothing more in JumpCloud.
  const before = await simTotal('');
  await page.goto(`/o/${org}/users/new`);
  await waitUntilInteractive(page, javaScriptEnabled);
  const form = page.getByRole('form', { name: 'Create a user' });
  await form.getByLabel('Email', { exact: true }).fill(`e2e.${suffix}@acme.example`);
  await form.getByLabel('First name').fill('End');
  await form.getByLabel('Last name').fill('Again');
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('alert')).toContainText('already has a user');
  expect(await simTotal('')).toBe(before);

  await page.goto(`/o/${org}/users/${id}`);
  await waitUntilInteractive(page, javaScriptEnabled);
  await page.getByRole('form', { name: 'Activate' }).getByRole('button', { name: 'Activate' }).click();
  await expect(page.getByRole('form', { name: 'Suspend' })).toBeVisible();
  expect((await simUser(id)).state).toBe('ACTIVATED');

  await page.getByRole('form', { name: 'Suspend' }).getByRole('button', { name: 'Suspend' }).click();
  await expect(page.getByRole('form', { name: 'Reactivate' })).toBeVisible();
  expect((await simUser(id)).state).toBe('SUSPENDED');
  await page.getByRole('form', { name: 'Reactivate' }).getByRole('button', { name: 'Reactivate' }).click();
  await expect(page.getByRole('form', { name: 'Suspend' })).toBeVisible();
  expect((await simUser(id)).state).toBe('ACTIVATED');

  const edit = page.getByRole('form', { name: 'Edit profile' });
  await edit.getByLabel('Job title').fill('Staff Engineer');
  await edit.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('list', { name: 'Recent changes' })).toContainText('edited the profile');
  expect((await simUser(id)).jobTitle).toBe('Staff Engineer');

  const manager = (await jumpcloudGet(orgName, '/api/systemusers?limit=1&sort=username')).results[0];
  const assign = page.getByRole('form', { name: 'Assign manager' });
  await assign.getByLabel('Manager (username or email)').fill(manager.username);
  await assign.getByRole('button', { name: 'Assign manager' }).click();
  await expect(page.getByRole('link', { name: manager.displayname })).toBeVisible();
  expect((await simUser(id)).manager).toBe(manager._id);

  await page.getByRole('form', { name: 'Reset MFA' }).getByRole('button', { name: 'Reset MFA' }).click();
  await expect(page.getByRole('list', { name: 'Recent changes' })).toContainText('MFA reset');
  expect((await simUser(id)).mfa.exclusion).toBe(true);

  await page.getByRole('form', { name: 'Reset password' }).getByRole('button', { name: 'Reset password' }).click();
  await expect(page.getByTestId('temporary-password')).toBeVisible();
  expect(await page.getByTestId('temporary-password').innerText()).not.toBe(password);
  expect((await simUser(id)).password_expired).toBe(true);

  const schedule = page.getByRole('form', { name: 'Schedule a state change' });
  await schedule.getByLabel('Scheduled change').selectOption('suspend');
  await schedule.getByLabel('At (UTC)').fill('2099-05-06T07:08');
  await schedule.getByRole('button', { name: 'Schedule' }).click();
  await expect(page.getByRole('table', { name: 'Scheduled changes' })).toBeVisible();
  const jobs = (await jumpcloudGet(orgName, '/api/v2/bulk/userstates')).filter((job: any) => job.systemUserId === id);
  expect(jobs.map((job: any) => job.state)).toEqual(['SUSPENDED']);
  await page.getByRole('form', { name: 'Cancel scheduled change' }).getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('table', { name: 'Scheduled changes' })).toHaveCount(0);
  const left = (await jumpcloudGet(orgName, '/api/v2/bulk/userstates')).filter((job: any) => job.systemUserId === id);
  expect(left).toEqual([]);

  const remove = page.getByRole('form', { name: 'Delete user' });
  await remove.getByLabel(`Type e2e.${suffix} to confirm`).fill('wrong');
  await remove.getByRole('button', { name: 'Delete user' }).click();
  await expect(page.getByRole('alert')).toContainText('nothing was changed');
  expect((await simUser(id))._id).toBe(id);
  await page.getByRole('form', { name: 'Delete user' }).getByLabel(`Type e2e.${suffix} to confirm`).fill(`e2e.${suffix}`);
  await page.getByRole('form', { name: 'Delete user' }).getByRole('button', { name: 'Delete user' }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org}/users$`));
  await expect(jumpcloudGet(orgName, `/api/systemusers/${id}`)).rejects.toThrow(/404/);
});

test('the export has every user of the filter, not only the visible page', async ({ page, javaScriptEnabled }) => {
  await openUsers(page, javaScriptEnabled, '?state=active');
  const href = await page.getByRole('link', { name: 'CSV', exact: true }).getAttribute('href');
  expect(href).toContain('state=active');
  const response = await page.request.get(href!);
  expect(response.status()).toBe(200);
  const lines = (await response.text()).trim().split('\n');
  expect(lines.length - 1).toBe(await simTotal('&filter=state:$eq:ACTIVATED'));
});

test('a bulk suspension previews, runs and reports per user', async ({ page, javaScriptEnabled }) => {
  await openUsers(page, javaScriptEnabled, '?state=active&sort=created&descending=true');
  const rows = page.getByRole('table', { name: 'Users' }).locator('tbody tr');
  const picked: string[] = [];
  for (const index of [0, 1]) {
    const checkbox = rows.nth(index).getByRole('checkbox');
    picked.push((await checkbox.getAttribute('value'))!);
    await checkbox.check();
  }
  const bulk = page.getByRole('form', { name: 'Bulk action' });
  await bulk.getByLabel('With the selected users').selectOption('suspend');
  await bulk.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByTestId('bulk-summary')).toContainText('2 of 2 selected users will change');
  for (const id of picked) expect((await simUser(id)).state).toBe('ACTIVATED');

  await page.getByRole('button', { name: 'Suspend 2 users' }).click();
  await expect(page.getByTestId('bulk-result-summary')).toHaveText('2 done, 0 not done.');
  for (const id of picked) expect((await simUser(id)).state).toBe('SUSPENDED');
});

test('a CSV import previews every row, then creates only the new users', async ({ page, javaScriptEnabled }) => {
  const suffix = `${javaScriptEnabled ? 'js' : 'nojs'}${Date.now()}`;
  const existing = (await jumpcloudGet(orgName, '/api/systemusers?limit=1&filter=state:$eq:ACTIVATED')).results[0];
  const fresh = `import.${suffix}@acme.example`;
  await openUsers(page, javaScriptEnabled);
  await page.getByRole('link', { name: 'Import from CSV' }).click();
  await waitUntilInteractive(page, javaScriptEnabled);
  const form = page.getByRole('form', { name: 'Import users' });
  await form.getByLabel(/CSV/).fill(
    `email,first name,last name,state\n${fresh},Imported,User,active\n${existing.email},Already,There,\nnot-an-email,Bad,Row,\n`,
  );
  await form.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByTestId('import-summary')).toHaveText(
    '1 to create, 1 already in JumpCloud, 1 invalid. Nothing has been sent yet.',
  );
  const preview = page.getByRole('table', { name: 'Import preview' });
  await expect(preview.getByRole('row').filter({ hasText: existing.email })).toContainText('already in JumpCloud');
  expect((await jumpcloudGet(orgName, `/api/systemusers?filter=email:$eq:${fresh}`)).totalCount).toBe(0);

  await page.getByRole('button', { name: 'Create 1 users' }).click();
  await expect(page.getByTestId('bulk-result-summary')).toHaveText('1 done, 0 not done.');
  const created = await jumpcloudGet(orgName, `/api/systemusers?filter=email:$eq:${fresh}`);
  expect(created.totalCount).toBe(1);
  expect(created.results[0].state).toBe('ACTIVATED');
  // Later tests count the organization's users.
  await jumpcloudRequest(orgName, 'DELETE', `/api/systemusers/${created.results[0]._id}`);
});

test('the existence check reports each entry', async ({ page, javaScriptEnabled }) => {
  const user = (await jumpcloudGet(orgName, '/api/systemusers?limit=1')).results[0];
  await openUsers(page, javaScriptEnabled);
  await page.getByRole('link', { name: 'Check existence' }).click();
  await waitUntilInteractive(page, javaScriptEnabled);
  const form = page.getByRole('form', { name: 'Check users' });
  await form.getByLabel(/Emails or JumpCloud user ids/).fill(`${user.email}\n${user._id}\nnobody@nowhere.example`);
  await form.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('check-summary')).toHaveText('2 of 3 found in JumpCloud.');
  const results = page.getByRole('table', { name: 'Existence' });
  await expect(results.getByRole('row').filter({ hasText: 'nobody@nowhere.example' })).toContainText('not found');
  await expect(results.getByRole('link', { name: user.username }).first()).toBeVisible();
});
