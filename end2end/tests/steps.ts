import { expect, type Page } from '@playwright/test';

export const admin = {
  email: process.env.LANYARD_E2E_EMAIL ?? 'admin@localhost',
  password: process.env.LANYARD_E2E_PASSWORD ?? '',
};

export async function waitUntilInteractive(page: Page, javaScriptEnabled: boolean) {
  if (javaScriptEnabled) {
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  }
}

export async function signIn(page: Page, email: string, password: string, javaScriptEnabled: boolean) {
  await page.goto('/login');
  await waitUntilInteractive(page, javaScriptEnabled);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
