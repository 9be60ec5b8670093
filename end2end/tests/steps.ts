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

/// The demo installation's simulator (base URL and fake keys), to check what an action
/// did to "JumpCloud" directly rather than through Lanyard's pages.
export const demoSim = JSON.parse(process.env.LANYARD_E2E_DEMO_SIM ?? '{}');

/// GET a JumpCloud path (e.g. `/api/systemusers?limit=100`) of a demo organization (by
/// name) straight from the simulator, with that organization's own key.
export async function jumpcloudGet(orgName: string, path: string): Promise<any> {
  return jumpcloudRequest(orgName, 'GET', path);
}

/// Any request to a demo organization's simulated JumpCloud, e.g. to put back what a
/// test changed that later tests count on.
export async function jumpcloudRequest(orgName: string, method: string, path: string, body?: unknown): Promise<any> {
  const org = demoSim.orgs.find((o: { name: string }) => o.name === orgName);
  const headers: Record<string, string> = { 'x-api-key': org.api_key, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${demoSim.base_url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}
