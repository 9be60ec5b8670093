import { expect, test } from '@playwright/test';
import { admin, jumpcloudGet, signIn } from './steps';

const ORGS = ['Acme Robotics', 'Globex Health', 'Initech Logistics', 'Northwind Traders'];

test('the overview lists every organization and its numbers lead to the filtered pages', async ({ page, javaScriptEnabled }) => {
  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).toHaveURL(/\/o\/acme-robotics$/);
  await page.getByRole('link', { name: 'All organizations' }).click();
  await expect(page).toHaveURL(/\/overview$/);
  await expect(page.getByRole('heading', { name: 'All organizations', level: 1 })).toBeVisible();

  // Figures read now rather than from the last minute's cache; the page reloads itself
  // until every organization has answered.
  await page.getByTestId('overview-refresh').click();
  const rows = page.getByTestId('overview-row');
  await expect(rows).toHaveCount(ORGS.length);
  for (const name of ORGS) {
    await expect(page.getByRole('rowheader', { name })).toBeVisible();
  }
  for (const row of await rows.all()) {
    await expect(row).toHaveAttribute('data-state', 'figures', { timeout: 20_000 });
  }

  // Sorting is a link: most suspended users first.
  await page.getByRole('link', { name: 'Suspended' }).click();
  await expect(page).toHaveURL(/\/overview\?sort=suspended$/);
  await page.getByRole('link', { name: /Suspended/ }).click();
  await expect(page).toHaveURL(/\/overview\?sort=suspended&desc=true$/);
  await expect(page.locator('th[aria-sort="descending"]')).toContainText('Suspended');
  const suspended = page.locator('td[data-column="suspended"]');
  const counts = (await suspended.allInnerTexts()).map(Number);
  expect(counts).toEqual([...counts].sort((a, b) => b - a));

  // A number leads to the organization's filtered list, which counts the same.
  const acmeSuspended = page.locator('tr[data-org="acme-robotics"] td[data-column="suspended"] a');
  const shown = await acmeSuspended.innerText();
  await acmeSuspended.click();
  await expect(page).toHaveURL(/\/o\/acme-robotics\/users\?state=suspended$/);
  await page.getByRole('link', { name: 'Refresh' }).click();
  await expect(page.getByTestId('user-total')).toHaveText(shown);
});

test('search finds a person in the one organization that has them and links to them', async ({ page, javaScriptEnabled }) => {
  const acmeUsers = await jumpcloudGet('Acme Robotics', '/api/systemusers?limit=5&sort=_id');
  const person = acmeUsers.results.find((user: { email: string }) => user.email.endsWith('@acme.example'));
  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).toHaveURL(/\/o\/acme-robotics$/);

  await page.getByRole('searchbox', { name: 'Search all organizations' }).first().fill(person.email);
  await page.getByRole('search').first().getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/search\?q=/);
  const groups = page.getByTestId('search-group');
  await expect(groups).toHaveCount(1);
  await expect(groups.first()).toHaveAttribute('data-org', 'acme-robotics');
  await expect(page.getByTestId('search-summary')).toHaveText('No matches in 3 other organizations.');

  await groups.first().getByRole('link', { name: person.displayname }).click();
  await expect(page).toHaveURL(new RegExp(`/o/acme-robotics/users/${person._id}$`));

  // Too short a text is refused with the reason.
  await page.goto('/search?q=a');
  await expect(page.getByTestId('search-refused')).toContainText('Search for 2 to 100 characters');
});
