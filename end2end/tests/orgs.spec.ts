import { expect, test } from '@playwright/test';
import { admin, signIn } from './steps';

test('the org switcher lands on the same section of the other organization', async ({ page, javaScriptEnabled }) => {
  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page.getByRole('heading', { name: 'Acme Robotics', level: 1 })).toBeVisible();
  const acmePeople = await page.getByRole('list', { name: 'Some users' }).innerText();

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Groups', exact: true }).click();
  await expect(page).toHaveURL(/\/o\/acme-robotics\/groups$/);

  await page.getByText('Acme Robotics', { exact: true }).first().click();
  await page.getByRole('link', { name: 'Globex Health' }).click();
  await expect(page).toHaveURL(/\/o\/globex-health\/groups$/);
  await expect(page.getByTestId('current-org')).toHaveText('Globex Health');

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByRole('heading', { name: 'Globex Health', level: 1 })).toBeVisible();
  const globexPeople = await page.getByRole('list', { name: 'Some users' }).innerText();
  expect(globexPeople).not.toEqual(acmePeople);
});

test('an organization the account cannot enter is a 404 without its data', async ({ page, javaScriptEnabled }) => {
  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).toHaveURL(/\/o\/acme-robotics$/);
  const response = await page.goto('/o/not-an-org/users');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('That organization was not found.');
});
