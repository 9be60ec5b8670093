import { expect, test, type Page } from '@playwright/test';
import { admin, jumpcloudGet, signIn, waitUntilInteractive } from './steps';

const org = '/o/acme-robotics';

async function signedIn(page: Page, javaScriptEnabled: boolean) {
  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).toHaveURL(/\/o\/acme-robotics$/);
}

test('a group is created, gets three members, loses one, is checked and deleted', async ({ page, javaScriptEnabled }) => {
  const name = `E2E group ${javaScriptEnabled ? 'js' : 'nojs'} ${Date.now()}`;
  await signedIn(page, javaScriptEnabled);
  await page.goto(`${org}/groups`);
  await waitUntilInteractive(page, javaScriptEnabled);
  const create = page.getByRole('form', { name: 'Create a group' });
  await create.getByLabel('Name').fill(name);
  await create.getByLabel('Description').fill('Made by the browser tests');
  await create.getByRole('button', { name: 'Create group' }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(page.locator('.notice')).toHaveText(`Created group ${name}.`);

  await page.getByRole('search', { name: 'Find users' }).getByRole('searchbox').fill('an');
  await page.getByRole('button', { name: 'Find', exact: true }).click();
  await waitUntilInteractive(page, javaScriptEnabled);
  const candidates = page.getByRole('table', { name: 'Users to add' });
  const usernames: string[] = [];
  for (const row of (await candidates.locator('tbody tr').all()).slice(0, 3)) {
    usernames.push((await row.locator('td').nth(1).innerText()).trim());
    await row.getByRole('checkbox').check();
  }
  await page.getByRole('button', { name: 'Add to group' }).click();
  await expect(page.getByRole('heading', { name: 'Members (3)' })).toBeVisible();
  await expect(page.locator('.notice')).toContainText(`Added ${usernames.join(', ')}.`);

  const members = page.getByRole('table', { name: 'Users to remove' });
  await members.getByRole('checkbox', { name: `Select ${usernames[1]}` }).check();
  await page.getByRole('button', { name: 'Remove selected' }).click();
  await expect(page.getByRole('heading', { name: 'Members (2)' })).toBeVisible();
  await expect(members).not.toContainText(usernames[1]);

  const check = page.getByRole('form', { name: 'Check membership' });
  await check.getByLabel('Username or email').fill(usernames[0]);
  await check.getByRole('button', { name: 'Check' }).click();
  await waitUntilInteractive(page, javaScriptEnabled);
  await expect(page.getByTestId('membership-result')).toContainText(`${usernames[0]} is a member`);
  await expect(page.getByTestId('membership-result')).toContainText(`${usernames[0]} → ${name}`);
  await page.getByRole('form', { name: 'Check membership' }).getByLabel('Username or email').fill(usernames[1]);
  await page.getByRole('form', { name: 'Check membership' }).getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('membership-result')).toContainText(`${usernames[1]} is not a member`);
  await waitUntilInteractive(page, javaScriptEnabled);

  const remove = page.getByRole('form', { name: 'Delete group' });
  await remove.getByLabel(`Type ${name} to confirm`).fill(name);
  await remove.getByRole('button', { name: 'Delete group' }).click();
  await expect(page).toHaveURL(/\/groups\?notice=/);
  await expect(page.locator('.notice')).toHaveText(`Deleted group ${name}.`);
  await expect(page.getByRole('table', { name: 'Groups' })).not.toContainText(name);
});

test('All Staff lists every member although its member pages come back short', async ({ page, javaScriptEnabled }) => {
  const users = await jumpcloudGet('Acme Robotics', '/api/systemusers?limit=1');
  await signedIn(page, javaScriptEnabled);
  await page.goto(`${org}/groups`);
  await page.getByRole('table', { name: 'Groups' }).getByRole('link', { name: 'All Staff', exact: true }).click();
  await expect(page.getByRole('heading', { name: `Members (${users.totalCount})` })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Users to remove' }).locator('tbody tr')).toHaveCount(users.totalCount);
});
