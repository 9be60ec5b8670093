import { expect, test } from '@playwright/test';
import { admin, jumpcloudGet, jumpcloudRequest, signIn } from './steps';

const ORG = 'Acme Robotics';
const SLUG = 'acme-robotics';

test('an access review from start to revoke', async ({ page, javaScriptEnabled }) => {
  const run = `${javaScriptEnabled ? 'js' : 'nojs'}-${Date.now()}`;
  // A group with one member, made for this test and removed after it.
  const member = await jumpcloudRequest(ORG, 'POST', '/api/systemusers', {
    username: `reviewed-${run}`,
    email: `reviewed-${run}@example.com`,
    firstname: 'Re',
    lastname: 'Viewed',
    state: 'ACTIVATED',
  });
  const group = await jumpcloudRequest(ORG, 'POST', '/api/v2/usergroups', { name: `Reviewed group ${run}` });
  await jumpcloudRequest(ORG, 'POST', `/api/v2/usergroups/${group.id}/members`, { op: 'add', type: 'user', id: member._id });
  const inGroup = async () =>
    ((await jumpcloudGet(ORG, `/api/v2/users/${member._id}/memberof?limit=100`)) as { id: string }[]).some((g) => g.id === group.id);
  expect(await inGroup()).toBe(true);

  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto(`/o/${SLUG}/reviews`);
  const start = page.getByRole('form', { name: 'Start a review' });
  await start.getByLabel('Name').fill(`Review ${run}`);
  await start.getByLabel(`Reviewed group ${run}`).check();
  // Nobody in it has a manager with an account: the admin starting it reviews.
  await start.getByLabel("Each member's JumpCloud manager reviews them").uncheck();
  await start.getByRole('button', { name: 'Start the review' }).click();

  await expect(page.getByRole('heading', { name: `Review ${run}` })).toBeVisible();
  await expect(page.getByTestId('review-progress')).toContainText('0 of 1 reviewed');
  const row = page.getByRole('table', { name: 'Memberships to review' }).getByRole('row').filter({ hasText: member.email });
  await row.getByLabel('Note').fill('no longer on the project');
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByTestId('review-progress')).toContainText('1 of 1 reviewed');

  // The request engine takes the membership away in JumpCloud and records it.
  await expect.poll(inGroup).toBe(false);
  await expect
    .poll(async () => {
      await page.reload();
      return page.getByRole('table', { name: 'Memberships to review' }).getByRole('row').filter({ hasText: member.email }).innerText();
    })
    .toContain('revoked');

  await jumpcloudRequest(ORG, 'DELETE', `/api/systemusers/${member._id}`);
  await jumpcloudRequest(ORG, 'DELETE', `/api/v2/usergroups/${group.id}`);
});
